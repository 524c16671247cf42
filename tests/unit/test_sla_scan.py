"""The breach scan on a real database: each clock breaches once."""
import datetime as dt

import pytest

from common.cli import open_database
from tickets import MIGRATIONS_DIR, loop
from tickets.calendar import WorkCalendar
from tickets.catalogue import Catalogue
from tickets.models import Dispatch, Ticket

NOW = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.timezone.utc)
SETTINGS = loop.Settings(Catalogue(), WorkCalendar())


@pytest.fixture
def db(scratch_db):
    handle = open_database("tickets", MIGRATIONS_DIR, {"DB_URL": scratch_db})
    yield handle
    handle.engine.dispose()


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
