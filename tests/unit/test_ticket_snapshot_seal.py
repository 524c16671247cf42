"""The two ticket fields the snapshot brought (``reporter_person_id``, ``reported_category``):
the migration fills them for older tickets, older tickets' seals still verify, and an
edit of either in the database is reported, on older tickets and new ones alike."""
import datetime as dt
import hashlib
import json

import pytest
import sqlalchemy as sa
from nameko.testing.services import worker_factory

from common.cli import open_database
from common.db import make_engine
from common.migrations import upgrade
from common.outbox import OutboxWriter
from common.pii import PiiCipher
from tickets import MIGRATIONS_DIR, trail
from tickets.calendar import WorkCalendar
from tickets.catalogue import Catalogue
from tickets.actions import Settings
from tickets.models import Ticket, TrailEntry
from tickets.service import TicketsService

SETTINGS, CIPHER = Settings(Catalogue(), WorkCalendar()), PiiCipher(bytes(32))
GRID = "320508019044001"
ADMIN = {"account_id": "a-admin", "username": "admin", "roles": ["admin"]}
WORKER = {"account_id": "a-w", "username": "w", "roles": ["grid_worker"], "scope": GRID, "person_id": "p-w"}
RESIDENT = {"account_id": "a-r", "username": "r", "roles": ["resident"]}
NEW_FIELDS = ("reporter_person_id", "reported_category")
LATER_COLUMNS = NEW_FIELDS + ("resolved_by_person_id", "description_sig")  # after release 0012 too


class FakeGrid:
    def get_grid(self, code, with_geometry=False):
        return {"code": code}


class NoWitness:
    def trail_witness(self, ticket_id):
        return None


def service(db):
    return worker_factory(TicketsService, db=db, outbox=OutboxWriter("tickets"), settings=SETTINGS, cipher=CIPHER,
                          grid=FakeGrid(), scoring=NoWitness())


def edit(db, ticket_id, **values):
    with db.transaction() as session:
        session.execute(sa.update(Ticket).where(Ticket.id == ticket_id).values(**values)
                        .execution_options(synchronize_session=False))


def problems(db, ticket_id):
    return [p.get("fields") for p in service(db).verify_ticket(ticket_id)["problems"]]


def sealed_as_release_0012(row):
    """The row seal as the release before these fields wrote it (trail.row_digest then)."""
    def dumps(value):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)

    def value(v):
        return v.astimezone(dt.timezone.utc).isoformat(timespec="microseconds") if isinstance(v, dt.datetime) else v

    values = {name: value(row[name]) for name in (
        "status", "level", "grid_code", "outcome", "category", "grade", "satisfaction", "duplicate_of",
        "reopen_count", "suspended", "lead_department", "description", "reporter_account_id", "anonymous",
        "reported_at", "lon", "lat", "accept_due", "respond_due", "resolve_due")}
    return {"sha256": hashlib.sha256(dumps(values).encode()).hexdigest(),
            "fields": {name: hashlib.sha256(dumps([name, v]).encode()).hexdigest()[:8] for name, v in values.items()}}


def test_an_older_ticket_gets_its_category_as_first_reported_and_still_verifies(scratch_db):
    engine = make_engine(scratch_db)
    upgrade(engine, MIGRATIONS_DIR, lock_name="tickets", revision="0012")
    reported = dt.datetime(2026, 10, 8, 2, 30, tzinfo=dt.timezone.utc)
    row = dict(id="00000000-0000-4000-8000-000000000001", number="20261008-00001", grid_code=GRID,
               source="resident_report", description="井盖缺失", status="reported", reporter_account_id="a-r",
               reported_at=reported, category="UM06", grade="daily", level=None, lon=None, lat=None,
               attachments=[], anonymous=False, outcome=None, satisfaction=None, duplicate_of=None, reopen_count=0,
               suspended=False, suspended_seconds=0, meeting_disposal=False, lead_department=None,
               accept_due=reported + dt.timedelta(hours=4), respond_due=reported + dt.timedelta(hours=24),
               resolve_due=reported + dt.timedelta(days=5), created_at=reported, updated_at=reported, version=1)
    entry = dict(ticket_id=row["id"], seq=1, action="report", actor_account_id="a-r", actor_username="r",
                 actor_role="resident", at=reported.isoformat(), from_state=None, to_state="reported",
                 from_level=None, to_level=None, note=None, data={"category": "UM06"},
                 row_digest=sealed_as_release_0012(row), prev_hash=trail.GENESIS)
    entry["hash"] = row["trail_head"] = trail.entry_hash(trail.GENESIS, entry)
    then = sa.Table("tickets", sa.MetaData(), *(column._copy() for column in Ticket.__table__.columns
                                                if column.name not in LATER_COLUMNS))
    with engine.begin() as connection:
        connection.execute(then.insert().values(**row))
        connection.execute(TrailEntry.__table__.insert().values(**entry))
    engine.dispose()

    db = open_database("tickets", MIGRATIONS_DIR, {"DB_URL": scratch_db})  # on to the newest revision
    try:
        [item] = service(db).ticket_snapshots()["items"]
        assert (item["category"], item["reported_category"], item["reporter_person_id"]) == ("UM06", "UM06", None)
        assert service(db).verify_ticket(row["id"])["intact"] is True, "its seal knew neither field"
        edit(db, row["id"], reported_category="UM07")
        assert problems(db, row["id"]) == [["reported_category"]]
        edit(db, row["id"], reported_category="UM06", reporter_person_id="p-someone")
        assert problems(db, row["id"]) == [["reporter_person_id"]]
        edit(db, row["id"], reporter_person_id=None)
        version = service(db).act(row["id"], {"action": "accept", "version": 1}, ADMIN)["ticket"]["version"]
        assert version == 2 and service(db).verify_ticket(row["id"])["intact"] is True
    finally:
        db.engine.dispose()


@pytest.fixture
def db(open_db):
    return open_db("tickets", MIGRATIONS_DIR)


def test_editing_who_reported_a_ticket_is_reported(db):
    ticket = service(db).report_ticket({"grid_code": GRID, "category": "UM07", "description": "路灯不亮"}, WORKER)
    assert service(db).verify_ticket(ticket["id"])["intact"] is True
    edit(db, ticket["id"], reporter_person_id="p-other")
    assert problems(db, ticket["id"]) == [["reporter_person_id"]]
    edit(db, ticket["id"], reporter_person_id=None)  # a staff report passed off as nobody's
    assert problems(db, ticket["id"]) == [["reporter_person_id"]]
    edit(db, ticket["id"], reporter_person_id="p-w")
    assert service(db).verify_ticket(ticket["id"])["intact"] is True

    by_resident = service(db).report_ticket({"grid_code": GRID, "category": "UM07", "description": "路灯不亮"},
                                            RESIDENT)
    edit(db, by_resident["id"], reporter_person_id="p-w")  # a resident's report claimed as a worker's own
    assert problems(db, by_resident["id"]) == [["reporter_person_id"]]


def test_erasing_a_recategorisation_is_reported(db):
    ticket = service(db).report_ticket({"grid_code": GRID, "category": "UM07", "description": "路灯不亮"}, WORKER)
    service(db).act(ticket["id"], {"action": "recategorise", "version": ticket["version"], "category": "UM06"}, ADMIN)
    assert service(db).verify_ticket(ticket["id"])["intact"] is True
    edit(db, ticket["id"], reported_category="UM06")  # as if it had been reported right
    assert problems(db, ticket["id"]) == [["reported_category"]]


def test_editing_who_resolved_a_ticket_is_reported(db):
    svc = service(db)
    ticket = svc.report_ticket({"grid_code": GRID, "category": "UM07", "description": "路灯不亮"}, WORKER)
    version = ticket["version"]
    for step in ({"action": "accept"}, {"action": "handle"}, {"action": "resolve", "outcome": "fixed"}):
        version = svc.act(ticket["id"], dict(step, version=version), WORKER)["ticket"]["version"]
    assert svc.verify_ticket(ticket["id"])["intact"] is True
    edit(db, ticket["id"], resolved_by_person_id="p-other")  # one's own resolution passed off as another's
    assert problems(db, ticket["id"]) == [["resolved_by_person_id"]]
    edit(db, ticket["id"], resolved_by_person_id=None)
    assert problems(db, ticket["id"]) == [["resolved_by_person_id"]]
    edit(db, ticket["id"], resolved_by_person_id="p-w")
    assert svc.verify_ticket(ticket["id"])["intact"] is True


def test_older_tickets_get_their_descriptions_signed_and_nobody_as_resolver(scratch_db):
    from common import textsig

    description = "小区北门路灯不亮，夜间出行不便，请尽快维修"
    engine = make_engine(scratch_db)
    upgrade(engine, MIGRATIONS_DIR, lock_name="tickets", revision="0013")
    reported = dt.datetime(2026, 10, 8, 2, 30, tzinfo=dt.timezone.utc)
    then = sa.Table("tickets", sa.MetaData(), *(column._copy() for column in Ticket.__table__.columns
                                                if column.name not in ("resolved_by_person_id", "description_sig")))
    with engine.begin() as connection:
        for n, text in enumerate((description, "井盖缺失")):
            connection.execute(then.insert().values(
                id=f"00000000-0000-4000-8000-00000000000{n}", number=f"20261008-0000{n}", grid_code=GRID,
                source="resident_report", description=text, status="resolved", reporter_account_id="a-r",
                reported_at=reported, resolved_at=reported, category="UM06", reported_category="UM06",
                grade="daily", attachments=[], anonymous=False, reopen_count=0, suspended=False,
                suspended_seconds=0, meeting_disposal=False, created_at=reported, updated_at=reported, version=3))
    engine.dispose()
    db = open_database("tickets", MIGRATIONS_DIR, {"DB_URL": scratch_db})
    try:
        items = service(db).ticket_snapshots()["items"]
    finally:
        db.engine.dispose()
    assert [(item["description_sig"], item["resolved_by_person_id"], item["version"]) for item in items] == [
        (textsig.signature(description), None, 3), (None, None, 3)]
