"""Integrity detectors: honest districts raise no flag at the default thresholds; each
constructed fabrication raises its own pattern's flag and nothing else; each pattern's
rule, checked on facts made by hand; fingerprints; the 400 for an unknown pattern."""
import datetime as dt
import json
import random

import pytest

from common import textsig
from common.errors import InvalidInput, http_status
from scoring.integrity import honest
from scoring.integrity.detectors import (
    DETECTORS, Context, View, copy_groups, detect, detect_all, fingerprint, make_flag, window_of)
from scoring.integrity.facts import PatrolFact, PersonFacts, RatingFact, TicketFact, VisitFact
from scoring.integrity.thresholds import PATTERNS, load_thresholds

PERIOD = "2026-Q2"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(text):
    """A Shanghai wall-clock time as an aware UTC datetime: at("2026-05-12 10:40")."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(dt.timezone.utc)


def ticket(n, resolved=None, category="DM01", reporter=None, resolver="p1", reported=None, accepted=None,
           outcome="fixed", sig=None):
    resolved_at = at(resolved) if resolved else None
    reported_at = at(reported) if reported else (resolved_at - dt.timedelta(days=2))
    return TicketFact(ticket_id=f"t{n}", category=category, source="resident_report", reporter_person_id=reporter,
                      responsible_person_id=resolver, resolved_by_person_id=resolver if resolved else None,
                      reported_at=reported_at, accepted_at=at(accepted) if accepted else reported_at,
                      resolved_at=resolved_at, status="resolved" if resolved else "reported",
                      outcome=outcome if resolved else None, description_sig=sig, grid_code="320118001001")


def patrol(n, when, lon=118.871, lat=31.321, inside=True, received=None):
    return PatrolFact(id=f"pt{n}", person_id="p1", occurred_at=at(when), received_at=at(received or when),
                      lon=lon, lat=lat, inside=inside, located_grid_code="320118001001")


def visit(n, when, received=None, residents=2, sig=None):
    return VisitFact(id=f"v{n}", person_id="p1", household_id=f"h{n}", grid_code="320118001001",
                     occurred_at=at(when), received_at=at(received or when), notes_sig=sig,
                     household_residents=residents)


def person(**facts):
    return PersonFacts(person_id="p1", grid_codes=("320118001001",), **{k: tuple(v) for k, v in facts.items()})


def patterns_of(flags):
    return sorted({flag.pattern for flag in flags})


# --- honest work stays unflagged ---------------------------------------------------------

@pytest.fixture(scope="module")
def district():
    return honest.honest_district(101, workers=120)


@pytest.mark.parametrize("seed, workers", [(1, 300), (2, 150), (3, 150)])
def test_an_honest_district_raises_no_flag_at_the_default_thresholds(seed, workers):
    persons = honest.honest_district(seed, workers=workers)
    flags = detect_all(persons, PERIOD)
    assert flags == [], [(f.pattern, f.person_id, f.figures) for f in flags[:5]]


def test_the_honest_district_is_real_work_that_varies(district):
    # not an empty quarter: the zero above is earned
    per_person = [p.count() for p in district]
    assert min(per_person) > 100 and sum(per_person) / len(per_person) > 300
    patrols = [pt for p in district for pt in p.patrols]
    assert 0 < sum(not pt.inside for pt in patrols) / len(patrols) < 0.1     # some just outside
    hours = {(pt.occurred_at + dt.timedelta(hours=8)).hour for pt in patrols}
    assert len(hours) >= 8
    lags = sorted((v.received_at - v.occurred_at).total_seconds() for p in district for v in p.visits)
    assert lags[len(lags) // 2] < 600 and lags[-1] > 3600                      # prompt, some offline
    families = {t.family for p in district for t in p.tickets_resolved}
    assert {"DM", "UM", "SF"} <= families
    scores = {r.score for p in district for r in p.ratings_received}
    assert {3, 4, 5} <= scores
    sigs = [v.notes_sig for v in district[0].visits if v.notes_sig]
    assert len(set(sigs)) == len(sigs)


def test_the_generator_is_seeded():
    first, again = honest.honest_district(9, workers=3), honest.honest_district(9, workers=3)
    assert first == again
    assert honest.honest_district(10, workers=3) != first


# --- each fabrication raises its own flag and nothing else -------------------------------

CASES = [(pattern, None) for pattern in PATTERNS] + [
    (pattern, check) for pattern, checks in honest.CHECKS.items() for check in checks]


@pytest.mark.parametrize("pattern, check", CASES, ids=[f"{p}-{c or 'all'}" for p, c in CASES])
def test_a_fabricated_history_raises_its_own_flag_and_nothing_else(district, pattern, check):
    fakes = honest.fabricated(pattern, 5, check=check)
    fake_ids = {fake.person_id for fake in fakes}
    flags = detect_all(district + fakes, PERIOD)

    assert [f for f in flags if f.person_id not in fake_ids] == []
    assert patterns_of(flags) == [pattern]
    assert {f.person_id for f in flags} == fake_ids
    checks = {f.figures.get("check") for f in flags}
    if pattern == "copied_text":
        assert checks == {None}
    elif check is not None:
        assert checks == {check}
    elif pattern in honest.CHECKS:
        assert checks == set(honest.CHECKS[pattern])
    for flag in flags:
        assert flag.evidence and flag.period == PERIOD and flag.grid_code
        json.dumps(flag.to_dict())                              # stored and served as JSON


def test_copies_across_people_need_the_whole_population():
    fakes = honest.fabricated("copied_text", 6, check="across")
    assert all(detect("copied_text", fake, PERIOD) == [] for fake in fakes)   # 3 copies each: too few
    flags = detect_all(fakes, PERIOD)
    assert len(flags) == 3 and {f.figures["group_persons"] for f in flags} == {3}


def test_a_raised_threshold_lets_the_fabrication_pass(district):
    fakes = honest.fabricated("impossible_rate", 5)
    lenient = load_thresholds({"patterns": {"impossible_rate": {"thresholds": {
        "max_per_window": {"value": {"DM": 12, "*": 8}}}}}})
    assert detect("impossible_rate", fakes[0], PERIOD) != []
    assert detect("impossible_rate", fakes[0], PERIOD, lenient) == []


# --- the rules, on facts made by hand ------------------------------------------------------

def test_impossible_rate_slides_its_hour_across_the_clock():
    # five disputes 10:40-11:35 straddle two clock hours; four in an hour is the most
    times = ["10:40", "10:52", "11:05", "11:20", "11:35"]
    tickets = [ticket(n, f"2026-05-12 {t}") for n, t in enumerate(times)]
    flags = detect("impossible_rate", person(tickets_resolved=tickets), PERIOD)
    assert len(flags) == 1
    assert flags[0].figures["most_in_window"] == 5 and flags[0].figures["max_per_window"] == 4
    assert [e["id"] for e in flags[0].evidence] == [f"t{n}" for n in range(5)]
    # the same five over an hour and a quarter, or closed as duplicates: no flag
    spread = [ticket(n, f"2026-05-12 {t}") for n, t in enumerate(["10:00", "10:20", "10:40", "11:00", "11:15"])]
    assert detect("impossible_rate", person(tickets_resolved=spread), PERIOD) == []
    duplicates = [ticket(n, f"2026-05-12 {t}", outcome="duplicate") for n, t in enumerate(times)]
    assert detect("impossible_rate", person(tickets_resolved=duplicates), PERIOD) == []
    # other families may go to eight an hour
    fixes = [ticket(n, f"2026-05-12 10:{5 * n:02d}", category="UM08") for n in range(8)]
    assert detect("impossible_rate", person(tickets_resolved=fixes), PERIOD) == []


def test_deadline_burst_weighs_the_idle_weeks_before_it():
    # 10 visits in May, 4 of them typed in at 23:30 on 31 May, days after they happened (40%)
    late = [visit(10 + n, f"2026-05-{12 + n} 10:00", received="2026-05-31 23:30") for n in range(4)]
    checkins = [patrol(n, f"2026-05-{d:02d} 09:00") for n, d in enumerate(range(1, 32))]
    # records kept arriving every week before: 40% is under the 50% needed
    flowing = [visit(n, f"2026-05-{d:02d} 10:00") for n, d in enumerate((4, 9, 14, 19, 24, 29))]
    assert detect("deadline_burst", person(visits=flowing + late, patrols=checkins), PERIOD) == []
    # nothing received after 6 May but check-ins: three idle weeks lower the share needed to 30%
    early = [visit(n, f"2026-05-{d:02d} 10:00") for n, d in enumerate((1, 2, 3, 4, 5, 6))]
    flags = detect("deadline_burst", person(visits=early + late, patrols=checkins), PERIOD)
    assert len(flags) == 1
    figures = flags[0].figures
    assert figures["month"] == "2026-05" and figures["in_burst"] == 4 and figures["records"] == 10
    assert figures["idle_weeks"] == 3 and figures["share_needed"] == 0.3 and figures["share"] == 0.4
    assert {e["id"] for e in flags[0].evidence} == {"v10", "v11", "v12", "v13"}
    # without the check-ins those weeks are absence, not idling
    assert detect("deadline_burst", person(visits=early + late), PERIOD) == []


def test_deadline_burst_ignores_an_offline_phone_that_syncs_hours_later():
    visits = [visit(n, f"2026-05-31 {8 + n // 2:02d}:{(n % 2) * 30:02d}", received="2026-05-31 20:00")
              for n in range(12)]
    assert detect("deadline_burst", person(visits=visits), PERIOD) == []


def test_checkin_only_needs_three_consecutive_weeks():
    # check-ins every weekday of May; a visit in the week of 18 May breaks the run
    days = [d for d in range(1, 32) if dt.date(2026, 5, d).weekday() < 5]
    checkins = [patrol(n, f"2026-05-{d:02d} 09:00") for n, d in enumerate(days)]
    broken = detect("checkin_only", person(patrols=checkins, visits=[visit(1, "2026-05-19 10:00")]), PERIOD)
    assert broken == []          # weeks of 4 and 11 May: two; of 25 May: one
    flags = detect("checkin_only", person(patrols=checkins, visits=[visit(1, "2026-06-20 10:00")]), PERIOD)
    # Friday 1 May alone is one check-in: that week does not count
    assert len(flags) == 1 and flags[0].figures["weeks"] == 4 and flags[0].figures["first_monday"] == "2026-05-04"


def test_implausible_movement_measures_speed_by_haversine():
    # 0.01 degree of latitude is 1,112 m: in 60 s that is 66.7 km/h; in 120 s 33 km/h
    def hop(n, minute, second, lat):
        return patrol(n, f"2026-05-12 10:{minute:02d}:{second:02d}", lat=lat)

    fast = [hop(0, 0, 0, 31.32), hop(1, 1, 0, 31.33), hop(2, 2, 0, 31.32), hop(3, 3, 0, 31.33)]
    flags = detect("implausible_movement", person(patrols=fast), PERIOD)
    assert len(flags) == 1 and flags[0].figures["fast_jumps"] == 3
    assert 66 < flags[0].figures["fastest_kmh"] < 67.5
    slow = [hop(0, 0, 0, 31.32), hop(1, 2, 0, 31.33), hop(2, 4, 0, 31.32), hop(3, 6, 0, 31.33)]
    assert detect("implausible_movement", person(patrols=slow), PERIOD) == []
    jitter = [hop(0, 0, 0, 31.32), hop(1, 0, 20, 31.33), hop(2, 0, 40, 31.32), hop(3, 0, 59, 31.33)]
    assert detect("implausible_movement", person(patrols=jitter), PERIOD) == []     # under a minute apart


def test_identical_coordinates_count_only_across_days():
    same_day = [patrol(n, f"2026-05-12 {9 + n:02d}:00") for n in range(4)]
    assert detect("implausible_movement", person(patrols=same_day), PERIOD) == []
    days = [patrol(n, f"2026-05-{12 + n} 09:00") for n in range(3)]
    flags = detect("implausible_movement", person(patrols=days), PERIOD)
    assert [f.figures["check"] for f in flags] == ["repeated_point"] and flags[0].figures["most_days"] == 3
    moved = [patrol(n, f"2026-05-{12 + n} 09:00", lon=118.871 + n * 1e-6) for n in range(3)]
    assert detect("implausible_movement", person(patrols=moved), PERIOD) == []


def test_too_fast_compares_with_the_category_median():
    # resolved in 30 minutes: above every family minimum, but a twentieth of a 2-day median
    quick = [ticket(n, f"2026-05-{10 + n} 10:30", category="UM05", accepted=f"2026-05-{10 + n} 10:00")
             for n in range(5)]
    someone = person(tickets_resolved=quick)
    assert detect("too_fast", someone, PERIOD) == []                    # no median known
    context = Context(medians={"UM05": (2880.0, 200)})
    flags = detect("too_fast", someone, PERIOD, context=context)
    assert len(flags) == 1 and flags[0].figures["too_fast"] == 5
    assert detect("too_fast", someone, PERIOD, context=Context(medians={"UM05": (2880.0, 10)})) == []   # few
    # own reports are self_dealing's to judge
    own = [ticket(n, f"2026-05-{10 + n} 10:01", category="UM05", reporter="p1", reported=f"2026-05-{10 + n} 10:00")
           for n in range(5)]
    assert detect("too_fast", person(tickets_resolved=own), PERIOD, context=context) == []


def test_self_dealing_counts_own_reports_resolved_within_minutes():
    own = [ticket(n, f"2026-05-{10 + n} 10:0{n % 9}", category="UM12", reporter="p1",
                  reported=f"2026-05-{10 + n} 10:00") for n in range(6)]
    others = [ticket(10 + n, None, category="UM12", reporter="p1", reported=f"2026-04-{10 + n} 10:00")
              for n in range(10)]
    flags = detect("self_dealing", person(tickets_reported=own + others), PERIOD)
    assert len(flags) == 1 and flags[0].figures["self_resolved"] == 6 and flags[0].figures["share"] == 0.375
    many_others = others + [ticket(30 + n, None, category="UM12", reporter="p1",
                                   reported=f"2026-06-{1 + n:02d} 10:00") for n in range(10)]
    assert detect("self_dealing", person(tickets_reported=own + many_others), PERIOD) == []   # 6 of 26


def test_bulk_accounts_are_accounts_made_together_before_the_end():
    end = at("2026-07-01 00:00")

    def rating(n, created):
        return RatingFact(id=f"r{n}", rater_account_id=f"a{n}", rater_person_id=None, subject_person_id="p1", kind="resident", score=5,
                          scale_max=5, created_at=end - dt.timedelta(days=1), rater_account_created_at=created)

    together = [rating(n, end - dt.timedelta(days=2, minutes=10 * n)) for n in range(5)]
    flags = detect("one_sided_ratings", person(ratings_received=together), PERIOD)
    assert [f.figures["check"] for f in flags] == ["bulk_accounts"] and flags[0].figures["accounts"] == 5
    apart = [rating(n, end - dt.timedelta(days=2, minutes=20 * n)) for n in range(5)]
    assert detect("one_sided_ratings", person(ratings_received=apart), PERIOD) == []
    early = [rating(n, end - dt.timedelta(days=30, minutes=10 * n)) for n in range(5)]
    assert detect("one_sided_ratings", person(ratings_received=early), PERIOD) == []


def test_night_visits_wrap_around_midnight():
    night = [visit(1, "2026-05-12 23:10"), visit(2, "2026-05-14 05:40")]
    flags = detect("impossible_visit", person(visits=night), PERIOD)
    assert [f.figures["check"] for f in flags] == ["night"]
    assert [e["local_hour"] for e in flags[0].evidence] == [23, 5]
    evening = [visit(1, "2026-05-12 21:50"), visit(2, "2026-05-14 06:00")]
    assert detect("impossible_visit", person(visits=evening), PERIOD) == []
    unknown = [visit(n, f"2026-05-1{n} 10:00", residents=None) for n in range(5)]
    assert detect("impossible_visit", person(visits=unknown), PERIOD) == []


def test_facts_outside_the_period_are_not_judged():
    times = ["10:40", "10:52", "11:05", "11:20", "11:35"]
    tickets = [ticket(n, f"2026-03-31 {t}") for n, t in enumerate(times)]
    assert detect("impossible_rate", person(tickets_resolved=tickets), PERIOD) == []
    assert len(detect("impossible_rate", person(tickets_resolved=tickets), "2026-03")) == 1


# --- copies ----------------------------------------------------------------------------

def test_copy_groups_joins_near_identical_texts_and_only_them():
    sig = textsig.signature
    template = "入户走访{b}号楼住户,了解家庭基本情况,宣传防范电信诈骗知识,住户表示无其他诉求,已登记在册。"
    rng = random.Random(4)
    texts = [template.format(b=b) for b in range(1, 8)] + [honest.visit_note(rng) for _ in range(300)]
    order = list(range(len(texts)))
    rng.shuffle(order)
    sigs = [sig(texts[i]) for i in order]
    groups = copy_groups(sigs, 0.8)
    assert len(groups) == 1
    assert sorted(order[i] for i in groups[0]) == list(range(7))


# --- fingerprints ------------------------------------------------------------------------

def test_a_fingerprint_depends_on_the_evidence_not_its_order():
    evidence = [{"kind": "ticket", "id": f"t{n}", "at": f"2026-05-12T0{n}:00:00+00:00"} for n in range(5)]
    shuffled = list(reversed(evidence))
    assert fingerprint("impossible_rate", "p1", evidence) == fingerprint("impossible_rate", "p1", shuffled)
    assert fingerprint("impossible_rate", "p1", evidence) != fingerprint("impossible_rate", "p1", evidence[:4])
    assert fingerprint("impossible_rate", "p1", evidence) != fingerprint("too_fast", "p1", evidence)
    assert fingerprint("impossible_rate", "p1", evidence) != fingerprint("impossible_rate", "p2", evidence)
    window = window_of(PERIOD)
    someone = person()
    assert make_flag("impossible_rate", someone, window, evidence, {}) == \
        make_flag("impossible_rate", someone, window, shuffled, {})


def test_the_same_facts_give_the_same_fingerprints():
    fakes = honest.fabricated("implausible_movement", 8)
    first = [f.fingerprint for f in detect_all(fakes, PERIOD)]
    shuffled = [PersonFacts(**{**{name: getattr(f, name) for name in PersonFacts.__slots__},
                               "patrols": tuple(random.Random(1).sample(f.patrols, len(f.patrols)))})
                for f in fakes]
    assert first and [f.fingerprint for f in detect_all(shuffled, PERIOD)] == first
    assert all(len(fp) == 64 and int(fp, 16) >= 0 for fp in first)


# --- bad input ---------------------------------------------------------------------------

@pytest.mark.parametrize("pattern", ["bogus", "", None, 7, "IMPOSSIBLE_RATE"])
def test_an_unknown_pattern_is_a_400_naming_it(pattern):
    with pytest.raises(InvalidInput) as caught:
        detect(pattern, person(), PERIOD)
    assert http_status(caught.value) == 400 and "pattern" in caught.value.details["fields"]
    with pytest.raises(InvalidInput) as caught:
        detect_all([person()], PERIOD, patterns=["impossible_rate", pattern])
    assert "patterns" in caught.value.details["fields"]


def test_an_unknown_period_is_a_400_naming_it():
    with pytest.raises(InvalidInput) as caught:
        detect("impossible_rate", person(), "2026-Q5")
    assert http_status(caught.value) == 400 and "period" in caught.value.details["fields"]


def test_every_pattern_has_a_detector_and_a_fabrication():
    assert tuple(DETECTORS) == PATTERNS and tuple(honest.FABRICATIONS) == PATTERNS
    assert isinstance(View(person(), window_of(PERIOD)).patrols, list)


# --- precision and recall ----------------------------------------------------------------

def test_evaluate_counts_precision_and_recall():
    population = honest.Population(persons=(), truth={"a": "too_fast", "b": "copied_text", "c": None, "d": None})

    def flag(pattern, person_id):
        return make_flag(pattern, PersonFacts(person_id=person_id), window_of(PERIOD),
                         [{"kind": "ticket", "id": "t1", "at": "2026-05-01T00:00:00+00:00"}], {})

    result = honest.evaluate(population, [flag("too_fast", "a"), flag("self_dealing", "a"), flag("too_fast", "c")])
    assert result["fabricators"] == 2 and result["caught"] == 1 and result["recall"] == 0.5
    assert result["flagged_persons"] == 2 and result["precision"] == 0.5
    assert result["false_flags"] == 2 and result["by_pattern"]["too_fast"] == {
        "fabricators": 1, "caught": 1, "flags": 2, "false_flags": 1}


def test_a_mixed_district_is_told_apart():
    population = honest.mixed_district(21, workers=200, share=0.05)
    assert sum(1 for p in population.truth.values() if p) == 10
    result = honest.evaluate(population, detect_all(population.persons, PERIOD))
    assert result["recall"] == 1.0 and result["precision"] == 1.0 and result["false_flags"] == 0


def test_a_fainter_fabrication_does_fewer_acts_and_the_faintest_passes():
    """Strength scales a fabrication from the seed's blatant case down: a dozen disputes
    in fifty minutes at 1, six at a half (still over the four an hour allows), three at
    a quarter, which the default thresholds take for a busy afternoon."""
    def disputes(strength):
        (fake,) = honest.fabricated("impossible_rate", 9, strength=strength)
        flags = detect("impossible_rate", fake, PERIOD)
        return max((f.figures["resolved"] for f in flags), default=0), len(flags)
    assert disputes(1.0)[0] == 12 and disputes(0.5)[0] == 6 and disputes(0.25) == (0, 0)
    with pytest.raises(ValueError):
        honest.fabricated("impossible_rate", 9, strength=0)


def test_recall_is_given_by_strength():
    population = honest.Population(persons=(), truth={"a": "too_fast", "b": "too_fast", "c": None},
                                   strength={"a": 0.25, "b": 1.0})

    def flag(pattern, person_id):
        return make_flag(pattern, PersonFacts(person_id=person_id), window_of(PERIOD),
                         [{"kind": "ticket", "id": "t1", "at": "2026-05-01T00:00:00+00:00"}], {})

    result = honest.evaluate(population, [flag("too_fast", "b")])
    assert result["by_strength"] == {0.25: {"fabricators": 1, "caught": 0, "recall": 0.0},
                                     1.0: {"fabricators": 1, "caught": 1, "recall": 1.0}}


def test_a_malformed_signature_is_passed_over_not_fatal():
    note = textsig.signature("入户走访3号楼住户,了解家庭基本情况,宣传防范电信诈骗知识,已登记在册。")
    visits = [visit(n, f"2026-05-{10 + n} 10:00", sig=note) for n in range(6)]
    visits.append(visit(99, "2026-05-20 10:00", sig="not a signature"))
    flags = detect_all([person(visits=visits)], PERIOD)
    assert [f.figures["person_records"] for f in flags] == [6]
    assert "v99" not in {e["id"] for e in flags[0].evidence}
