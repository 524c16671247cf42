"""Statistics give the same figures on SQLite (percentiles in Python) and on
PostgreSQL (percentiles in SQL)."""
import datetime as dt

import pytest

from common.cli import open_database
from tickets import MIGRATIONS_DIR
from tickets.models import SlaBreach, Ticket
from tickets.statistics import ticket_statistics

T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.timezone.utc)  # 09:00 in Shanghai


def ticket(n, **fields):
    base = dict(id=f"t{n}", number=f"20261102-{n:05d}", grid_code="320508019044001", source="grid_patrol",
                description="x", status="reported", category="UM01", grade="daily", reported_at=T0,
                resolve_due=T0 + dt.timedelta(days=3), reopen_count=0, suspended=False, suspended_seconds=0,
                meeting_disposal=False, anonymous=False, attachments=[], version=1)
    base.update(fields)
    return Ticket(**base)


@pytest.fixture(params=["sqlite", "scratch"])
def db(request, tmp_path, scratch_db):
    url = f"sqlite:///{tmp_path / 's.db'}" if request.param == "sqlite" else scratch_db
    handle = open_database("tickets", MIGRATIONS_DIR, {"DB_URL": url})
    hours = dt.timedelta(hours=1)
    with handle.transaction() as session:
        session.add_all([
            ticket(1, status="closed", accepted_at=T0 + 1 * hours, resolved_at=T0 + 10 * hours,
                   resolved_level="grid", outcome="fixed", satisfaction=5),
            ticket(2, status="rated", accepted_at=T0 + 2 * hours, resolved_at=T0 + 20 * hours,
                   resolved_level="community", outcome="fixed", satisfaction=2),
            ticket(3, status="resolved", accepted_at=T0 + 3 * hours, resolved_at=T0 + 100 * hours,
                   resolved_level="department", outcome="fixed", category="SF01", grade="urgent"),
            # withdrawn by its reporter an hour in: counted, but no resolution
            ticket(6, status="resolved", resolved_at=T0 + 1 * hours, resolved_level="grid", outcome="withdrawn",
                   source="resident_report"),
            # rated 1 and reopened: handled again one level up, in a new round with its own deadline; its
            # old resolved_level (as reopen left it before migration 0008) must not count as solved
            ticket(7, status="handling", level="community", accepted_at=T0 + 5 * hours, reopen_count=1,
                   resolved_level="grid", resolve_due=T0 + dt.timedelta(days=10), source="resident_report"),
            ticket(4, status="handling", accepted_at=T0 + 4 * hours, source="hotline_12345"),
            ticket(5, status="merged", grid_code="320508014021001"),
        ])
        session.flush()
        breach = dict(due=T0, breached_at=T0 + hours)
        session.add_all([
            SlaBreach(ticket_id="t3", clock="resolve", escalated_to="town", **breach),
            SlaBreach(ticket_id="t3", clock="sign:environment", **breach),
            SlaBreach(ticket_id="t3", clock="attend:environment", **breach),
            SlaBreach(ticket_id="t3", clock="sign:urban_management", **breach),
            SlaBreach(ticket_id="t4", clock="accept", **breach),
            SlaBreach(ticket_id="t5", clock="accept", **breach),  # outside the subtree
        ])
    yield handle
    handle.engine.dispose()


def test_figures_for_a_subtree_and_period(db):
    with db.read() as session:
        stats = ticket_statistics(session, "320508019", start_day=dt.date(2026, 11, 1), end_day=dt.date(2026, 11, 30),
                                  now=T0 + dt.timedelta(days=4))
        outside = ticket_statistics(session, "320508019", start_day=dt.date(2026, 11, 3), end_day=dt.date(2026, 11, 30))
    assert stats["total"] == 6 and outside["total"] == 0
    assert stats["by_status"] == {"closed": 1, "handling": 2, "rated": 1, "resolved": 2}
    assert stats["by_category"] == {"SF01": 1, "UM01": 5} and stats["by_source"]["hotline_12345"] == 1
    assert stats["by_outcome"] == {"fixed": 3, "withdrawn": 1} and stats["withdrawn"] == 1
    assert stats["resolution_rate"] == 0.6, "3 solved of 5: the withdrawn report is neither"
    assert stats["on_time_rate"] == round(2 / 3, 4)  # 100 h is past the 3-day deadline
    assert stats["open_overdue"] == 1, "t4 is past its resolve deadline; the reopened t7 has a new one"
    assert stats["ratings"] == 3, "t1's 5, t2's 2 and the 1 that reopened t7"
    assert stats["satisfaction_rate"] == round(1 / 3, 4)
    assert stats["resolved_at_level"] == {"community": 1, "department": 1, "grid": 1}
    assert stats["share_solved_below_department"] == round(2 / 3, 4)
    assert stats["hours_to_accept"] == {"median": 3.0, "p90": 4.6}
    assert stats["hours_to_resolve"] == {"median": 20.0, "p90": 84.0}, "the withdrawal after 1 h is not counted"
    assert stats["sla_breaches"] == {
        "total": 5, "tickets": 2, "rate": round(2 / 6, 4), "escalated": 1,
        "by_clock": {"accept": 1, "attend": 1, "resolve": 1, "sign": 2},
        "by_department": {"environment": {"attend": 1, "sign": 1}, "urban_management": {"sign": 1}}}
    assert outside["hours_to_accept"] == outside["hours_to_resolve"] == {"median": None, "p90": None}
    assert outside["by_status"] == {} and outside["resolved_at_level"] == {} and outside["on_time_rate"] is None
    assert outside["sla_breaches"] == {"total": 0, "tickets": 0, "rate": None, "escalated": 0,
                                       "by_clock": {}, "by_department": {}}
