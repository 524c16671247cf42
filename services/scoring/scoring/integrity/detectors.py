"""The integrity detectors: one pure function per pattern over one person's facts.

    detect(pattern, person, period, thresholds=None, context=None) -> [Flag]
    detect_all(persons, period, thresholds=None) -> [Flag]     # every pattern, everyone
    population_context(persons, period) -> Context             # what a person is compared with

Each detector keeps to the period's facts (Shanghai days), sorts once and slides a
window, so a scan grows linearly with the facts. ``detect_all`` adds what needs everyone
at once: the categories' median resolution times (too_fast) and copied texts across
people, found through the signatures' LSH bands (candidates share a band; never all
pairs).

A Flag names the pattern, the person and their grid, the period, the evidence (records
as ``{"kind": ticket|patrol|visit|rating, "id", "at", ...}``: ``lon``/``lat`` where known,
and what made the record count) and the figures that crossed the threshold, with the
threshold itself. Its fingerprint is sha256 of the pattern, the person and the sorted
evidence ids: the same evidence gives the same flag, so a dismissed one stays dismissed.
A pattern that happens in episodes (an hour of disputes, a month's deadline, a run of
weeks, a group of copies) raises one flag per episode, so a new episode is a new flag
and an old one keeps its fingerprint.

The patterns and their thresholds: ``thresholds.json`` (``thresholds.describe()``).
"""
import bisect
import contextlib
import datetime as dt
import functools
import gc
import hashlib
import math
from dataclasses import dataclass, field
from statistics import median

import numpy

from common import textsig
from scoring.integrity.thresholds import PATTERNS, by_family, load_thresholds, unknown_pattern
from scoring.periods import parse_period

SHANGHAI_OFFSET = 8 * 3600      # Asia/Shanghai has kept UTC+8 without summer time since 1991
DAY, WEEK = 86400, 7 * 86400
# Closures that say nothing about the work done: they neither count as a resolution
# nor show a resolution time.
EMPTY_OUTCOMES = frozenset({"duplicate", "withdrawn", "not_our_responsibility"})
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Flag:
    pattern: str
    person_id: str
    grid_code: str | None
    period: str
    evidence: tuple          # of dicts
    figures: dict
    fingerprint: str

    def to_dict(self):
        return {"pattern": self.pattern, "person_id": self.person_id, "grid_code": self.grid_code,
                "period": self.period, "evidence": [dict(item) for item in self.evidence],
                "figures": dict(self.figures), "fingerprint": self.fingerprint}


def fingerprint(pattern, person_id, evidence):
    """sha256 (hex) of the pattern, the person and the evidence's sorted kind:id pairs."""
    ids = sorted(f"{item['kind']}:{item['id']}" for item in evidence)
    return hashlib.sha256("\n".join([pattern, person_id, *ids]).encode()).hexdigest()


def make_flag(pattern, person, window, evidence, figures):
    evidence = tuple(sorted(evidence, key=lambda item: (item["at"], item["kind"], item["id"])))
    return Flag(pattern=pattern, person_id=person.person_id, grid_code=person.grid_code, period=window.text,
                evidence=evidence, figures=figures, fingerprint=fingerprint(pattern, person.person_id, evidence))


# --- time, as seconds -------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    """A period as UTC seconds [start, end), and the deadlines inside it (each month's end)."""
    text: str
    start: float
    end: float
    months: tuple            # of (text, start, end)


@functools.lru_cache(maxsize=64)
def window_of(period):
    period = parse_period(period)
    start, end = period.bounds()
    months = tuple((str(month), *(moment.timestamp() for moment in month.bounds())) for month in period.months())
    return Window(str(period), start.timestamp(), end.timestamp(), months)


def _ts(moment):
    return moment.timestamp() if moment is not None else None


def _iso(seconds):
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat()


def _local_day(seconds):
    return int((seconds + SHANGHAI_OFFSET) // DAY)


def _local_hour(seconds):
    return int((seconds + SHANGHAI_OFFSET) % DAY // 3600)


WEEK_SHIFT = SHANGHAI_OFFSET + 3 * DAY


def _week(seconds):
    """The Monday-based week number of a moment's Shanghai day (day 0 was a Thursday):
    (local day + 3) // 7, in one step (it runs for every fact)."""
    return int((seconds + WEEK_SHIFT) // WEEK)


def _counted(ticket):
    return ticket.outcome not in EMPTY_OUTCOMES


def _ticket(ticket, seconds, **extra):
    return {"kind": "ticket", "id": ticket.ticket_id, "at": _iso(seconds), "category": ticket.category, **extra}


def _patrol(patrol, **extra):
    item = {"kind": "patrol", "id": patrol.id, "at": _iso(_ts(patrol.occurred_at))}
    if patrol.lon is not None and patrol.lat is not None:
        item.update(lon=patrol.lon, lat=patrol.lat)
    item.update(extra)
    return item


def _visit(visit, **extra):
    return {"kind": "visit", "id": visit.id, "at": _iso(_ts(visit.occurred_at)), **extra}


def _rating(rating, **extra):
    return {"kind": "rating", "id": rating.id, "at": _iso(_ts(rating.created_at)), "score": rating.score,
            "scale_max": rating.scale_max, **extra}


def _episodes(marked):
    """Runs of overlapping index ranges ``[(first, last)]`` (sorted by first), merged."""
    runs = []
    for first, last in marked:
        if runs and first <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], last)
        else:
            runs.append([first, last])
    return runs


# --- what a person is compared with ------------------------------------------------------

@dataclass(frozen=True)
class Context:
    """Figures over the whole population: ``medians`` {category: (median minutes, tickets)}."""
    medians: dict = field(default_factory=dict)


def _resolution_minutes(ticket, start, end):
    """Minutes from acceptance (else report) to resolution of a ticket resolved in the
    period that someone else reported; None for any other."""
    resolved = _ts(ticket.resolved_at)
    if resolved is None or not start <= resolved < end or not _counted(ticket):
        return None
    begun = _ts(ticket.accepted_at or ticket.reported_at)
    return (resolved - begun) / 60.0


PAUSE_EVERY_PERSONS = 50   # about 50 ms of detecting between two pauses (a scan's ``pause``)
PAUSE_EVERY_PAIRS = 5_000
WELL_FORMED_CHUNK = 50_000


def population_context(persons, period, pause=None):
    """The categories' median resolution minutes over everyone's resolved tickets (each
    ticket once; tickets resolved by their own reporter left out, as in too_fast)."""
    window = window_of(str(parse_period(period)))
    seen, minutes = set(), {}
    for n, person in enumerate(persons):
        if pause is not None and n % PAUSE_EVERY_PERSONS == 0:
            pause()
        for ticket in person.tickets_resolved:
            if ticket.ticket_id in seen or ticket.reporter_person_id == ticket.resolver:
                continue
            seen.add(ticket.ticket_id)
            value = _resolution_minutes(ticket, window.start, window.end)
            if value is not None:
                minutes.setdefault(ticket.category, []).append(value)
    return Context(medians={category: (median(values), len(values)) for category, values in minutes.items()})


# --- one person's facts, as the detectors read them ------------------------------------

class View:
    """A person's facts with their moments as seconds, each list made once (on first use)
    and shared by the detectors: a scan converts and sorts every fact once."""

    def __init__(self, person, window):
        self.person, self.window = person, window

    @functools.cached_property
    def patrols(self):
        """[(occurred, patrol)] in the period, by time."""
        start, end = self.window.start, self.window.end
        points = [(p.occurred_at.timestamp(), p) for p in self.person.patrols]
        points = [item for item in points if start <= item[0] < end]
        points.sort(key=_first)
        return points

    @functools.cached_property
    def visits(self):
        """[(occurred, received, visit)], all given (received: occurred when unknown)."""
        out = []
        for visit in self.person.visits:
            occurred = visit.occurred_at.timestamp()
            received = visit.received_at.timestamp() if visit.received_at is not None else occurred
            out.append((occurred, received, visit))
        return out

    @functools.cached_property
    def reported(self):
        """[(reported, ticket)], all given."""
        return [(t.reported_at.timestamp(), t) for t in self.person.tickets_reported]

    @functools.cached_property
    def resolved(self):
        """[(resolved, ticket)] of tickets resolved, all given."""
        return [(t.resolved_at.timestamp(), t) for t in self.person.tickets_resolved if t.resolved_at is not None]


def _first(item):
    return item[0]


# --- the detectors -----------------------------------------------------------------------

def impossible_rate(view, rules, context):
    """More tickets of one family resolved within any sliding window than a person can."""
    window, person = view.window, view.person
    size = rules["window_minutes"] * 60
    limits = rules["max_per_window"]
    by_fam = {}
    for resolved, ticket in view.resolved:
        if window.start <= resolved < window.end and _counted(ticket):
            by_fam.setdefault(ticket.family, []).append((resolved, ticket))
    flags = []
    for fam, items in by_fam.items():
        limit = by_family(limits, fam)
        if len(items) <= limit:
            continue
        items.sort(key=_first)
        marked, left = [], 0
        for right in range(len(items)):
            while items[right][0] - items[left][0] >= size:
                left += 1
            if right - left + 1 > limit:
                marked.append((left, right))
        for first, last in _episodes(marked):
            chosen = items[first:last + 1]
            flags.append(make_flag("impossible_rate", person, window,
                                   [_ticket(ticket, seconds) for seconds, ticket in chosen],
                                   {"family": fam, "resolved": len(chosen), "most_in_window": _densest(chosen, size),
                                    "window_minutes": rules["window_minutes"], "max_per_window": limit,
                                    "from": _iso(chosen[0][0]), "to": _iso(chosen[-1][0])}))
    return flags


def _densest(items, size):
    left, most = 0, 0
    for right in range(len(items)):
        while items[right][0] - items[left][0] >= size:
            left += 1
        most = max(most, right - left + 1)
    return most


def deadline_burst(view, rules, context):
    """Most of a month's records (visits, reports) received in its last hours (visits
    among them received days after they say they happened); the share needed drops with
    each week before the burst with check-ins but no record received.

    A report's received moment is its reported_at (the server's); a visit's is
    received_at. A month's records: those that happened in it, and those received in it
    that say they happened before it. Patrol check-ins are the check-ins, not records."""
    window, person = view.window, view.person
    burst = rules["burst_hours"] * 3600
    lag = rules["min_lag_hours"] * 3600
    records = [(occurred, received, visit, "visit") for occurred, received, visit in view.visits]
    records.extend((reported, reported, ticket, "ticket") for reported, ticket in view.reported)
    if len(records) < rules["min_records"]:
        return []
    flags = []
    for month, start, end in window.months:
        of_month, in_burst = 0, []
        for record in records:
            occurred, received, _, kind = record
            if start <= occurred < end or (start <= received < end and occurred < start):
                of_month += 1
                if end - burst <= received < end and (kind == "ticket" or received - occurred >= lag):
                    in_burst.append(record)
        if of_month < rules["min_records"] or not in_burst or len(in_burst) < of_month * rules["min_share_floor"]:
            continue
        share = len(in_burst) / of_month
        idle = _idle_weeks(records, [seconds for seconds, _ in view.patrols], end - burst, start)
        needed = max(rules["min_share_floor"], rules["min_share"] - rules["idle_week_discount"] * idle)
        if share + 1e-9 < needed:
            continue
        evidence = [_visit(record, received_at=_iso(received)) if kind == "visit"
                    else _ticket(record, occurred, received_at=_iso(received))
                    for occurred, received, record, kind in in_burst]
        flags.append(make_flag("deadline_burst", person, window, evidence, {
            "month": month, "deadline": _iso(end), "records": of_month, "in_burst": len(in_burst),
            "share": round(share, 3), "share_needed": round(needed, 3), "idle_weeks": idle,
            "burst_hours": rules["burst_hours"], "min_lag_hours": rules["min_lag_hours"],
            "min_share": rules["min_share"], "min_share_floor": rules["min_share_floor"],
            "idle_week_discount": rules["idle_week_discount"]}))
    return flags


def _idle_weeks(records, checkins, burst_start, month_start):
    """Whole weeks right before the burst (back to the month's start) with a check-in and
    no record received."""
    idle, top = 0, burst_start
    while top - WEEK >= month_start - 1:
        bottom = top - WEEK
        index = bisect.bisect_left(checkins, bottom)
        has_checkin = index < len(checkins) and checkins[index] < top
        if not has_checkin or any(bottom <= received < top for _, received, _, _ in records):
            break
        idle += 1
        top = bottom
    return idle


def checkin_only(view, rules, context):
    """Runs of consecutive weeks with patrol check-ins and no visit, report or resolution."""
    window, person = view.window, view.person
    checkins = {}
    for seconds, patrol in view.patrols:
        checkins.setdefault(_week(seconds), []).append(patrol)
    if len(checkins) < rules["min_weeks"]:
        return []
    busy = {_week(occurred) for occurred, _, _ in view.visits}
    busy.update(_week(seconds) for seconds, _ in view.reported)
    busy.update(_week(seconds) for seconds, _ in view.resolved)
    idle = sorted(week for week, patrols in checkins.items()
                  if len(patrols) >= rules["min_checkins_per_week"] and week not in busy)
    flags, run = [], []
    for week in idle + [None]:
        if week is not None and run and week == run[-1] + 1:
            run.append(week)
            continue
        if len(run) >= rules["min_weeks"]:
            patrols = [patrol for w in run for patrol in checkins[w]]
            monday = EPOCH_DAY + dt.timedelta(days=run[0] * 7 - 3)
            flags.append(make_flag("checkin_only", person, window, [_patrol(patrol) for patrol in patrols], {
                "weeks": len(run), "first_monday": monday.isoformat(), "checkins": len(patrols),
                "records": 0, "min_weeks": rules["min_weeks"],
                "min_checkins_per_week": rules["min_checkins_per_week"]}))
        run = [week] if week is not None else []
    return flags


EPOCH_DAY = dt.date(1970, 1, 1)


def _metres(lon1, lat1, lon2, lat2):
    """Haversine distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


M_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180


def implausible_movement(view, rules, context):
    """Jumps faster than a person travels; identical coordinates on different days;
    too many check-ins outside the person's grid. One flag per check that fires."""
    window, person = view.window, view.person
    points = [(seconds, p) for seconds, p in view.patrols if p.lon is not None and p.lat is not None]
    flags = []
    low, high = rules["speed_gap_seconds"]["min"], rules["speed_gap_seconds"]["max"]
    limit = rules["max_speed_kmh"] / 3.6                # metres a second
    jumps, previous = [], None
    for seconds, patrol in points:
        if previous is not None:
            gap = seconds - previous[0]
            if low <= gap <= high:
                before = previous[1]
                # a cheap flat-earth distance first; haversine only for what may be too fast
                dy = (patrol.lat - before.lat) * M_PER_DEGREE
                dx = (patrol.lon - before.lon) * M_PER_DEGREE * math.cos(math.radians(patrol.lat))
                if dx * dx + dy * dy > (0.9 * limit * gap) ** 2:
                    speed = _metres(before.lon, before.lat, patrol.lon, patrol.lat) / gap
                    if speed > limit:
                        jumps.append((before, patrol, speed * 3.6))
        previous = (seconds, patrol)
    if len(jumps) >= rules["min_fast_jumps"]:
        evidence = {}
        for before, after, kmh in jumps:
            evidence.setdefault(before.id, _patrol(before))
            evidence[after.id] = _patrol(after, kmh_from_previous=round(kmh, 1))
        flags.append(make_flag("implausible_movement", person, window, list(evidence.values()), {
            "check": "speed", "fast_jumps": len(jumps), "fastest_kmh": round(max(k for _, _, k in jumps), 1),
            "max_speed_kmh": rules["max_speed_kmh"], "min_fast_jumps": rules["min_fast_jumps"],
            "speed_gap_seconds": {"min": low, "max": high}}))

    at_point = {}
    for item in points:
        key = (item[1].lon, item[1].lat)
        found = at_point.get(key)
        if found is None:
            at_point[key] = [item]
        else:
            found.append(item)
    repeated = []
    for items in at_point.values():
        if len(items) >= rules["min_repeat_days"]:
            days = len({_local_day(seconds) for seconds, _ in items})
            if days >= rules["min_repeat_days"]:
                repeated.append((days, items))
    if repeated:
        flags.append(make_flag("implausible_movement", person, window,
                               [_patrol(patrol) for _, items in repeated for _, patrol in items], {
                                   "check": "repeated_point", "points": len(repeated),
                                   "most_days": max(days for days, _ in repeated),
                                   "checkins": sum(len(items) for _, items in repeated),
                                   "min_repeat_days": rules["min_repeat_days"]}))

    all_points = view.patrols
    if len(all_points) >= rules["min_patrols"]:
        outside = [patrol for _, patrol in all_points if not patrol.inside]
        share = len(outside) / len(all_points)
        if share > rules["max_outside_share"]:
            flags.append(make_flag("implausible_movement", person, window, [_patrol(p) for p in outside], {
                "check": "outside", "checkins": len(all_points), "outside": len(outside), "share": round(share, 3),
                "max_outside_share": rules["max_outside_share"], "min_patrols": rules["min_patrols"]}))
    return flags


def too_fast(view, rules, context):
    """Resolutions (accepted to resolved) below the family's minimum, or below a fraction
    of the category's median (when enough tickets stand behind it). Tickets the person
    reported themself are self_dealing's."""
    window, person = view.window, view.person
    medians = context.medians if context else {}
    judged, fast = 0, []
    for resolved, ticket in view.resolved:
        if ticket.reporter_person_id == person.person_id or not window.start <= resolved < window.end \
                or not _counted(ticket):
            continue
        minutes = (resolved - (ticket.accepted_at or ticket.reported_at).timestamp()) / 60.0
        judged += 1
        floor = by_family(rules["min_minutes"], ticket.family)
        typical, sample = medians.get(ticket.category, (None, 0))
        relative = typical * rules["median_fraction"] if typical is not None and sample >= rules["min_sample"] else None
        if minutes < floor or (relative is not None and minutes < relative):
            fast.append((resolved, ticket, minutes, floor, typical if relative is not None else None))
    if len(fast) < rules["min_tickets"] or len(fast) < judged * rules["min_share"]:
        return []
    evidence = [_ticket(ticket, resolved, minutes=round(minutes, 1), min_minutes=floor,
                        category_median_minutes=None if typical is None else round(typical, 1))
                for resolved, ticket, minutes, floor, typical in fast]
    return [make_flag("too_fast", person, window, evidence, {
        "too_fast": len(fast), "resolved": judged, "share": round(len(fast) / judged, 3),
        "fastest_minutes": round(min(item[2] for item in fast), 1),
        "min_minutes": dict(rules["min_minutes"]), "median_fraction": rules["median_fraction"],
        "min_sample": rules["min_sample"], "min_tickets": rules["min_tickets"], "min_share": rules["min_share"]})]


def self_dealing(view, rules, context):
    """Own reports resolved by the person within minutes, again and again."""
    window, person = view.window, view.person
    limit = rules["max_minutes"] * 60
    own, quick = 0, []
    for reported, ticket in view.reported:
        if not window.start <= reported < window.end:
            continue
        own += 1
        if ticket.resolved_at is not None and ticket.resolver == person.person_id:
            resolved = ticket.resolved_at.timestamp()
            if 0 <= resolved - reported <= limit:
                quick.append((ticket, reported, resolved))
    if len(quick) < rules["min_tickets"] or len(quick) < own * rules["min_share"]:
        return []
    evidence = [_ticket(ticket, reported, resolved_at=_iso(resolved), minutes=round((resolved - reported) / 60, 1))
                for ticket, reported, resolved in quick]
    return [make_flag("self_dealing", person, window, evidence, {
        "self_resolved": len(quick), "reported": own, "share": round(len(quick) / own, 3),
        "max_minutes": rules["max_minutes"], "min_tickets": rules["min_tickets"], "min_share": rules["min_share"]})]


def one_sided_ratings(view, rules, context):
    """The person rates only with top marks over many ratings; or the person's ratings
    come from accounts created together just before the period's end."""
    window, person = view.window, view.person
    flags = []
    given = person.ratings_given
    if len(given) >= rules["min_ratings"] and all(r.score >= r.scale_max for r in given):
        flags.append(make_flag("one_sided_ratings", person, window, [_rating(r) for r in given], {
            "check": "top_marks_only", "ratings": len(given), "top_marks": len(given),
            "min_ratings": rules["min_ratings"]}))

    since = window.end - rules["bulk_before_end_days"] * DAY
    created = {}
    for rating in person.ratings_received:
        if rating.rater_account_created_at is None:
            continue
        seconds = rating.rater_account_created_at.timestamp()
        if since <= seconds < window.end:
            created.setdefault(rating.rater_account_id, (seconds, []))[1].append(rating)
    if len(created) < rules["bulk_min_accounts"]:
        return flags
    accounts = sorted(created.values(), key=_first)
    size = rules["bulk_window_minutes"] * 60
    marked, left = [], 0
    for right in range(len(accounts)):
        while accounts[right][0] - accounts[left][0] >= size:
            left += 1
        if right - left + 1 >= rules["bulk_min_accounts"]:
            marked.append((left, right))
    for first, last in _episodes(marked):
        chosen = accounts[first:last + 1]
        ratings = [(seconds, rating) for seconds, items in chosen for rating in items]
        flags.append(make_flag("one_sided_ratings", person, window,
                               [_rating(r, account_created_at=_iso(seconds)) for seconds, r in ratings], {
                                   "check": "bulk_accounts", "accounts": len(chosen), "ratings": len(ratings),
                                   "created_from": _iso(chosen[0][0]), "created_to": _iso(chosen[-1][0]),
                                   "top_marks": sum(r.score >= r.scale_max for _, r in ratings),
                                   "bulk_min_accounts": rules["bulk_min_accounts"],
                                   "bulk_window_minutes": rules["bulk_window_minutes"],
                                   "bulk_before_end_days": rules["bulk_before_end_days"]}))
    return flags


def impossible_visit(view, rules, context):
    """Visits at night (Shanghai) and visits to households with no registered resident."""
    window, person = view.window, view.person
    start_hour, end_hour = rules["night_start_hour"], rules["night_end_hour"]
    wraps = start_hour > end_hour
    night, empty = [], []
    for occurred, _, visit in view.visits:
        if not window.start <= occurred < window.end:
            continue
        hour = _local_hour(occurred)
        if (hour >= start_hour or hour < end_hour) if wraps else start_hour <= hour < end_hour:
            night.append((visit, hour))
        if visit.household_residents == 0:
            empty.append(visit)
    flags = []
    if len(night) >= rules["min_night_visits"]:
        flags.append(make_flag("impossible_visit", person, window,
                               [_visit(v, local_hour=hour) for v, hour in night], {
                                   "check": "night", "visits": len(night), "night_start_hour": start_hour,
                                   "night_end_hour": end_hour, "min_night_visits": rules["min_night_visits"]}))
    if len(empty) >= rules["min_empty_visits"]:
        flags.append(make_flag("impossible_visit", person, window,
                               [_visit(v, household_id=v.household_id, residents=0) for v in empty], {
                                   "check": "no_residents", "visits": len(empty),
                                   "households": len({v.household_id for v in empty}),
                                   "min_empty_visits": rules["min_empty_visits"]}))
    return flags


# --- copied texts: groups of near-identical signatures, through LSH bands --------------

BANDS = textsig.DEFAULT_BANDS      # 16 bands of 4 lanes, as textsig.bands
LANE_BITS = textsig.LANE_BITS
SIGNATURE_LENGTH = textsig.SIGNATURE_LENGTH


def _texts(view):
    """(sig, owner, kind, record, at) of the person's texts in the period: report
    descriptions and visit notes whose signature is of a signature's length (the digits
    are checked all at once: ``_well_formed``). Evidence is made only for the texts that
    end in a group."""
    window, person = view.window, view.person
    out = []
    for reported, ticket in view.reported:
        sig = ticket.description_sig
        if sig.__class__ is str and len(sig) == SIGNATURE_LENGTH and window.start <= reported < window.end:
            out.append((sig, person, "ticket", ticket, reported))
    for occurred, _, visit in view.visits:
        sig = visit.notes_sig
        if sig.__class__ is str and len(sig) == SIGNATURE_LENGTH and window.start <= occurred < window.end:
            out.append((sig, person, "visit", visit, occurred))
    return out


def _well_formed(texts, pause=None):
    """(texts, their lanes) of the texts whose signature is one (``textsig.is_signature``):
    a malformed one is passed over, not let stop the scan. Fifty thousand are checked
    at once (each of the right length already; fromhex refuses what is not a hex digit
    but skips blanks, and takes capitals); one by one only when the whole chunk fails."""
    if len(texts) < 2:
        return texts, None              # nothing to compare (copy_groups needs no lanes)
    kept, parts = [], []
    for first in range(0, len(texts), WELL_FORMED_CHUNK):
        chunk = texts[first:first + WELL_FORMED_CHUNK]
        joined = "".join(text[0] for text in chunk)
        data = None
        if not any(capital in joined for capital in "ABCDEF"):
            with contextlib.suppress(ValueError):
                data = bytes.fromhex(joined)
        if data is None or len(data) * 2 != len(joined):
            chunk = [text for text in chunk if textsig.is_signature(text[0])]
            data = bytes.fromhex("".join(text[0] for text in chunk))
        if chunk:
            kept.extend(chunk)
            parts.append(_lanes_of(data, len(chunk)))
        if pause is not None:
            pause()
    return kept, (numpy.concatenate(parts) if len(kept) >= 2 else None)


def copy_groups(signatures, min_similarity, bands=BANDS, *, lanes=None, pause=None):
    """Groups (sorted lists of indices, 2 or more) of near-identical texts, given their
    textsig signatures; linear in the texts, never all pairs.

    LSH as ``textsig.bands`` draws it: texts whose lanes agree over a whole band are
    candidates. The banding runs in numpy over all signatures at once: each band's lanes
    read as one integer (the band's key, exactly), keys sorted, runs of equal keys are
    the buckets. Each text of a bucket is compared with the bucket's first text and with
    the one before it; pairs as similar as ``min_similarity`` (textsig.similarity has the
    last word) are joined, and the groups are what is joined. ``lanes``: the signatures'
    ``_lanes``, when the caller has them; ``pause`` is called after each band."""
    count = len(signatures)
    if count < 2:
        return []
    lanes = _lanes(signatures) if lanes is None else lanes
    width = lanes.shape[1]
    pairs = set()
    needed = min_similarity * width - 1e-9
    for key in _band_keys(lanes, bands):
        if pause is not None:
            pause()
        order = numpy.argsort(key, kind="stable")
        ordered = key[order]
        same = ordered[1:] == ordered[:-1]
        if not same.any():
            continue
        positions = numpy.nonzero(same)[0] + 1               # members after the first of a run
        starts = numpy.ones(count, dtype=bool)
        starts[1:] = ~same
        head = numpy.maximum.accumulate(numpy.where(starts, numpy.arange(count), 0))
        right = order[positions]
        for left in (order[head[positions]], order[positions - 1]):
            close = (lanes[left] == lanes[right]).sum(axis=1) >= needed
            for a, b in zip(left[close].tolist(), right[close].tolist()):
                if a != b:
                    pairs.add((a, b) if a < b else (b, a))
    parent = list(range(count))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for n, (a, b) in enumerate(pairs):
        if pause is not None and n % PAUSE_EVERY_PAIRS == 0:
            pause()
        if textsig.similarity(signatures[a], signatures[b]) >= min_similarity:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[ra] = rb
    groups = {}
    for index in {i for pair in pairs for i in pair}:
        groups.setdefault(root(index), []).append(index)
    return [sorted(members) for members in groups.values() if len(members) > 1]


def _band_keys(lanes, bands):
    """Each band's key, a column of integers: the band's lanes read as one integer. A
    band of 64 bits is its 8 bytes as they lie (a native integer, no arithmetic: equal
    keys are equal bands all the same); another width is shifted together."""
    count, width = lanes.shape
    rows = width // bands
    if rows * LANE_BITS == 64:
        keys = lanes.view(numpy.uint64)
        return [keys[:, band] for band in range(bands)]
    out = []
    for band in range(bands):
        key = numpy.zeros(count, dtype=numpy.uint64)
        for column in range(band * rows, (band + 1) * rows):
            key = (key << numpy.uint64(LANE_BITS)) ^ lanes[:, column].astype(numpy.uint64)
        out.append(key)
    return out


def _lanes(signatures):
    """The signatures' lanes as one array, a row per signature (hex digits, big-endian
    16-bit lanes, in permutation order)."""
    return _lanes_of(bytes.fromhex("".join(signatures)), len(signatures))


def _lanes_of(data, count):
    return numpy.frombuffer(data, dtype=f">u{LANE_BITS // 8}").reshape(count, -1)


def _copied_flags(texts, window, rules, pause=None):
    texts, lanes = _well_formed(texts, pause)
    flags = []
    sigs = [text[0] for text in texts]
    for n, members in enumerate(copy_groups(sigs, rules["min_similarity"], lanes=lanes, pause=pause)):
        if pause is not None and n % PAUSE_EVERY_PERSONS == 0:
            pause()
        if len(members) < rules["min_records"]:
            continue
        by_person = {}
        for index in members:
            by_person.setdefault(texts[index][1].person_id, []).append(index)
        first = sigs[members[0]]
        lowest = min(textsig.similarity(first, sigs[i]) for i in members[1:])
        for indices in by_person.values():
            if len(indices) < rules["min_person_records"]:
                continue
            person = texts[indices[0]][1]
            evidence = [_visit(record, text="notes") if kind == "visit"
                        else _ticket(record, at, text="description")
                        for _, _, kind, record, at in (texts[i] for i in indices)]
            flags.append(make_flag("copied_text", person, window, evidence, {
                "group_records": len(members), "group_persons": len(by_person), "person_records": len(indices),
                "lowest_similarity": round(lowest, 3), "min_similarity": rules["min_similarity"],
                "min_records": rules["min_records"], "min_person_records": rules["min_person_records"]}))
    return flags


def copied_text(view, rules, context):
    """Groups of near-identical texts among the person's own records."""
    texts = _texts(view)
    if len(texts) < rules["min_records"]:
        return []
    return _copied_flags(texts, view.window, rules)


def copied_text_across(views, rules, pause=None):
    """Groups of near-identical texts among everyone's records: each person with enough
    records in a large enough group is flagged with their own records."""
    texts = []
    for n, view in enumerate(views):
        if pause is not None and n % PAUSE_EVERY_PERSONS == 0:
            pause()
        texts += _texts(view)
    if not texts:
        return []
    flags = _copied_flags(texts, views[0].window, rules, pause)
    release(texts, pause, step=WELL_FORMED_CHUNK)
    return flags


DETECTORS = {
    "impossible_rate": impossible_rate,
    "deadline_burst": deadline_burst,
    "checkin_only": checkin_only,
    "implausible_movement": implausible_movement,
    "too_fast": too_fast,
    "copied_text": copied_text,
    "self_dealing": self_dealing,
    "one_sided_ratings": one_sided_ratings,
    "impossible_visit": impossible_visit,
}
assert tuple(DETECTORS) == PATTERNS


def detect(pattern, person, period, thresholds=None, context=None):
    """The flags of one pattern for one person in a period. An unknown pattern is a 400
    naming ``pattern``; ``context`` (population_context) lets too_fast compare with the
    categories' medians."""
    detector = DETECTORS.get(pattern) if isinstance(pattern, str) else None
    if detector is None:
        raise unknown_pattern(pattern)
    thresholds = thresholds or load_thresholds()
    return detector(View(person, window_of(str(parse_period(period)))), thresholds[pattern], context)


def detect_all(persons, period, thresholds=None, patterns=None, context=None, *, pause=None):
    """Every pattern (or those named) for everyone: the per-person detectors with the
    population's medians (``context``; None: computed from ``persons``), and copied
    texts across people (which covers each person's own copies too). ``pause``, if
    given, is called every few dozen people and between the copy search's bands: a
    service passes one that lets its other work run (a district takes seconds)."""
    thresholds = thresholds or load_thresholds()
    chosen = PATTERNS if patterns is None else tuple(patterns)
    for pattern in chosen:
        if pattern not in DETECTORS:
            raise unknown_pattern(pattern, "patterns")
    window = window_of(str(parse_period(period)))
    with cyclic_gc_paused():
        views = [View(person, window) for person in persons]
        if context is None and "too_fast" in chosen:
            context = population_context([view.person for view in views], window.text, pause)
        flags = []
        per_person = [(DETECTORS[p], thresholds[p]) for p in chosen if p != "copied_text"]
        for n, view in enumerate(views):
            if pause is not None and n % PAUSE_EVERY_PERSONS == 0:
                pause()
            for detector, rules in per_person:
                flags.extend(detector(view, rules, context))
            view.__dict__.pop("patrols", None)        # what only this person needed
        if "copied_text" in chosen and views:
            flags.extend(copied_text_across(views, thresholds["copied_text"], pause))
        release(views, pause)
    return flags


def release(items, pause=None, step=PAUSE_EVERY_PERSONS):
    """Empty the list ``items`` ``step`` at a time, pausing between: freeing a district's
    millions of facts at once holds the process for a second or more."""
    if pause is None:
        items.clear()
        return
    while items:
        del items[-step:]
        pause()


@contextlib.contextmanager
def cyclic_gc_paused():
    """A scan makes millions of small tuples, none in a cycle; the cyclic collector would
    walk the whole heap over and over (it doubled the scan's time, and the loader's) for
    nothing. Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
