"""Statistics compared with the previous period (环比) and the same period last year
(同比), and broken down per grid under the root, per category and per summoned
department; the same figures whether the queries run in turn or at once."""
import pytest

from ticket_month import EAST, HOUR, NOVEMBER, ROOT, T0, WEST, fill
from tickets import MIGRATIONS_DIR, statistics
from tickets.catalogue import DEPARTMENTS


@pytest.fixture(params=["sqlite", "scratch"])
def db(request, tmp_path, open_db):
    handle = open_db("tickets", MIGRATIONS_DIR, f"sqlite:///{tmp_path / 's.db'}" if request.param == "sqlite" else None)
    fill(handle)
    return handle


def figures(db, **kwargs):
    with db.read() as session:
        return statistics.ticket_statistics(session, ROOT, start_day=NOVEMBER[0], end_day=NOVEMBER[1],
                                            now=T0 + 200 * HOUR, children=[WEST, f"{ROOT}046"], **kwargs)


def test_a_month_compared_with_the_month_before_and_the_same_month_last_year(db):
    answer = figures(db)
    assert answer["total"] == 5 and answer["solved"] == 3
    before, last_year = answer["comparisons"]["previous_period"], answer["comparisons"]["same_period_last_year"]
    assert (before["from"], before["to"]) == ("2026-10-01", "2026-10-31")
    assert (last_year["from"], last_year["to"]) == ("2025-11-01", "2025-11-30")
    assert before["total"] == 2 and before["resolution_rate"] == 1.0
    assert before["change"]["total"] == {"absolute": 3, "percent": 150.0}
    assert before["change"]["resolution_rate"] == {"absolute": -0.4, "percent": -40.0}
    assert last_year["total"] == 5 and last_year["solved"] == 1
    assert last_year["change"]["total"] == {"absolute": 0, "percent": 0.0}
    assert last_year["change"]["solved"] == {"absolute": 2, "percent": 200.0}
    assert last_year["satisfaction_rate"] is None and last_year["change"]["satisfaction_rate"] == {
        "absolute": None, "percent": None}, "no ratings last year: no rate, no change"
    assert "open_overdue" not in before, "overdue is of the moment asked, not of a period"


def test_breakdowns_per_grid_category_and_department(db):
    answer = statistics.name_breakdowns(figures(db), grids={WEST: "西社区"}, categories={"UM01": "占道经营"},
                                        departments=DEPARTMENTS)
    grids = {row["code"]: row for row in answer["breakdowns"]["grids"]}
    assert sorted(grids) == [WEST, EAST, f"{ROOT}046"], "the children, and the east community (retired)"
    assert grids[WEST]["name"] == "西社区" and grids[EAST]["name"] is None
    assert (grids[WEST]["total"], grids[WEST]["solved"], grids[EAST]["total"]) == (4, 2, 1)
    assert grids[f"{ROOT}046"]["total"] == 0 and grids[f"{ROOT}046"]["resolution_rate"] is None, "no tickets"
    assert grids[WEST]["on_time_rate"] == 0.5 and grids[WEST]["satisfaction_rate"] == 0.5
    categories = {row["code"]: row for row in answer["breakdowns"]["categories"]}
    assert categories["UM01"]["total"] == 3 and categories["UM01"]["name"] == "占道经营"
    assert categories["SF01"]["total"] == 2 and categories["SF01"]["resolution_rate"] == 0.5
    assert answer["breakdowns"]["departments"] == [{
        "code": "environment", "summoned": 1, "lead": 1, "signed": 1, "signed_on_time": 1, "reported_back": 0,
        "reported_back_on_time": 0, "on_time_rate": 0.0, "breaches": 1, "name": "区生态环境局"}]
    assert answer["sla_breaches"]["rate"] == 0.2


def test_the_queries_run_at_once_give_the_same_figures(db):
    assert figures(db, read_all=db.read_all) == figures(db)
