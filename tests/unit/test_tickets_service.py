"""TicketsService with worker_factory: a real database, a fake grid service."""
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import func, select

from common.cli import open_database
from common.errors import InvalidInput, NotFound
from common.outbox import OutboxWriter, outbox_events
from tickets import MIGRATIONS_DIR
from tickets.models import Ticket
from tickets.service import TicketsService

from common.pii import PiiCipher
from tickets.calendar import WorkCalendar
from tickets.catalogue import Catalogue
from tickets.loop import Settings

SETTINGS = SimpleNamespace(settings=Settings(Catalogue(), WorkCalendar()), cipher=PiiCipher(bytes(32)))


class FakeGrid:
    def __init__(self, codes):
        self.codes = codes

    def get_grid(self, code):
        if code not in self.codes:
            raise NotFound(f"No grid has the code {code}.", code="GRID_NOT_FOUND")
        return {"code": code}


class BrokenOutbox(OutboxWriter):
    def add(self, session, event_type, payload, schema_version=1):
        super().add(session, event_type, payload, schema_version)
        raise RuntimeError("disk full")


@pytest.fixture
def db(scratch_db):
    handle = open_database("tickets", MIGRATIONS_DIR, {"DB_URL": scratch_db})
    yield handle
    handle.engine.dispose()


def count(db, table):
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(table))


def service(db, outbox=None):
    return worker_factory(TicketsService, db=db, outbox=outbox or OutboxWriter("tickets"), loop=SETTINGS,
                          grid=FakeGrid({"320508019044001"}))


def test_a_reported_ticket_and_its_event_are_stored_together(db):
    ticket = service(db).report_ticket({"grid_code": "320508019044001", "category": "UM07", "description": "路灯不亮"})
    second = service(db).report_ticket({"grid_code": "320508019044001", "category": "UM06", "description": "井盖缺失"})
    assert ticket["status"] == "reported" and ticket["source"] == "grid_patrol"
    assert int(second["number"][-5:]) == int(ticket["number"][-5:]) + 1
    with db.read() as session:
        event = session.execute(select(outbox_events).order_by(outbox_events.c.created_at)).first()
    assert event.event_type == "ticket_reported" and event.payload["ticket_id"] == ticket["id"]
    assert event.published_at is None


def test_no_ticket_without_its_event(db):
    with pytest.raises(RuntimeError):
        service(db, BrokenOutbox("tickets")).report_ticket(
            {"grid_code": "320508019044001", "category": "UM07", "description": "路灯不亮"})
    assert count(db, Ticket.__table__) == 0 and count(db, outbox_events) == 0


def test_unknown_grid_and_bad_fields_are_refused_before_anything_is_stored(db):
    with pytest.raises(InvalidInput) as caught:
        service(db).report_ticket({"grid_code": "320508019044999", "category": "UM07", "description": "路灯不亮"})
    assert caught.value.code == "UNKNOWN_GRID" and caught.value.details == {"field": "grid_code"}
    with pytest.raises(InvalidInput) as caught:
        service(db).report_ticket({"grid_code": "320508019044001", "description": "x", "source": "pigeon"})
    assert set(caught.value.details["fields"]) == {"category", "description", "source"}
    with pytest.raises(InvalidInput) as caught:
        service(db).report_ticket({"grid_code": "320508019044001", "category": "XX01", "description": "路灯不亮"})
    assert caught.value.code == "UNKNOWN_CATEGORY"
    assert count(db, Ticket.__table__) == 0
