"""The map's and the overview's roll-ups (gateway.grid_figures), and which published
assessments score a subtree (scoring.assessments.scoring_the_subtree): plain functions
over the rows the services count, so their arithmetic is checked here, without a
broker."""
import types

import eventlet
import pytest

from common.errors import InvalidInput, Unavailable
from gateway import grid_figures as gf
from scoring.assessments import scoring_the_subtree

TOWN = "320599001"
C1, C2 = f"{TOWN}001", f"{TOWN}002"
G11, G12, G21 = f"{C1}001", f"{C1}002", f"{C2}001"


def test_a_fine_code_rolls_up_to_the_longest_grid_prefixing_it():
    rollup = gf.Rollup([C1, C2])
    assert rollup.target(G11 + "004") == C1 and rollup.target(G21) == C2
    assert rollup.target(TOWN) is None and rollup.target("320599002001001") is None
    # leaves of different depths side by side: each fine code goes to its own
    mixed = gf.Rollup([C1, G21])
    assert mixed.target(G11) == C1 and mixed.target(G21 + "001") == G21
    assert mixed.sums([(G11, (2, 1)), (G12, (3, 0)), (G21, (5, 5)), ("9", (7, 7))], width=2) == {
        C1: [5, 1], G21: [5, 5]}


def test_tickets_count_open_or_overdue_per_grid_and_zero_where_none():
    grids = {G11: [5, 2], G12: [1, 1], G21 + "001": [4, 0]}
    assert gf.ticket_values(grids, [C1, C2, f"{TOWN}003"]) == {C1: 6, C2: 4, f"{TOWN}003": 0}
    assert gf.ticket_values(grids, [C1, C2], overdue_only=True) == {C1: 3, C2: 0}
    assert gf.ticket_values(grids, [G11, G12, G21]) == {G11: 5, G12: 1, G21: 4}
    rows = [["daily", "reported", False, 3], ["urgent", "handling", True, 2], ["major", "accepted", True, 1],
            ["daily", "reported", False, 4]]
    assert gf.ticket_summary(rows) == {
        "open": 10, "overdue": 3, "by_grade": {"daily": 7, "urgent": 2, "major": 1},
        "by_state": {"reported": 7, "accepted": 1, "handling": 2}}
    assert gf.ticket_summary([]) == {"open": 0, "overdue": 0, "by_grade": dict.fromkeys(gf.GRADES, 0),
                                     "by_state": dict.fromkeys(gf.OPEN_STATES, 0)}


def test_staffing_gaps_sum_missing_posts_and_are_null_where_nothing_is_staffed():
    gaps = [{"code": G11, "missing": {"grid_police": 1, "part_time_worker": 2}},
            {"code": G12, "missing": {"grid_chief": 1}}]
    staffed = [G11, G12, G21]
    assert gf.staffing_values(gaps, staffed, [C1, C2, f"{TOWN}003"]) == {C1: 4, C2: 0, f"{TOWN}003": None}
    # below the staffed level: no grid of the level is checked itself
    assert gf.staffing_values(gaps, staffed, [G11 + "001"]) == {G11 + "001": None}
    summary = gf.staff_summary([{"name": "李娜", "role": "full_time_worker"}], {
        "grids_checked": 3, "grids_with_gaps": 2,
        "gaps": [dict(gap, name="网格", kind="basic", have={}) for gap in gaps]})
    assert summary["gaps"]["missing"] == {"grid_chief": 1, "grid_police": 1, "part_time_worker": 2}
    assert [g["code"] for g in summary["gaps"]["grids"]] == [G11, G12] and "have" not in summary["gaps"]["grids"][0]


def test_visit_coverage_is_visited_over_households_and_null_with_none():
    grids = {G11: [10, 4], G12: [30, 6], G21: [0, 0]}
    assert gf.coverage_values(grids, [C1, C2]) == {C1: 0.25, C2: None}
    assert gf.coverage_values({G11: [3, 1]}, [G11]) == {G11: 0.3333}
    counts = {"period": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31", "grids": grids, "patrols_today": 2}
    assert gf.coverage_summary(counts) == {"period": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31",
                                           "households": 40, "visited": 10, "coverage": 0.25, "patrols_today": 2}
    assert gf.coverage_summary(dict(counts, grids={}))["coverage"] is None


def test_the_score_is_the_mean_of_the_results_under_each_grid():
    sums = [[G11, 2, 170.0], [G12, 1, 92.5], [G21, 0, 0.0]]
    assert gf.score_values(sums, [C1, C2]) == {C1: 87.5, C2: None}
    assessment = {"id": "a1", "plan": "gaochun-street", "period": "2026-Q4", "scope": TOWN, "version": 1,
                  "published_at": "2026-12-01T00:00:00+00:00", "summary": {}}
    summary = gf.score_summary({"assessments": [assessment], "sums": sums, "results": [
        {"subject_kind": "worker", "subject_id": "p1", "name": "李娜", "score": 92.5, "rank": 1,
         "commended": True, "reminded": False, "assessment_id": "a1", "breakdown": {}}]})
    assert summary["mean"] == 87.5 and summary["results"] == 3
    assert "summary" not in summary["assessments"][0] and "breakdown" not in summary["top"][0]
    assert gf.score_summary({"assessments": [], "sums": [], "results": []}) is None


def _published(scope, n):
    return types.SimpleNamespace(scope=scope, id=f"{scope}-{n}")


def test_the_newest_assessment_covering_the_grid_scores_it_else_each_scope_inside():
    newest_first = [_published(C1, 3), _published(TOWN, 2), _published(TOWN, 1), _published(G11, 0)]
    assert [a.id for a in scoring_the_subtree(newest_first, G11)] == [f"{C1}-3"]
    assert [a.id for a in scoring_the_subtree(newest_first, C2)] == [f"{TOWN}-2"]
    # the district has none of its own: its streets' newest, a community's inside them left out
    assert [a.id for a in scoring_the_subtree(newest_first, "320599")] == [f"{TOWN}-2"]
    inside = [_published(C2, 5), _published(G11, 4), _published(C1, 3)]
    assert [a.id for a in scoring_the_subtree(inside, TOWN)] == [f"{C1}-3", f"{C2}-5"]
    assert scoring_the_subtree([], TOWN) == []


def test_gather_leaves_out_a_part_whose_service_is_down_or_late_and_raises_anything_else():
    def down():
        raise Unavailable("The tickets service did not answer.", code="SERVICE_UNAVAILABLE")

    def late():
        eventlet.sleep(5)
        return "never"

    found, missing = gf.gather({"a": ("people", lambda: 1), "b": ("tickets", down), "c": ("scoring", late),
                                "d": ("people", lambda: {"x": 2})}, wait=0.2)
    assert found == {"a": 1, "b": None, "c": None, "d": {"x": 2}} and missing == ["scoring", "tickets"]

    def refused():
        raise InvalidInput("bad period", code="VALIDATION_FAILED")

    with pytest.raises(InvalidInput):
        gf.gather({"a": ("people", refused)}, wait=1)


def test_the_measures_name_their_service_and_unit():
    assert set(gf.MEASURES) == {"open_tickets", "overdue_tickets", "staffing_gaps", "visit_coverage", "score"}
    from gateway.schemas.grids import MEASURE_NAMES
    assert set(MEASURE_NAMES) == set(gf.MEASURES)
