"""The engine on hand-computed examples: every number asserted here is worked out by
hand in the comment beside it."""
import json

import pytest

from scoring.engine import (Breakdown, Deduction, MeasureValue, Rating, Result, SelfEntry, SubjectFacts, annual, assess,
                            consequences, normalise)
from scoring.plans import default_plans, load_plan

approx = pytest.approx
G1, G2, G3 = "320508019044001", "320508019044002", "320508019044003"

BANDS = [{"key": "excellent", "min": 90, "zh": "优秀"}, {"key": "good", "min": 75, "zh": "良好"},
         {"key": "pass", "min": 60, "zh": "合格"}, {"key": "fail", "min": 0, "zh": "不合格"}]


def plan_of(parts, *, ranking=None, **extra):
    """A quarterly worker plan of ``parts``, no shrinkage, nobody commended or reminded
    unless ``ranking`` says otherwise."""
    return load_plan(dict({
        "code": "hand-made", "name": {"zh": "手算方案", "en": "hand-made plan"}, "subject": "worker",
        "period": "quarter", "parts": parts, "bands": BANDS,
        "ranking": ranking or {"min_volume": 0, "prior_weight": 0, "commend_top": 0, "remind_bottom": 0}}, **extra))


def one_indicator(measure="on_time_rate", normalise_="rate", direction="higher", **extra):
    return [{"key": "only", "weight": 100, "source": "indicators", "indicators": [
        dict({"key": measure, "measure": measure, "direction": direction, "normalise": normalise_,
              "weight": 100}, **extra)]}]


def worker(subject_id, grid_code=G1, role="full_time_worker", **measures):
    """``measures``: key=(value, volume) or key=(value, volume, refs)."""
    return SubjectFacts(subject_id, "worker", grid_code, role,
                        {key: MeasureValue(*spec) for key, spec in measures.items()})


def by_id(results):
    return {r.subject_id: r for r in results}


def leaves(node):
    return [node] if not node.children else [leaf for child in node.children for leaf in leaves(child)]


# --- Plans the seeds run ------------------------------------------------------------------

def test_pinggu_4_2_3_1_on_one_worker():
    """Residents = mean(ticket satisfaction 70, survey mean(4,4,5,5 of 5) = 90) = 80;
    departments mean(4,3 of 5) = mean(80, 60) = 70; village 5 of 5 = 100; self 4 of 5 = 80.
    Total = 0.4 x 80 + 0.2 x 70 + 0.3 x 100 + 0.1 x 80 = 32 + 14 + 30 + 8 = 84."""
    plan = default_plans()["pinggu-360"]
    ratings = [Rating("resident", "w1", s, 5, f"r{i}") for i, s in enumerate((4, 4, 5, 5))]
    ratings += [Rating("department", "w1", 4, 5, "d1"), Rating("department", "w1", 3, 5, "d2"),
                Rating("village", "w1", 5, 5, "v1"), Rating("self", "w1", 4, 5, "s1"),
                Rating("village", "someone-else", 1, 5, "v2")]
    (result,) = assess(plan, [worker("w1", satisfaction=(70, 4, ("t1", "t2", "t3", "t4")))], ratings=ratings,
                       period="2026-Q3")
    assert result.score == approx(84) and result.own_score == approx(84)
    total = result.breakdown
    assert [(p.key, p.weight, p.points, p.contribution) for p in total.children] == [
        ("residents", 40, approx(80), approx(32)), ("departments", 20, approx(70), approx(14)),
        ("village", 30, approx(100), approx(30)), ("self", 10, approx(80), approx(8))]
    residents = total.find("residents")
    assert residents.find("ticket_satisfaction").value == 70 and residents.find("ticket_satisfaction").refs == (
        "t1", "t2", "t3", "t4")
    assert residents.find("survey").points == approx(90) and residents.find("survey").volume == 4
    # to_total: 70 x 0.5 x 0.4 = 14 and 90 x 0.5 x 0.4 = 18; all leaves add up to the total.
    assert residents.find("ticket_satisfaction").to_total == approx(14)
    assert residents.find("survey").to_total == approx(18)
    assert sum(leaf.to_total for leaf in leaves(total)) == approx(84)
    assert total.find("departments", "department").refs == ("d1", "d2")
    # Volume: 4 rated tickets + 4 survey + 2 departments + 1 village + 1 self = 12.
    assert result.volume == 12
    # Alone in its scope: mean 84, so ranked 84; rank 1; 75 <= 84 < 90 is good, tier B;
    # 12 >= 5 facts: eligible, and commended (top 10), so not reminded.
    assert (result.ranked_score, result.rank, result.band, result.pay_tier) == (approx(84), 1, "good", "B")
    assert (result.eligible, result.commended, result.reminded) == (True, True, False)


def gaochun_worker():
    return worker(
        "w1", G1,
        events_reported=(12, 12), active_days=(45, 50), patrols=(30, 30), patrols_inside=(0.9, 30),
        households_visited=(0.6, 20), on_time_rate=(0.8, 10), below_department=(0.5, 10),
        satisfaction=(90, 8), accuracy=(1.0, 12))


SELF_ENTRIES = [
    SelfEntry(G1, "2026-07", 8, 10, "e1"), SelfEntry(G1, "2026-07", 9, 10, "e2"),   # 17 / 20 = 0.85
    SelfEntry(G1, "2026-08", 18, 20, "e3"),                                           # 0.90
    SelfEntry(G1, "2026-09", 19, 20, "e4"),                                           # 0.95
    SelfEntry(G1, "2026-06", 0, 20, "before"),        # June is no month of Q3
    SelfEntry(G2, "2026-07", 1, 20, "other-grid"),    # another grid's
]
STREET_RATINGS = [
    Rating("item", "w1", 18, 20, "i1"), Rating("item", "w1", 27, 30, "i2"),
    Rating("party_rep", "w1", 85, 100, "p1"), Rating("party_rep", "w1", 95, 100, "p2"),
    Rating("retired_cadre", "w1", 80, 100, "c1"),
]


def test_gaochun_20_80_with_monthly_self_assessments():
    """Indicators (one worker, so minmax gives 100): events 100 x 15, active days 45/60 = 75
    x 10, patrols 100 x 10, inside 90 x 10, visited 60 x 15, on time 80 x 15, below
    department 50 x 5, satisfaction 90 x 10, accuracy 100 x 10 = 8400 / 100 = 84.
    Street items (18 + 27) / (20 + 30) = 90. Outside raters: party reps mean(85, 95) = 90,
    retired cadres 80, no department: mean(90, 80) = 85.
    Street = 0.6 x 84 + 0.2 x 90 + 0.2 x 85 = 50.4 + 18 + 17 = 85.4.
    Village self-assessment: mean(0.85, 0.90, 0.95) = 0.9 -> 90.
    Total = 0.2 x 90 + 0.8 x 85.4 = 18 + 68.32 = 86.32 (alone at the grid: bound changes nothing)."""
    plan = default_plans()["gaochun-street"]
    (result,) = assess(plan, [gaochun_worker()], entries=SELF_ENTRIES, ratings=STREET_RATINGS, period="2026-Q3")
    total = result.breakdown
    village, street = total.find("village_self"), total.find("street")
    assert [m.key for m in village.children] == ["2026-07", "2026-08", "2026-09"]
    assert [m.value for m in village.children] == [approx(0.85), approx(0.9), approx(0.95)]
    assert village.points == approx(90) and village.contribution == approx(18) and village.volume == 4
    assert village.refs == () and village.children[0].refs == ("e1", "e2") and village.detail["missing"] == []
    assert street.find("indicators").points == approx(84)
    assert street.find("indicators", "active_days").points == approx(75)
    assert street.find("indicators", "events_reported").detail["scope_min"] == 12
    assert street.find("street_items").points == approx(90)
    outside = street.find("outside_raters")
    assert outside.points == approx(85)
    assert [(k.key, k.weight, k.no_data) for k in outside.children] == [
        ("party_rep", 50, False), ("retired_cadre", 50, False), ("department", 0, True)]
    assert street.points == approx(85.4) and street.contribution == approx(68.32)
    assert result.own_score == approx(86.32) and result.score == approx(86.32)
    assert sum(leaf.to_total for leaf in leaves(total)) == approx(86.32)
    # Volume: 4 entries + indicators 12+50+30+30+20+10+10+8+12 = 182 + 2 items + 3 ratings = 191.
    assert result.volume == 191
    assert result.band == "good" and result.pay_tier == "B"


def test_a_missing_month_is_named_and_the_quarter_takes_the_months_entered():
    """July 0.85 and August 0.90 only: (0.85 + 0.90) / 2 = 0.875 -> 87.5."""
    plan = default_plans()["gaochun-street"]
    entries = [e for e in SELF_ENTRIES if e.month != "2026-09"]
    (result,) = assess(plan, [gaochun_worker()], entries=entries, ratings=STREET_RATINGS, period="2026-Q3")
    village = result.breakdown.find("village_self")
    assert village.points == approx(87.5)
    assert village.detail["missing"] == ["2026-09"] and village.note == "missing months: 2026-09"


def test_a_part_with_nothing_in_it_scores_0_and_says_no_data():
    """No entries, no items, no raters: only the indicators' 84 counts: 0.8 x 0.6 x 84 = 40.32."""
    plan = default_plans()["gaochun-street"]
    (result,) = assess(plan, [gaochun_worker()], period="2026-Q3")
    for path in (("village_self",), ("street", "street_items"), ("street", "outside_raters")):
        node = result.breakdown.find(*path)
        assert (node.points, node.no_data, node.note) == (0, True, "no data")
    assert result.breakdown.find("village_self").detail["missing"] == ["2026-07", "2026-08", "2026-09"]
    assert result.score == approx(40.32)


def test_a_mix_part():
    """A: on time 0.7 -> 70, weight 50. B (50) mixes the survey (25; 3 of 5 = 60) and C (75),
    which mixes ticket satisfaction (40; 50) and items (60; 9 of 10 = 90).
    C = 0.4 x 50 + 0.6 x 90 = 20 + 54 = 74; B = 0.25 x 60 + 0.75 x 74 = 15 + 55.5 = 70.5;
    total = 0.5 x 70 + 0.5 x 70.5 = 35 + 35.25 = 70.25. Items count 90 x 0.6 x 0.75 x 0.5 = 20.25."""
    plan = plan_of([
        {"key": "a", "weight": 50, "source": "indicators", "indicators": [
            {"key": "on_time", "measure": "on_time_rate", "normalise": "rate", "weight": 100}]},
        {"key": "b", "weight": 50, "source": "mix", "parts": [
            {"key": "survey", "weight": 25, "source": "survey"},
            {"key": "c", "weight": 75, "source": "mix", "parts": [
                {"key": "tickets", "weight": 40, "source": "ticket_satisfaction"},
                {"key": "items", "weight": 60, "source": "items"}]}]}])
    (result,) = assess(plan, [worker("w1", on_time_rate=(0.7, 10), satisfaction=(50, 2))],
                       ratings=[Rating("resident", "w1", 3, 5), Rating("item", "w1", 9, 10)])
    total = result.breakdown
    assert total.find("b", "c").points == approx(74)
    assert total.find("b").points == approx(70.5)
    assert total.find("b", "c", "items").to_total == approx(20.25)
    assert [leaf.to_total for leaf in leaves(total)] == [approx(35), approx(7.5), approx(7.5), approx(20.25)]
    assert result.score == approx(70.25)


# --- Bound assessment ---------------------------------------------------------------------

def test_bound_assessment_for_a_chief_and_two_workers():
    """Grid G1: chief 90, workers 70 and 50 (own). Shares a = 0.3, b = 0.2.
    Chief = 0.7 x 90 + 0.3 x mean(70, 50) = 63 + 18 = 81 (one pass: the workers' own scores,
    not their finals, which would give 81.6). Grid score = mean(90, 70, 50) = 70.
    Worker 70 -> 0.8 x 70 + 0.2 x 70 = 70; worker 50 -> 0.8 x 50 + 0.2 x 70 = 54.
    G2: a worker alone, 80 -> 80. G3: a chief with no workers, 40 -> 40, unbound."""
    plan = plan_of(one_indicator(), bound={"chief_takes_workers": 0.3, "worker_takes_grid": 0.2})
    results = by_id(assess(plan, [
        worker("chief", G1, "grid_chief", on_time_rate=(0.9, 10)),
        worker("w70", G1, on_time_rate=(0.7, 10)), worker("w50", G1, "part_time_worker", on_time_rate=(0.5, 10)),
        worker("alone", G2, on_time_rate=(0.8, 10)), worker("lone-chief", G3, "grid_chief", on_time_rate=(0.4, 10))]))
    chief = results["chief"]
    assert (chief.own_score, chief.score) == (approx(90), approx(81))
    assert (chief.bound.rule, chief.bound.share, chief.bound.others, chief.bound.of) == (
        "chief_takes_workers", 0.3, approx(60), ("w50", "w70"))
    assert results["w70"].score == approx(70) and results["w50"].score == approx(54)
    assert results["w50"].bound.others == approx(70) and results["w50"].bound.of == ("chief", "w50", "w70")
    assert results["alone"].score == approx(80)
    assert results["lone-chief"].score == approx(40) and results["lone-chief"].bound is None
    assert chief.breakdown.points == approx(90)   # the breakdown is of the own score
    assert [r.subject_id for r in assess(plan, [worker("x", on_time_rate=(0.1, 1))])] == ["x"]


def test_a_village_chief_is_bound_to_the_workers_of_the_grids_below():
    """The village's 网格长 is posted at the village (320508019044), its workers at grids
    001 and 002 and a household group of 002: chief 90 own, workers 70, 50 and 30 ->
    0.7 x 90 + 0.3 x mean(70, 50, 30) = 63 + 15 = 78. A worker of another village is not
    the chief's; each worker still shares only with their own grid."""
    plan = plan_of(one_indicator(), bound={"chief_takes_workers": 0.3, "worker_takes_grid": 0.2})
    village = G1[:12]
    results = by_id(assess(plan, [
        worker("chief", village, "grid_chief", on_time_rate=(0.9, 10)),
        worker("w70", G1, on_time_rate=(0.7, 10)), worker("w50", G2, on_time_rate=(0.5, 10)),
        worker("w30", G2 + "001", on_time_rate=(0.3, 10)),
        worker("elsewhere", "320508019045001", on_time_rate=(0.1, 10))]))
    chief = results["chief"]
    assert chief.score == approx(78) and chief.bound.of == ("w30", "w50", "w70")
    assert results["w70"].score == approx(70) and results["w70"].bound.of == ("w70",)


def test_a_grid_plan_gives_each_grid_the_mean_of_its_people():
    """G1: 80 and 60 -> 70, volume 10 + 30 = 40; G2: 90 alone, volume 5."""
    plan = plan_of(one_indicator(), subject="grid")
    results = by_id(assess(plan, [worker("a", G1, on_time_rate=(0.8, 10, ("t1",))),
                                  worker("b", G1, "grid_chief", on_time_rate=(0.6, 30, ("t2", "t1"))),
                                  worker("c", G2, on_time_rate=(0.9, 5))]))
    assert set(results) == {G1, G2}
    g1 = results[G1]
    assert (g1.subject_kind, g1.grid_code, g1.score, g1.volume) == ("grid", G1, approx(70), 40)
    assert [(m.subject_id, m.own_score) for m in g1.members] == [("a", approx(80)), ("b", approx(60))]
    indicator = g1.breakdown.find("only", "on_time_rate")
    assert (indicator.value, indicator.points, indicator.volume, indicator.refs) == (approx(0.7), approx(70), 40,
                                                                                      ("t1", "t2"))
    assert (results[G2].score, results[G1].rank, results[G2].rank) == (approx(90), 2, 1)


# --- Normalisation ------------------------------------------------------------------------

def test_minmax_spreads_the_scope_and_all_equal_values_give_100_unless_all_did_nothing():
    """Events 2, 5, 8 -> (v - 2) / 6 x 100 = 0, 50, 100. Patrols all 7: 100 for all, also
    with direction lower (nobody is behind anybody). A subject with no value counts 0, says
    no data, and is left out of the scope's min and max."""
    plan = plan_of([{"key": "work", "weight": 100, "source": "indicators", "indicators": [
        {"key": "events", "measure": "events_reported", "normalise": "minmax", "weight": 50},
        {"key": "patrols", "measure": "patrols", "direction": "lower", "normalise": "minmax", "weight": 50}]}])
    results = by_id(assess(plan, [
        worker("a", events_reported=(2, 2), patrols=(7, 7)), worker("b", events_reported=(5, 5), patrols=(7, 7)),
        worker("c", events_reported=(8, 8), patrols=(7, 7)), worker("none", patrols=(7, 7))]))
    events = {sid: r.breakdown.find("work", "events") for sid, r in results.items()}
    assert {sid: node.points for sid, node in events.items()} == {"a": 0, "b": 50, "c": 100, "none": 0}
    assert events["none"].no_data and events["none"].note == "no data" and not events["a"].no_data
    assert (events["a"].detail["scope_min"], events["a"].detail["scope_max"]) == (2, 8)
    assert {sid: r.breakdown.find("work", "patrols").points for sid, r in results.items()} == dict.fromkeys(
        results, 100)
    # Totals: 0.5 x events + 0.5 x 100.
    assert {sid: r.score for sid, r in results.items()} == {"a": 50, "b": 75, "c": 100, "none": 50}
    # Nobody reported anything: nobody earns the events' points; no patrols with lower better: 100.
    idle = by_id(assess(plan, [worker("a", events_reported=(0, 0), patrols=(0, 0)),
                               worker("b", events_reported=(0, 0), patrols=(0, 0))]))
    assert {sid: r.score for sid, r in idle.items()} == {"a": 50, "b": 50}


def test_direction_lower():
    """Rate 0.25 lower -> 100 - 25 = 75. Minmax over 2, 5, 8 lower -> 100, 50, 0.
    Target 10 lower: 4 -> 100 - 40 = 60; 15 -> 100 - 100 = 0."""
    def ind(**spec):
        return load_plan(dict(plan_of(one_indicator()).document,
                              parts=one_indicator(**spec))).parts[0].indicators[0]
    assert normalise(ind(measure="below_department", direction="lower"), 0.25) == approx(75)
    minmax = ind(measure="patrols", normalise_="minmax", direction="lower")
    assert [normalise(minmax, v, low=2, high=8) for v in (2, 5, 8)] == [100, 50, 0]
    target = ind(measure="patrols", normalise_="target", target=10, direction="lower")
    assert (normalise(target, 4), normalise(target, 15)) == (approx(60), 0)
    higher = ind(measure="patrols", normalise_="target", target=10)
    assert (normalise(higher, 4), normalise(higher, 15)) == (approx(40), 100)
    # Satisfaction is a rate of full 100: 90 -> 90 points.
    assert normalise(ind(measure="satisfaction"), 90) == approx(90)
    plan = plan_of(one_indicator(measure="below_department", direction="lower"))
    assert assess(plan, [worker("w", below_department=(0.25, 4))])[0].score == approx(75)


# --- Ranking ------------------------------------------------------------------------------

SHRINK = {"min_volume": 10, "prior_weight": 10, "commend_top": 1, "remind_bottom": 1}


def test_shrinkage_keeps_a_one_case_worker_from_topping_the_ranking():
    """Satisfaction: a 100 on 1 rated ticket, b 92 on 40, c 60 on 20. Mean = (100 + 92 + 60) / 3 = 84.
    k = 10: a (1 x 100 + 10 x 84) / 11 = 940 / 11 = 85.4545...; b (40 x 92 + 840) / 50 = 4520 / 50
    = 90.4; c (20 x 60 + 840) / 30 = 2040 / 30 = 68. Ranks b 1, a 2, c 3. a has 1 < 10 facts:
    not eligible, so b is commended and c reminded."""
    plan = plan_of(one_indicator(measure="satisfaction"), ranking=SHRINK)
    subjects = [worker("a", satisfaction=(100, 1)), worker("b", satisfaction=(92, 40)),
                worker("c", satisfaction=(60, 20))]
    results = assess(plan, subjects)
    assert [r.subject_id for r in results] == ["b", "a", "c"]
    a, b, c = by_id(results)["a"], by_id(results)["b"], by_id(results)["c"]
    assert (a.score, a.ranked_score, a.rank, a.eligible, a.commended) == (100, approx(940 / 11), 2, False, False)
    assert (b.score, b.ranked_score, b.rank, b.eligible, b.commended) == (92, approx(90.4), 1, True, True)
    assert (c.ranked_score, c.rank, c.reminded) == (approx(68), 3, True)
    assert a.band == "excellent"    # bands judge the score itself, not the ranked one
    # Without the prior the single case would top the table.
    unshrunk = plan_of(one_indicator(measure="satisfaction"), ranking=dict(SHRINK, prior_weight=0))
    assert [r.subject_id for r in assess(unshrunk, subjects)] == ["a", "b", "c"]


def test_ties_share_a_rank_compared_at_two_decimals():
    """On time 0.9, 0.8, 0.800004, 0.7, 0.695 -> 90, 80, 80.0004 (80.00 shown), 70, 69.5:
    ranks 1, 2, 2, 4, 5."""
    plan = plan_of(one_indicator())
    results = assess(plan, [worker(sid, on_time_rate=(v, 10)) for sid, v in
                            (("p", 0.9), ("q", 0.8), ("r", 0.800004), ("s", 0.7), ("t", 0.695))])
    assert [(r.subject_id, r.rank) for r in results] == [("p", 1), ("q", 2), ("r", 2), ("s", 4), ("t", 5)]


def test_commend_and_remind_count_the_eligible_only():
    """No shrinkage; min volume 5. s1 (100, 1 fact) and s8 (50, 2 facts) are ineligible.
    Top 2 eligible: s2 (95), s3 (90). Bottom 2 eligible: s7 (60), s6 (70)."""
    plan = plan_of(one_indicator(), ranking={"min_volume": 5, "prior_weight": 0, "commend_top": 2,
                                              "remind_bottom": 2})
    spec = {"s1": (1.0, 1), "s2": (0.95, 10), "s3": (0.9, 10), "s4": (0.85, 10), "s5": (0.8, 10),
            "s6": (0.7, 10), "s7": (0.6, 10), "s8": (0.5, 2)}
    results = assess(plan, [worker(sid, on_time_rate=v) for sid, v in spec.items()])
    assert [r.rank for r in results] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [r.subject_id for r in results if r.commended] == ["s2", "s3"]
    assert [r.subject_id for r in results if r.reminded] == ["s6", "s7"]
    assert [r.subject_id for r in results if not r.eligible] == ["s1", "s8"]
    # A tie at the boundary is commended whole: s3 and s3b share the second place.
    tied = assess(plan, [worker(sid, on_time_rate=v) for sid, v in dict(spec, s3b=(0.9, 10)).items()])
    assert [r.subject_id for r in tied if r.commended] == ["s2", "s3", "s3b"]
    # Three eligible, top 2 and bottom 2: nobody is both commended and reminded.
    few = assess(plan, [worker(sid, on_time_rate=spec[sid]) for sid in ("s2", "s3", "s4")])
    assert [(r.subject_id, r.commended, r.reminded) for r in few] == [
        ("s2", True, False), ("s3", True, False), ("s4", False, True)]


def test_bands_and_pay_tiers():
    """Bands at 2 decimals: 90 and 89.996 (shown 90.00) excellent; 89.99 and 75 good; 74.99 and
    60 pass; 59.99 and 0 fail. Tiers given for excellent (A) and good (B) only."""
    plan = plan_of(one_indicator(), pay_tiers=[{"band": "excellent", "tier": "A"}, {"band": "good", "tier": "B"}])
    values = {"e1": 0.9, "e2": 0.89996, "g1": 0.8999, "g2": 0.75, "p1": 0.7499, "p2": 0.6, "f1": 0.5999, "f2": 0.0}
    results = by_id(assess(plan, [worker(sid, on_time_rate=(v, 10)) for sid, v in values.items()]))
    assert {sid: (r.band, r.pay_tier) for sid, r in results.items()} == {
        "e1": ("excellent", "A"), "e2": ("excellent", "A"), "g1": ("good", "B"), "g2": ("good", "B"),
        "p1": ("pass", None), "p2": ("pass", None), "f1": ("fail", None), "f2": ("fail", None)}


# --- The year -----------------------------------------------------------------------------

def quarter(plan, period, scores):
    """Quarterly results of ``plan`` with ``scores`` {subject: (satisfaction, volume)},
    through JSON as the storage would keep them."""
    results = assess(plan, [worker(sid, satisfaction=spec) for sid, spec in scores.items()], period=period)
    return [Result.from_dict(json.loads(json.dumps(r.to_dict(), ensure_ascii=False))) for r in results]


def test_annual_from_three_quarters():
    """w1: Q1 80 (10 facts), Q2 90 (20), Q3 70 (30), no Q4 -> (80 + 90 + 70) / 3 = 80, volume 60.
    w2: Q1 95 (15), Q2 85 (15) -> 90, volume 30. Mean 85, k = 10:
    w1 (60 x 80 + 10 x 85) / 70 = 5650 / 70 = 80.714...; w2 (30 x 90 + 850) / 40 = 3550 / 40 = 88.75."""
    plan = plan_of(one_indicator(measure="satisfaction"), ranking={"min_volume": 10, "prior_weight": 10,
                                                                  "commend_top": 1, "remind_bottom": 0})
    quarters = {"2026-Q1": quarter(plan, "2026-Q1", {"w1": (80, 10), "w2": (95, 15)}),
                "2026-Q2": quarter(plan, "2026-Q2", {"w1": (90, 20), "w2": (85, 15)}),
                "2026-Q3": quarter(plan, "2026-Q3", {"w1": (70, 30)})}
    results = annual(plan, quarters)
    assert [r.subject_id for r in results] == ["w2", "w1"]
    w1, w2 = by_id(results)["w1"], by_id(results)["w2"]
    assert (w1.score, w1.volume, w1.ranked_score, w1.rank, w1.band) == (approx(80), 60, approx(5650 / 70), 2, "good")
    assert (w2.score, w2.volume, w2.ranked_score, w2.rank, w2.band) == (approx(90), 30, approx(88.75), 1, "excellent")
    assert w2.commended and not w1.commended
    part = w1.breakdown.find("quarters")
    assert [(q.key, q.points, q.weight) for q in part.children] == [
        ("2026-Q1", approx(80), approx(100 / 3)), ("2026-Q2", approx(90), approx(100 / 3)),
        ("2026-Q3", approx(70), approx(100 / 3))]
    assert part.detail["missing"] == ["2026-Q4"] and part.note == "missing quarters: 2026-Q4"
    assert w2.breakdown.find("quarters").detail["missing"] == ["2026-Q3", "2026-Q4"]
    with pytest.raises(ValueError):
        annual(plan, {"2026-Q1": quarters["2026-Q1"], "2025-Q4": quarters["2026-Q2"]})


def test_a_year_plan_weighs_two_quarterly_plans():
    """Street quarters 80 and 90 -> 85; Dianbai quarter 60 -> 60. 0.8 x 85 + 0.2 x 60 = 68 + 12 = 80."""
    plan = plan_of([{"key": "street", "weight": 80, "source": "quarterly_results", "plan": "street"},
                    {"key": "dianbai", "weight": 20, "source": "quarterly_results", "plan": "dianbai"}],
                   period="year")
    quarterly = plan_of(one_indicator(measure="satisfaction"))
    (result,) = assess(plan, [SubjectFacts("w1", grid_code=G1)], period="2026", quarterly={
        "street": {"2026-Q1": quarter(quarterly, "2026-Q1", {"w1": (80, 1)}),
                   "2026-Q2": quarter(quarterly, "2026-Q2", {"w1": (90, 1)})},
        "dianbai": {"2026-Q4": quarter(quarterly, "2026-Q4", {"w1": (60, 1)})}})
    assert result.score == approx(80)
    assert result.breakdown.find("dianbai").detail["missing"] == ["2026-Q1", "2026-Q2", "2026-Q3"]


# --- Consequences -------------------------------------------------------------------------

def year_results(plan, scores, grids):
    """Annual-like results with the given scores (satisfaction = score)."""
    return assess(plan, [worker(sid, grids[sid], satisfaction=(score, 20)) for sid, score in scores.items()])


def test_consequences():
    """2025: a 95, b 93, c 85. 2026: a 92, b 96, c 95, d 55, e 60.
    a: excellent both years at a depth-5 grid -> reserve. b: both years, depth 3 -> not.
    c: excellent in 2026 only -> not. d: 55 < 60 -> contract review; e: 60 is a pass.
    Pay tiers 2026: a, b, c A; e C; d D."""
    document = dict(default_plans()["pinggu-360"].document, parts=one_indicator(measure="satisfaction"))
    plan = load_plan(document)             # Pinggu's rules: three priorities, bands and tiers
    grids = {"a": "1" * 18, "b": "2" * 12, "c": "3" * 15, "d": "4" * 18, "e": "5" * 18}
    depths = {"1" * 18: 5, "2" * 12: 3, "3" * 15: 4, "4" * 18: 5, "5" * 18: 5}
    by_year = {2025: year_results(plan, {"a": 95, "b": 93, "c": 85}, grids),
               "2026": year_results(plan, {"a": 92, "b": 96, "c": 95, "d": 55, "e": 60}, grids)}
    lists = consequences(by_year, plan, depths, party_members={"a"})
    assert lists.year == 2026
    assert [x.subject_id for x in lists.reserve_candidates] == ["a"]
    assert lists.reserve_candidates[0].years == ((2025, 95, "excellent"), (2026, 92, "excellent"))
    assert [(x.subject_id, x.score, x.band) for x in lists.contract_review] == [("d", approx(55), "fail")]
    assert [(x.subject_id, x.tier) for x in lists.pay_tiers] == [("b", "A"), ("c", "A"), ("a", "A"), ("e", "C"),
                                                                 ("d", "D")]
    assert [x.subject_id for x in lists.reserve_pool] == ["b", "c", "a"]
    assert [x.subject_id for x in lists.party_candidates] == ["b", "c"]      # a is a party member already
    assert [x.subject_id for x in lists.employment_contract] == ["b", "c", "a"]
    # The year before: nobody has two years yet; and Gaochun has no three priorities.
    assert consequences(by_year, plan, depths, year=2025).reserve_candidates == ()
    gaochun = load_plan(dict(default_plans()["gaochun-street"].document, parts=one_indicator(measure="satisfaction")))
    other = consequences(by_year, gaochun, depths)
    assert (other.reserve_pool, other.party_candidates) == ((), ())
    assert [x.subject_id for x in other.reserve_candidates] == ["a"]
    json.dumps(lists.to_dict())


# --- The shapes the API stores ------------------------------------------------------------

def test_a_result_goes_through_json_and_back():
    plan = default_plans()["gaochun-street"]
    (result,) = assess(plan, [gaochun_worker()], entries=SELF_ENTRIES, ratings=STREET_RATINGS, period="2026-Q3")
    text = json.dumps(result.to_dict(), ensure_ascii=False)
    assert Result.from_dict(json.loads(text)) == result
    assert isinstance(Result.from_dict(json.loads(text)).breakdown, Breakdown)


def test_the_stored_breakdown_may_cap_refs_and_round_figures():
    """12 refs capped at 5 leave 7 out; 86.32 stays 86.32 at 4 digits, 2/3 becomes 0.6667."""
    plan = plan_of(one_indicator(measure="events_reported", normalise_="target", target=3))
    refs = tuple(f"t{i}" for i in range(12))
    (result,) = assess(plan, [worker("w", events_reported=(2, 12, refs))])
    stored = result.to_dict(max_refs=5, digits=4)
    node = stored["breakdown"]["children"][0]["children"][0]
    assert (node["refs"], node["refs_more"], node["points"]) == (list(refs[:5]), 7, 66.6667)
    assert stored["score"] == 66.6667 and "note" not in node and "no_data" not in node
    assert Result.from_dict(stored).breakdown.find("only", "events_reported").refs == refs[:5]


def test_inputs_out_of_their_scale_are_refused():
    with pytest.raises(ValueError):
        Rating("resident", "w", 6, 5)
    with pytest.raises(ValueError):
        SelfEntry(G1, "2026-07", 11, 10)
    with pytest.raises(ValueError):
        SelfEntry(G1, "2026-07", 0, 0)
    with pytest.raises(ValueError):
        assess(plan_of(one_indicator()), [worker("w"), worker("w")])


def test_confirmed_integrity_flags_are_their_own_lines_and_never_take_a_score_below_zero():
    """Worker a: own 80, flags of 10 and 5 -> 65, the integrity node -15 with a line per
    flag. Worker b: own 10, a flag of 30 -> 0 (it takes off only the 10 earned).
    A grid plan: a (80, flags 15) and c (60) at G1 -> mean 70 less 15 / 2 = 62.5."""
    plan = plan_of(one_indicator())
    flags = {"a": [Deduction("f1", "impossible_rate", 10), Deduction("f2", "copied_text", 5)],
             "b": [Deduction("f3", "deadline_burst", 30)]}
    results = by_id(assess(plan, [worker("a", on_time_rate=(0.8, 10)), worker("b", G2, on_time_rate=(0.1, 10))],
                           deductions=flags))
    a, b = results["a"], results["b"]
    assert (a.own_score, a.score) == (approx(65), approx(65))
    integrity = a.breakdown.find("integrity")
    assert integrity.points == approx(-15) and integrity.to_total == approx(-15)
    assert [(c.key, c.points, c.value, c.refs) for c in integrity.children] == [
        ("f1", approx(-10), 10, ("f1",)), ("f2", approx(-5), 5, ("f2",))]
    assert a.breakdown.find("only").points == approx(80)  # the earned part is shown as earned
    assert b.score == approx(0) and b.breakdown.find("integrity", "f3").points == approx(-10)
    grids = by_id(assess(plan_of(one_indicator(), subject="grid"),
                         [worker("a", on_time_rate=(0.8, 10)), worker("c", on_time_rate=(0.6, 10))],
                         deductions={"a": flags["a"]}))
    assert grids[G1].score == approx(62.5) and grids[G1].breakdown.find("integrity").points == approx(-7.5)
    with pytest.raises(ValueError):
        Deduction("f4", "too_fast", 0)
