"""A grid's figures composed at the door, for the portal's map and cockpit: one
number per grid of a level (``GET /grids/{code}/measures``) and one grid's overview
(``GET /grids/{code}/overview``).

Each service counts what it owns in one grouped query over the whole subtree, by the
finest grid code it keeps (a ticket's grid, a household's, a result's); the door
rolls those rows up to the grids asked for, by code prefix (codes are hierarchical:
一格一码). So a district of 11,000 grids costs one query per service, never one per
grid. The roll-ups below are plain functions, free of nameko.
"""
import datetime as dt
import time

import eventlet

from common.errors import Unavailable
from common.roles import SUPERVISOR_READERS
from common.shanghai import SHANGHAI

# measure -> (the service that counts it, the unit of its numbers)
MEASURES = {
    "open_tickets": ("tickets", "tickets"),
    "overdue_tickets": ("tickets", "tickets"),
    "staffing_gaps": ("people", "posts"),
    "visit_coverage": ("people", "ratio"),
    "score": ("scoring", "points"),
}
GRADES = ("daily", "urgent", "major")
OPEN_STATES = ("reported", "accepted", "handling")
# How long the overview waits for its parts together; one not answered by then is left
# out (``missing``), the others are answered.
OVERVIEW_WAIT_SECONDS = 5.0
GAPS_SHOWN = 20      # the overview's grids with a staffing gap, the first ones by code
SCORES_SHOWN = 10    # the overview's best ranked results
FLAGS_SHOWN = 5      # the overview's newest open flags


def now_iso():
    """Now, in Shanghai's offset (the district's clock), to the second."""
    return dt.datetime.now(SHANGHAI).replace(microsecond=0).isoformat()


class Rollup:
    """Where a fine code's figures go: the longest of ``codes`` that is a prefix of it
    (the grids a map colours lie side by side; a code under none counts nowhere)."""

    def __init__(self, codes):
        self.codes = set(codes)
        self.lengths = sorted({len(code) for code in self.codes}, reverse=True)
        self._seen = {}

    def target(self, fine_code):
        if fine_code in self._seen:
            return self._seen[fine_code]
        found = next((fine_code[:n] for n in self.lengths
                      if n <= len(fine_code) and fine_code[:n] in self.codes), None)
        self._seen[fine_code] = found
        return found

    def sums(self, pairs, width=1):
        """{code: [totals]} over (fine code, (numbers...)) pairs, ``width`` numbers each;
        every code present, zeros where nothing rolled up."""
        totals = {code: [0] * width for code in self.codes}
        for fine_code, numbers in pairs:
            code = self.target(fine_code or "")
            if code is not None:
                row = totals[code]
                for n, value in enumerate(numbers):
                    row[n] += value
        return totals


def ticket_values(grids, codes, overdue_only=False):
    """{code: open (or overdue) tickets under it} from tickets' ``open_tickets_by_grid``
    ({grid code: [open, overdue]}): a grid with none has 0."""
    column = 1 if overdue_only else 0
    totals = Rollup(codes).sums((code, (pair[column],)) for code, pair in grids.items())
    return {code: row[0] for code, row in totals.items()}


def staffing_values(gaps, staffed, codes):
    """{code: posts missing under it by the staffing standard}, from people's
    ``staffing_gaps`` items ({code, missing: {role: n}}) and grid's staffed grids
    (codes): null where no staffed grid lies under the code (nothing to check)."""
    rollup = Rollup(codes)
    checked = rollup.sums((code, (1,)) for code in staffed)
    missing = rollup.sums((gap["code"], (sum(gap["missing"].values()),)) for gap in gaps)
    return {code: (missing[code][0] if checked[code][0] else None) for code in rollup.codes}


def coverage_values(grids, codes):
    """{code: share of its households visited (0..1, 4 places)} from people's
    ``visit_counts`` grids ({fine code: [households, visited]}): null where no
    household is registered under it."""
    totals = Rollup(codes).sums(grids.items(), width=2)
    return {code: (round(visited / households, 4) if households else None)
            for code, (households, visited) in totals.items()}


def score_values(sums, codes):
    """{code: mean score of the results under it (2 places)} from scoring's sums
    [[grid_code, results, sum]]: null where no result lies under it."""
    totals = Rollup(codes).sums(((code, (count, total)) for code, count, total in sums), width=2)
    return {code: (round(total / count, 2) if count else None) for code, (count, total) in totals.items()}


def measure_values(ctx, measure, root, codes, period=None):
    """The values of ``measure`` for ``codes`` (the grids under ``root`` at the level
    asked), and what the answer adds beside them (the period, the assessments)."""
    if measure in ("open_tickets", "overdue_tickets"):
        grids = ctx.rpc("tickets").open_tickets_by_grid(root=root)["grids"]
        return ticket_values(grids, codes, overdue_only=measure == "overdue_tickets"), {}
    if measure == "staffing_gaps":
        gaps = ctx.rpc("people").staffing_gaps(root=root)
        staffed = [grid["code"] for grid in ctx.rpc("grid").staffed_grids(root=root)]
        return staffing_values(gaps["gaps"], staffed, codes), {}
    if measure == "visit_coverage":
        counts = ctx.rpc("people").visit_counts(root=root, period=period)
        return coverage_values(counts["grids"], codes), {"period": counts["period"]}
    scores = ctx.rpc("scoring").grid_scores(root=root)
    return score_values(scores["sums"], codes), {"assessments": [_assessment_ref(a) for a in scores["assessments"]]}


def measures(ctx):
    """``GET /grids/{code}/measures``."""
    code, query = ctx.path["code"], ctx.query
    level = ctx.rpc("grid").level_codes(root=code, level=query["level"])  # 404 / 400 naming level
    values, extra = measure_values(ctx, query["measure"], code, level["codes"], query.get("period"))
    return {"code": code, "measure": query["measure"], "level": level["level"],
            "unit": MEASURES[query["measure"]][1], "values": dict(sorted(values.items())), "as_of": now_iso(),
            **extra}


# --- the overview -------------------------------------------------------------------------

def gather(parts, wait=OVERVIEW_WAIT_SECONDS):
    """Run ``parts`` ({name: (service, function)}) side by side: ``({name: result or
    None}, sorted services that did not answer)``. A part whose service is unavailable
    (503) or that is not done within ``wait`` seconds in all is None, its service
    listed; any other error (a 400, a 404) is raised, as a single call's would be."""
    threads = {name: (service, eventlet.spawn(function)) for name, (service, function) in parts.items()}
    results, missing = {}, set()
    deadline = time.monotonic() + wait
    try:
        for name, (service, thread) in threads.items():
            left = max(0.0, deadline - time.monotonic())
            try:
                with eventlet.Timeout(left):
                    results[name] = thread.wait()
            except eventlet.Timeout:
                thread.kill()
                results[name] = None
                missing.add(service)
            except Unavailable:
                results[name] = None
                missing.add(service)
    finally:
        for _, thread in threads.values():
            if not thread.dead:
                thread.kill()
    return results, sorted(missing)


def ticket_summary(rows):
    """The overview's tickets from tickets' ``open_ticket_totals`` rows ([[grade, status,
    overdue, count]]): open, overdue, by grade and by state (every grade and state
    named, 0 when none)."""
    by_grade, by_state = dict.fromkeys(GRADES, 0), dict.fromkeys(OPEN_STATES, 0)
    total = late = 0
    for grade, status, overdue, count in rows:
        total += count
        late += count if overdue else 0
        by_grade[grade] = by_grade.get(grade, 0) + count
        by_state[status] = by_state.get(status, 0) + count
    return {"open": total, "overdue": late, "by_grade": by_grade, "by_state": by_state}


def staff_summary(posts, gaps):
    """The overview's staff: the posts running today in the grid itself (its public
    card's names and roles), and the staffing standard's gaps under it."""
    missing = {}
    for gap in gaps["gaps"]:
        for role, count in gap["missing"].items():
            missing[role] = missing.get(role, 0) + count
    return {"posts": posts,
            "gaps": {"grids_checked": gaps["grids_checked"], "grids_with_gaps": gaps["grids_with_gaps"],
                     "missing": dict(sorted(missing.items())),
                     "grids": [{key: gap[key] for key in ("code", "name", "kind", "missing")}
                               for gap in gaps["gaps"][:GAPS_SHOWN]]}}


def coverage_summary(counts):
    households = sum(pair[0] for pair in counts["grids"].values())
    visited = sum(pair[1] for pair in counts["grids"].values())
    return {"period": counts["period"], "start": counts["start"], "end": counts["end"], "households": households,
            "visited": visited, "coverage": round(visited / households, 4) if households else None,
            "patrols_today": counts["patrols_today"]}


def _assessment_ref(assessment):
    return {key: assessment[key] for key in ("id", "plan", "period", "scope", "version", "published_at")}


def score_summary(scores):
    """The overview's score: null when no published assessment scores the grid."""
    if not scores["assessments"]:
        return None
    count = sum(row[1] for row in scores["sums"])
    total = sum(row[2] for row in scores["sums"])
    keys = ("subject_kind", "subject_id", "name", "grid_code", "grid_name", "score", "rank", "band", "commended",
            "reminded", "assessment_id")
    return {"assessments": [_assessment_ref(a) for a in scores["assessments"]], "results": count,
            "mean": round(total / count, 2) if count else None,
            "top": [{key: result.get(key) for key in keys} for result in scores["results"]]}


def flag_summary(page):
    keys = ("id", "pattern", "pattern_name", "person_id", "grid_code", "period", "raised_at", "evidence_count")
    return {"open": page.get("counts", {}).get("raised", len(page["items"])),
            "items": [{key: flag.get(key) for key in keys} for flag in page["items"]]}


def overview(ctx):
    """``GET /grids/{code}/overview``: the grid first (404 for no such grid, 503 when the
    registry does not answer), then every other part side by side; a service that does
    not answer leaves its parts null and is named in ``missing``."""
    code, period = ctx.path["code"], ctx.query.get("period")
    grid = ctx.rpc("grid").get_grid(code=code)
    people, tickets, scoring, actor = ctx.rpc("people"), ctx.rpc("tickets"), ctx.rpc("scoring"), ctx.actor
    parts = {
        "posts": ("people", lambda: people.staff_on_duty(grid_code=code)),
        "gaps": ("people", lambda: people.staffing_gaps(root=code)),
        "coverage": ("people", lambda: people.visit_counts(root=code, period=period)),
        "tickets": ("tickets", lambda: tickets.open_ticket_totals(root=code)),
        "score": ("scoring", lambda: scoring.grid_scores(root=code, top=SCORES_SHOWN)),
    }
    flags_shown = actor.has_role(SUPERVISOR_READERS)
    if flags_shown:  # open flags are evidence for an auditor, not colleagues' reading
        parts["flags"] = ("scoring", lambda: scoring.list_flags(root=code, status="raised", limit=FLAGS_SHOWN,
                                                                actor=actor.to_wire()))
    found, missing = gather(parts)
    staff = None
    if found["posts"] is not None and found["gaps"] is not None:
        staff = staff_summary(found["posts"], found["gaps"])
    fields = ("code", "name", "level", "depth", "kind", "zone_type", "households", "population", "parent_code")
    return {
        "grid": {key: grid.get(key) for key in fields},
        "as_of": now_iso(),
        "staff": staff,
        "tickets": found["tickets"] and ticket_summary(found["tickets"]["rows"]),
        "coverage": found["coverage"] and coverage_summary(found["coverage"]),
        "score": None if found["score"] is None else score_summary(found["score"]),
        "flags": found.get("flags") and flag_summary(found["flags"]),
        "flags_shown": flags_shown,
        "missing": missing,
    }
