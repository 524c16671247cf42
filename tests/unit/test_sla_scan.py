"""The breach scan on a real database: each clock breaches once."""
import datetime as dt

import pytest

from tickets import MIGRATIONS_DIR, loop, statistics, workflow
from tickets.calendar import WorkCalendar
from tickets.catalogue import Catalogue
from tickets.models import Dispatch, SlaBreach, Ticket

NOW = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.timezone.utc)
SETTINGS = loop.Settings(Catalogue(), WorkCalendar())


@pytest.fixture
def db(open_db):
    return open_db("tickets", MIGRATIONS_DIR)


def test_department_clocks_breach_once_per_department(db):
    hour = dt.timedelta(hours=1)
    with db.transaction() as session:
        session.add(Ticket(id="t1", number="20261123-00001", grid_code="320508019044001", source="grid_patrol",
                           description="x", status="handling", level="department", category="EP01", grade="daily",
                           reported_at=NOW - 100 * hour, resolve_due=NOW + 100 * hour, reopen_count=0,
                           suspended=False, suspended_seconds=0, meeting_disposal=False, anonymous=False,
                           attachments=[], version=1))
        session.flush()
        session.add_all([
            Dispatch(ticket_id="t1", department="environment", lead=True, dispatched_at=NOW - 5 * hour,
                     sign_due=NOW - 4 * hour, contact_due=NOW + hour, attend_due=NOW - hour),
            Dispatch(ticket_id="t1", department="urban_management", lead=False, dispatched_at=NOW - 5 * hour,
                     sign_due=NOW - 4 * hour, contact_due=NOW - hour, attend_due=NOW + 50 * hour,
                     signed_at=NOW - 4.5 * hour),
        ])
    with db.transaction() as session:
        first = sorted(clock for _, clock, _, _ in loop.scan_breaches(session, NOW, SETTINGS))
    with db.transaction() as session:
        again = loop.scan_breaches(session, NOW + hour, SETTINGS)
    assert first == ["attend:environment", "contact:urban_management", "sign:environment"]
    assert again == []


def test_a_reopened_ticket_gets_a_new_resolve_deadline_and_can_breach_it_once_more(db):
    day = dt.timedelta(days=1)
    with db.transaction() as session:
        session.add(Ticket(id="t2", number="20261123-00002", grid_code="320508019044001", source="resident_report",
                           description="路灯不亮", status="rated", level="grid", resolved_level="grid",
                           category="UM07", grade="daily", reported_at=NOW - 20 * day, accept_due=NOW - 19 * day,
                           respond_due=NOW - 19 * day, resolve_due=NOW - 10 * day, resolved_at=NOW - 12 * day,
                           outcome="fixed", feedback_at=NOW - 12 * day, rated_at=NOW - day, satisfaction=2,
                           reporter_account_id="r1", reopen_count=0, suspended=False, suspended_seconds=0,
                           meeting_disposal=False, anonymous=False, attachments=[]))
        session.flush()
        session.add(SlaBreach(ticket_id="t2", clock="resolve", due=NOW - 30 * day, breached_at=NOW - 29 * day))
    reporter = workflow.Actor(account_id="r1", username="zhang", roles=("resident",))
    with db.transaction() as session:
        ticket, _ = loop.act(session, "t2", "reopen", reporter, {"note": "还是不亮"}, None, NOW, SETTINGS)
        due = ticket.resolve_due
    assert due > NOW, "the resolve clock restarts for the new round"
    with db.transaction() as session:
        assert loop.scan_breaches(session, NOW + dt.timedelta(minutes=5), SETTINGS) == [], \
            "the first round's deadline, met long ago, is no breach now"
    with db.transaction() as session:
        late = [(t.id, clock, escalated) for t, clock, _, escalated in loop.scan_breaches(session, due + day, SETTINGS)]
    assert late == [("t2", "resolve#1", "town")]
    with db.read() as session:
        stats = statistics.ticket_statistics(session, None, (NOW - 30 * day).date(), (NOW + 30 * day).date())
    assert stats["sla_breaches"]["by_clock"] == {"resolve": 2}
