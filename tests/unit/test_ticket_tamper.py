"""The tamper check of a ticket: its trail seals the row's guarded fields, and every
trail append's event carries the new head to a witness outside the tickets database
(scoring), so a row edited in place, or a last entry deleted with the head rewound,
is reported."""
import datetime as dt

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select, update

from common.errors import InvalidInput, Unavailable
from common.events import make_envelope
from common.outbox import OutboxWriter, outbox_events
from common.pii import PiiCipher
from scoring import MIGRATIONS_DIR as SCORING_MIGRATIONS
from scoring import witness
from tickets import MIGRATIONS_DIR, trail
from tickets.calendar import WorkCalendar
from tickets.catalogue import Catalogue
from tickets.actions import Settings
from tickets.models import Ticket, TrailEntry
from tickets.service import TicketsService

SETTINGS, CIPHER = Settings(Catalogue(), WorkCalendar()), PiiCipher(bytes(32))
GRID = "320508019044001"
ADMIN = {"account_id": "a-admin", "username": "admin", "roles": ["admin"]}
RESIDENT = {"account_id": "a-r1", "username": "zhang", "roles": ["resident"]}


class FakeGrid:
    def get_grid(self, code, with_geometry=False):
        return {"code": code}


class OutboxWitness:
    """Scoring as the events would leave it: the highest mark each ticket's events carry."""

    def __init__(self, db, up=True):
        self.db, self.up = db, up

    def marks(self):
        best = {}
        with self.db.read() as session:
            for (payload,) in session.execute(select(outbox_events.c.payload)):
                if "trail_seq" in payload and payload["trail_seq"] > best.get(payload["ticket_id"], (0,))[0]:
                    best[payload["ticket_id"]] = (payload["trail_seq"], payload["trail_head"])
        return best

    def trail_witness(self, ticket_id):
        if not self.up:
            raise Unavailable("The scoring service is not running; please retry shortly.", code="SERVICE_UNAVAILABLE")
        mark = self.marks().get(ticket_id)
        return mark and {"ticket_id": ticket_id, "trail_seq": mark[0], "trail_head": mark[1]}


@pytest.fixture
def db(open_db):
    return open_db("tickets", MIGRATIONS_DIR)


def service(db, scoring=None):
    return worker_factory(TicketsService, db=db, outbox=OutboxWriter("tickets"), settings=SETTINGS, cipher=CIPHER,
                          grid=FakeGrid(), scoring=scoring or OutboxWitness(db))


def handled(db, category="UM07"):
    ticket = service(db).report_ticket({"grid_code": GRID, "category": category, "description": "路灯不亮"}, RESIDENT)
    version = ticket["version"]
    for action in ("accept", "handle"):
        version = service(db).act(ticket["id"], {"action": action, "version": version}, ADMIN)["ticket"]["version"]
    return ticket["id"], version


def edit(db, ticket_id, **values):
    with db.transaction() as session:
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(**values)
                        .execution_options(synchronize_session=False))


def test_a_row_edited_in_the_database_is_reported_naming_its_fields(db):
    ticket_id, _ = handled(db)
    fresh = service(db).verify_ticket(ticket_id, ADMIN)
    assert fresh["intact"] is True and fresh["problems"] == []
    assert fresh["witness"] == {"checked": True, "witnessed": True, "trail_seq": 3}

    edit(db, ticket_id, status="closed")
    closed = service(db).verify_ticket(ticket_id, ADMIN)
    assert closed["intact"] is False
    assert [(p["seq"], p["fields"]) for p in closed["problems"]] == [(3, ["status"])]

    edit(db, ticket_id, status="handling", grid_code="320508014021001", outcome="fixed")
    moved = service(db).verify_ticket(ticket_id, ADMIN)
    assert [p["fields"] for p in moved["problems"]] == [["grid_code", "outcome"]]

    edit(db, ticket_id, grid_code=GRID, outcome=None)
    assert service(db).verify_ticket(ticket_id, ADMIN)["intact"] is True, "put back, it verifies again"


def test_the_last_entry_deleted_with_its_head_rewound_is_caught_by_the_witness(db):
    ticket_id, version = handled(db)
    version = service(db).act(ticket_id, {"action": "escalate", "version": version}, ADMIN)["ticket"]["version"]
    # A meeting changes no guarded field: deleting its entry leaves a row that matches the
    # entry before it, and rewinding the head leaves a consistent chain.
    service(db).act(ticket_id, {"action": "meeting", "version": version, "note": "社区协调会"}, ADMIN)
    with db.transaction() as session:
        session.execute(TrailEntry.__table__.delete().where(TrailEntry.ticket_id == ticket_id, TrailEntry.seq == 5))
        previous = session.scalar(select(TrailEntry.hash).where(TrailEntry.ticket_id == ticket_id,
                                                                 TrailEntry.seq == 4))
    edit(db, ticket_id, trail_head=previous)

    blind = service(db, OutboxWitness(db, up=False)).verify_ticket(ticket_id, ADMIN)
    assert blind["intact"] is True, "the chain alone cannot see it"
    assert blind["witness"]["checked"] is False and "scoring" in blind["witness"]["reason"]

    seen = service(db).verify_ticket(ticket_id, ADMIN)
    assert seen["intact"] is False and seen["witness"]["trail_seq"] == 5
    assert seen["problems"] == [{"seq": 5, "problem": "the witness saw entry 5; the trail ends at 4 (entries deleted)"}]


def test_an_entry_rewritten_with_its_whole_chain_recomputed_is_caught_by_the_witness(db):
    ticket_id, _ = handled(db)
    with db.transaction() as session:
        entries = session.scalars(select(TrailEntry).where(TrailEntry.ticket_id == ticket_id)
                                  .order_by(TrailEntry.seq)).all()
        entries[1].note, prev = "补记：当场受理", trail.GENESIS
        for entry in entries:  # the forger recomputes every hash: no secret stops that
            entry.prev_hash = prev
            entry.hash = prev = trail.entry_hash(prev, {name: getattr(entry, name) for name in
                                                        trail.HASHED_FIELDS + ("row_digest",)})
    edit(db, ticket_id, trail_head=prev)
    assert service(db, OutboxWitness(db, up=False)).verify_ticket(ticket_id, ADMIN)["intact"] is True
    seen = service(db).verify_ticket(ticket_id, ADMIN)
    assert seen["intact"] is False and "rewritten" in seen["problems"][0]["problem"]


def test_trails_written_before_the_seal_still_verify(db):
    ticket_id, _ = handled(db)
    with db.transaction() as session:  # as the entries of earlier releases: no row digest
        prev = trail.GENESIS
        for entry in session.scalars(select(TrailEntry).where(TrailEntry.ticket_id == ticket_id)
                                     .order_by(TrailEntry.seq)):
            entry.row_digest, entry.prev_hash = None, prev
            entry.hash = prev = trail.entry_hash(prev, {name: getattr(entry, name) for name in trail.HASHED_FIELDS})
    edit(db, ticket_id, trail_head=prev)
    legacy = service(db, OutboxWitness(db, up=False)).verify_ticket(ticket_id, ADMIN)
    assert legacy["intact"] is True and legacy["problems"] == []
    edit(db, ticket_id, status="closed")  # no seal to compare with: the row goes unchecked
    assert service(db, OutboxWitness(db, up=False)).verify_ticket(ticket_id, ADMIN)["intact"] is True
    with db.transaction() as session:
        session.execute(update(TrailEntry).where(TrailEntry.ticket_id == ticket_id, TrailEntry.seq == 2)
                        .values(note="改过"))
    assert service(db, OutboxWitness(db, up=False)).verify_ticket(ticket_id, ADMIN)["problems"][0]["seq"] == 2


def outbox(db):
    with db.read() as session:
        return [(row.event_type, row.payload) for row in session.execute(
            select(outbox_events).order_by(outbox_events.c.created_at))]


def heads(db, ticket_id):
    with db.read() as session:
        return {row.seq: row.hash for row in session.execute(
            select(TrailEntry.seq, TrailEntry.hash).where(TrailEntry.ticket_id == ticket_id))}


def test_every_trail_append_is_announced_with_its_mark(db):
    ticket_id, version = handled(db)
    other = service(db).report_ticket({"grid_code": GRID, "category": "UM07", "description": "同一盏路灯"}, RESIDENT)
    service(db).act(other["id"], {"action": "merge", "version": other["version"], "into": ticket_id}, ADMIN)
    edit(db, ticket_id, resolve_due=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    service(db).scan_sla_now()  # escalates it: the entry seals the row as the scan left it

    events = [(name, payload) for name, payload in outbox(db) if payload.get("ticket_id") == ticket_id]
    names = [name for name, _ in events]
    assert names == ["ticket_reported", "ticket_accepted", "ticket_trail_extended", "ticket_trail_extended",
                     "sla_breached", "ticket_escalated"]
    trail_heads = heads(db, ticket_id)
    assert [payload["trail_seq"] for _, payload in events] == [1, 2, 3, 4, 5, 5]
    for name, payload in events:
        assert payload["trail_head"] == trail_heads[payload["trail_seq"]], name
    extended = [payload for name, payload in events if name == "ticket_trail_extended"]
    assert {"ticket_id", "number", "trail_seq", "trail_head", "at"} <= set(extended[0])  # and the snapshot
    assert [payload["action"] for payload in extended] == ["handle", "merged_in"]
    merged = [payload for name, payload in outbox(db) if payload.get("ticket_id") == other["id"]]
    assert merged[-1]["trail_seq"] == 2 and merged[-1]["trail_head"] == heads(db, other["id"])[2]
    assert service(db).verify_ticket(ticket_id, ADMIN)["intact"] is True


def test_a_rehomed_ticket_announces_its_new_head(db):
    ticket_id, _ = handled(db)
    svc = service(db)
    envelope = make_envelope("grid", "grid_split", {"code": GRID, "parent_code": GRID[:12],
                                                    "new_codes": ["320508019044904", "320508019044905"],
                                                    "at": dt.datetime.now(dt.timezone.utc).isoformat()})
    with db.transaction() as session:
        svc._rehome(session, envelope, {})
    moved = [payload for name, payload in outbox(db) if name == "ticket_rehomed" and payload["ticket_id"] == ticket_id]
    assert moved and moved[0]["trail_seq"] == 4 and moved[0]["trail_head"] == heads(db, ticket_id)[4]
    assert service(db).verify_ticket(ticket_id, ADMIN)["intact"] is True


def test_the_command_checks_every_ticket_against_the_witness_marks(db):
    first, _ = handled(db)
    second, _ = handled(db)
    marks = sorted(({"ticket_id": t, "trail_seq": seq, "trail_head": head}
                    for t, (seq, head) in OutboxWitness(db).marks().items()), key=lambda m: m["ticket_id"])
    gone = {"ticket_id": "ffffffff-0000-4000-8000-000000000000", "trail_seq": 2, "trail_head": "0" * 64}
    with db.read() as session:
        result = trail.verify_all(session, iter(marks + [gone]))
    assert result["checked"] == 2 and result["witness"] == {"checked": True}
    assert [b["ticket_id"] for b in result["broken"]] == [gone["ticket_id"]]
    assert "deleted" in result["broken"][0]["problems"][0]["problem"]

    def failing():
        yield marks[0]
        raise Unavailable("The scoring service is not running; please retry shortly.", code="SERVICE_UNAVAILABLE")

    with db.read() as session:
        result = trail.verify_all(session, failing())
    assert result["broken"] == [] and result["witness"]["checked"] is False
    assert "scoring" in result["witness"]["reason"]
    with db.read() as session:
        assert trail.verify_all(session)["witness"] == {"checked": False, "reason": "not asked"}


@pytest.fixture
def scoring_db(open_db):
    return open_db("scoring", SCORING_MIGRATIONS)


def mark(ticket_id, seq, event_type="ticket_accepted"):
    return make_envelope("tickets", event_type, {"ticket_id": ticket_id, "number": "20261123-00001",
                                                 "trail_seq": seq, "trail_head": f"{seq:064x}"})


def test_the_witness_keeps_the_highest_mark_however_the_events_arrive(scoring_db):
    with scoring_db.transaction() as session:
        for envelope in (mark("t1", 3), mark("t1", 5, "ticket_trail_extended"), mark("t1", 4), mark("t2", 1)):
            witness.record_mark(session, envelope)
        witness.record_mark(session, make_envelope("tickets", "ticket_closed", {"ticket_id": "t1"}))  # no mark: old
    with scoring_db.read() as session:
        assert witness.trail_witness(session, "t1") == {"ticket_id": "t1", "trail_seq": 5, "trail_head": f"{5:064x}"}
        assert witness.trail_witness(session, "t3") is None
        first = witness.trail_witnesses(session, None, 1)
        second = witness.trail_witnesses(session, first["next"], 1)
    assert [m["ticket_id"] for m in first["items"] + second["items"]] == ["t1", "t2"]
    with scoring_db.read() as session:
        assert witness.trail_witnesses(session, "t2", 1) == {"items": [], "next": None}
    for bad in ({"ticket_id": "t1", "trail_seq": 0, "trail_head": "0" * 64},
                {"ticket_id": "t1", "trail_seq": 6, "trail_head": "not a hash"}):
        with pytest.raises(InvalidInput), scoring_db.transaction() as session:
            witness.record_mark(session, make_envelope("tickets", "ticket_rated", bad))
    with pytest.raises(InvalidInput), scoring_db.read() as session:
        witness.trail_witnesses(session, None, 10 ** 9)
