"""The ticket snapshot (``tickets.snapshots.snapshot``): every event tickets publishes about
a ticket carries it as the step left the ticket, plus the step (``action``, ``at``,
``actor_person_id``); ``ticket_snapshots`` pages through the same snapshots, so
scoring's rebuild from it gives what the live feed gave. A real database
(PostgreSQL when there is one), the service through worker_factory."""
import datetime as dt
import json

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from common import textsig
from common.errors import InvalidInput
from common.events import make_envelope
from common.outbox import OutboxWriter
from common.pii import PiiCipher
from tickets import MIGRATIONS_DIR, service as service_module, snapshots
from tickets.calendar import WorkCalendar
from tickets.catalogue import Catalogue
from tickets.actions import Settings
from tickets.models import GridStaff, Ticket
from tickets.service import TicketsService

SETTINGS, CIPHER = Settings(Catalogue(), WorkCalendar()), PiiCipher(bytes(32))
GRID, COMMUNITY, TOWN = "320508019044001", "320508019044", "320508019"
SNAPSHOT_FIELDS = {
    "ticket_id", "number", "version", "grid_code", "source", "category", "reported_category", "grade", "status",
    "level", "outcome", "satisfaction", "reopen_count", "duplicate_of", "resolved_level", "reporter_person_id",
    "responsible_person_id", "responsible_grid_code", "resolved_by_person_id", "description_sig", "reported_at",
    "accepted_at", "resolved_at", "feedback_at", "rated_at", "closed_at", "resolve_due", "on_time"}
DESCRIPTION = "小区北门路灯不亮，夜间出行不便，请尽快维修"
STEP_FIELDS = {"action", "at", "actor_person_id"}
TICKET_EVENTS = {"ticket_reported", "ticket_accepted", "ticket_escalated", "ticket_dispatched", "ticket_resolved",
                 "ticket_rated", "ticket_reopened", "ticket_closed", "ticket_rehomed", "ticket_trail_extended",
                 "sla_breached"}


def actor(account_id, role, scope=None, person_id=None, department=None):
    return {"account_id": account_id, "username": account_id, "roles": [role], "scope": scope,
            "person_id": person_id, "department": department}


WORKER = actor("a-worker", "grid_worker", GRID, "p-worker")
CHIEF = actor("a-chief", "grid_chief", GRID, "p-chief")
OFFICER = actor("a-officer", "community_officer", COMMUNITY, "p-officer")
LEADER = actor("a-leader", "town_leader", TOWN, "p-leader")
HOTLINE = actor("a-hotline", "district_officer", None, "p-hotline")
# Linked to a person all the same: a department's or a resident's step credits no staff member.
DEPARTMENT = actor("a-um", "department", None, "p-um", department="urban_management")
RESIDENT = actor("a-resident", "resident", None, "p-resident")


class FakeGrid:
    def get_grid(self, code, with_geometry=False):
        return {"code": code}


class RecordingOutbox(OutboxWriter):
    """The outbox, and every event added to it in order, as its row keeps it (JSON)."""

    def __init__(self):
        super().__init__("tickets")
        self.events = []

    def add(self, session, event_type, payload, schema_version=1):
        super().add(session, event_type, payload, schema_version)
        self.events.append((event_type, json.loads(json.dumps(payload))))


class Clock:
    def __init__(self):
        self.now = dt.datetime.now(dt.timezone.utc)

    def __call__(self):
        return self.now


@pytest.fixture
def db(open_db):
    return open_db("tickets", MIGRATIONS_DIR)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(service_module, "utcnow", clock)
    return clock


class Loop:
    """Runs steps through the service and checks, after each, that every event it added
    carries the snapshot of its ticket as the database now holds it."""

    def __init__(self, db, clock):
        self.db, self.clock, self.outbox = db, clock, RecordingOutbox()
        self.service = worker_factory(TicketsService, db=db, outbox=self.outbox, settings=SETTINGS, cipher=CIPHER,
                                      grid=FakeGrid())

    def stored(self, ticket_id):
        with self.db.read() as session:
            return snapshots.snapshot(session.get(Ticket, ticket_id))

    def step(self, call):
        before = len(self.outbox.events)
        result = call(self.service)
        added = self.outbox.events[before:]
        assert added, "every step announces itself"
        for event_type, payload in added:
            assert event_type in TICKET_EVENTS
            assert SNAPSHOT_FIELDS | STEP_FIELDS <= set(payload), event_type
            assert {name: payload[name] for name in SNAPSHOT_FIELDS} == self.stored(payload["ticket_id"]), event_type
            assert not {"description", "reporter_name", "reporter_phone", "reporter_phone_masked"} & set(payload)
            assert "路灯" not in json.dumps(payload, ensure_ascii=False), "the description's signature, not its text"
        return result, added

    def report(self, reporter, category="UM07", grid_code=GRID):
        body = {"grid_code": grid_code, "category": category, "description": DESCRIPTION, "reporter_name": "张三",
                "reporter_phone": "13812345678"}
        ticket, [(event_type, payload)] = self.step(lambda s: s.report_ticket(body, reporter))
        assert event_type == "ticket_reported" and payload["version"] == ticket["version"] == 1
        assert (payload["action"], payload["at"]) == ("report", payload["reported_at"])
        return ticket, payload

    def act(self, ticket, who, action, **body):
        version = self.version(ticket)
        result, added = self.step(lambda s: s.act(ticket["id"], dict(body, action=action, version=version), who))
        mine = [(name, payload) for name, payload in added if payload["ticket_id"] == ticket["id"]]
        [(event_type, payload)] = mine
        assert payload["version"] == result["ticket"]["version"] == version + 1, "the version after the step"
        assert (payload["action"], payload["at"]) == (action, self.clock.now.isoformat())
        assert payload["actor_person_id"] == (who["person_id"] if who["roles"][0] not in ("department", "resident")
                                              else None)
        return event_type, payload, [each for each in added if each not in mine]

    def version(self, ticket):
        return self.stored(ticket["id"])["version"]

    def last_snapshots(self):
        last = {}
        for _, payload in self.outbox.events:
            last[payload["ticket_id"]] = {name: payload[name] for name in SNAPSHOT_FIELDS}
        return last


def test_every_ticket_event_carries_the_snapshot_the_step_left_through_a_whole_loop(db, clock):
    with db.transaction() as session:  # the grid's full-time worker answers for its tickets
        session.add(GridStaff(assignment_id="post-1", person_id="p-worker", grid_code=GRID, role="full_time_worker",
                              start_date=dt.date(2020, 1, 1)))
    run = Loop(db, clock)
    a, reported = run.report(WORKER)
    assert reported["reporter_person_id"] == "p-worker" and reported["actor_person_id"] == "p-worker"
    assert (reported["category"], reported["reported_category"], reported["source"]) == ("UM07", "UM07", "grid_patrol")
    assert (reported["responsible_person_id"], reported["responsible_grid_code"]) == ("p-worker", GRID)
    assert reported["status"] == "reported" and reported["on_time"] is None and reported["resolve_due"]
    assert reported["description_sig"] == textsig.signature(DESCRIPTION) and reported["resolved_by_person_id"] is None
    b, by_resident = run.report(RESIDENT)
    assert by_resident["reporter_person_id"] is None and by_resident["actor_person_id"] is None

    name, payload, _ = run.act(a, CHIEF, "recategorise", category="UM06")
    assert name == "ticket_trail_extended"
    assert (payload["category"], payload["reported_category"]) == ("UM06", "UM07"), "as first reported"

    name, closed, others = run.act(b, CHIEF, "merge", into=a["id"])
    assert name == "ticket_closed"
    assert (closed["status"], closed["duplicate_of"], closed["outcome"]) == ("merged", a["id"], "duplicate")
    assert closed["closed_at"] == clock.now.isoformat() and closed["on_time"] is None
    [(name, merged_in)] = others
    assert name == "ticket_trail_extended" and merged_in["ticket_id"] == a["id"]
    assert (merged_in["action"], merged_in["actor_person_id"]) == ("merged_in", "p-chief")

    name, payload, _ = run.act(a, WORKER, "accept")
    assert name == "ticket_accepted" and (payload["status"], payload["level"]) == ("accepted", "grid")
    assert payload["accepted_at"] == clock.now.isoformat()
    assert run.act(a, WORKER, "handle")[0] == "ticket_trail_extended"
    name, payload, _ = run.act(a, WORKER, "escalate")
    assert name == "ticket_escalated" and payload["level"] == "community"
    assert run.act(a, OFFICER, "escalate")[1]["level"] == "town"
    name, payload, _ = run.act(a, LEADER, "whistle", departments=["urban_management"],
                               lead_department="urban_management")
    assert name == "ticket_dispatched" and payload["level"] == "department"
    assert payload["departments"] == ["urban_management"] and payload["lead_department"] == "urban_management"
    assert run.act(a, DEPARTMENT, "sign")[1]["actor_person_id"] is None
    run.act(a, DEPARTMENT, "report_back", note="已更换路灯")

    name, resolved, _ = run.act(a, LEADER, "verify", outcome="fixed", note="核查属实")
    assert name == "ticket_resolved"
    assert (resolved["status"], resolved["outcome"], resolved["resolved_level"]) == ("resolved", "fixed", "department")
    assert resolved["resolved_at"] == clock.now.isoformat() and resolved["on_time"] is True
    assert resolved["resolved_by_person_id"] == "p-leader", "the town's verification resolved it"
    name, payload, _ = run.act(a, LEADER, "feedback", note="电话回访")
    assert name == "ticket_trail_extended" and payload["feedback_at"] == clock.now.isoformat()
    name, rated, _ = run.act(a, HOTLINE, "rate", satisfaction=2)
    assert name == "ticket_rated" and (rated["satisfaction"], rated["rated_at"]) == (2, clock.now.isoformat())
    assert rated["actor_person_id"] == "p-hotline" and rated["on_time"] is True

    name, reopened, _ = run.act(a, HOTLINE, "reopen", note="还是不亮")
    assert name == "ticket_reopened"
    assert (reopened["status"], reopened["level"], reopened["reopen_count"]) == ("handling", "town", 1)
    assert reopened["resolved_at"] is reopened["on_time"] is reopened["satisfaction"] is None
    assert reopened["resolved_by_person_id"] is None

    clock.now += dt.timedelta(days=60)  # the new round's deadline passes
    name, late, _ = run.act(a, LEADER, "resolve", outcome="fixed", note="已修复")
    assert name == "ticket_resolved" and late["on_time"] is False and late["resolved_level"] == "town"
    run.act(a, LEADER, "feedback", note="电话回访")
    name, done, _ = run.act(a, LEADER, "close")
    assert name == "ticket_closed" and done["status"] == "closed" and done["closed_at"] == clock.now.isoformat()
    assert (done["category"], done["reported_category"], done["reporter_person_id"]) == ("UM06", "UM07", "p-worker")
    assert done["resolved_by_person_id"] == "p-leader" and done["description_sig"] == reported["description_sig"]

    c, _ = run.report(WORKER)
    run.act(c, WORKER, "accept")
    run.act(c, WORKER, "handle")
    clock.now += dt.timedelta(days=60)
    _, added = run.step(lambda s: s.scan_sla_now())
    assert [name for name, _ in added] == ["sla_breached", "ticket_escalated"]
    for name, payload in added:  # a system step: nobody's
        assert payload["ticket_id"] == c["id"] and payload["actor_person_id"] is None
        assert payload["at"] == clock.now.isoformat() and payload["level"] == "community"
        assert payload["version"] == run.version(c) and payload["clock"] == "resolve"
    assert [payload["action"] for _, payload in added] == ["sla_breach", "escalate"]

    split = make_envelope("grid", "grid_split", {"code": GRID, "parent_code": COMMUNITY, "at": clock.now.isoformat(),
                                                 "new_codes": ["320508019044904", "320508019044905"]})

    def rehome(service):
        with db.transaction() as session:
            service._rehome(session, split, {})

    _, [(name, moved)] = run.step(rehome)
    assert name == "ticket_rehomed" and moved["ticket_id"] == c["id"]
    assert (moved["action"], moved["actor_person_id"], moved["grid_code"]) == ("rehome", None, "320508019044904")
    assert (moved["from_grid_code"], moved["to_grid_code"], moved["reason"]) == (GRID, "320508019044904", "split")
    assert moved["responsible_grid_code"] == GRID, "the retired grid's worker answers until people carries her over"

    assert {name for name, _ in run.outbox.events} == TICKET_EVENTS, "every kind of ticket event was seen"

    # The rebuild's equality: the paged snapshots are what each ticket's last event carried.
    last = run.last_snapshots()
    page = run.service.ticket_snapshots()
    assert page["next"] is None
    assert [item["ticket_id"] for item in page["items"]] == sorted(last)
    for item in page["items"]:
        assert item == last[item["ticket_id"]]
    walked, after = [], None
    while True:
        page = run.service.ticket_snapshots(after=after, limit=1)
        walked += page["items"]
        if page["next"] is None:
            break
        assert page["next"] == page["items"][-1]["ticket_id"]
        after = page["next"]
    assert walked == [last[ticket_id] for ticket_id in sorted(last)]


def test_the_snapshot_pages_take_a_limit_from_1_to_5000(db):
    svc = worker_factory(TicketsService, db=db, outbox=RecordingOutbox(), settings=SETTINGS, cipher=CIPHER,
                         grid=FakeGrid())
    assert svc.ticket_snapshots() == {"items": [], "next": None}
    for limit in (1, 5000):
        assert svc.ticket_snapshots(limit=limit) == {"items": [], "next": None}
    for limit in (0, -1, 5001, 10 ** 12, "many", None, 2.5, True):
        with pytest.raises(InvalidInput) as caught:
            svc.ticket_snapshots(limit=limit)
        assert caught.value.code == "VALIDATION_FAILED" and set(caught.value.details["fields"]) == {"limit"}, limit
    for after in ("", 7, "x" * 65):
        with pytest.raises(InvalidInput) as caught:
            svc.ticket_snapshots(after=after)
        assert set(caught.value.details["fields"]) == {"after"}, after


def test_a_ticket_loaded_from_the_database_gives_the_snapshot_its_event_gave(db, clock):
    """Times in UTC whatever the calendar computed them in, so a snapshot read back is
    the one the event carried (the rebuild compares them)."""
    run = Loop(db, clock)
    ticket, payload = run.report(HOTLINE)
    with db.read() as session:
        row = session.scalar(select(Ticket).where(Ticket.id == ticket["id"]))
        assert snapshots.snapshot(row) == {name: payload[name] for name in SNAPSHOT_FIELDS}
    assert payload["reporter_person_id"] == "p-hotline" and payload["source"] == "hotline_12345"
    assert all(payload[name].endswith("+00:00") for name in ("reported_at", "resolve_due", "at"))


def test_who_resolved_a_ticket_is_the_staff_member_whose_step_did(db, clock):
    """A grid worker resolving their own report shows as such (reporting for reporting's
    sake); a resident's withdrawal credits no staff member."""
    run = Loop(db, clock)
    own, _ = run.report(WORKER)
    run.act(own, WORKER, "accept")
    run.act(own, WORKER, "handle")
    _, resolved, _ = run.act(own, WORKER, "resolve", outcome="fixed")
    assert (resolved["reporter_person_id"], resolved["resolved_by_person_id"]) == ("p-worker", "p-worker")
    withdrawn_ticket, _ = run.report(RESIDENT)
    _, withdrawn, _ = run.act(withdrawn_ticket, RESIDENT, "withdraw")
    assert (withdrawn["outcome"], withdrawn["resolved_by_person_id"]) == ("withdrawn", None)
    by_hotline, _ = run.report(RESIDENT)
    _, withdrawn, _ = run.act(by_hotline, HOTLINE, "withdraw", note="居民来电撤回")
    assert withdrawn["resolved_by_person_id"] == "p-hotline"
    assert {item["ticket_id"]: item["resolved_by_person_id"] for item in run.service.ticket_snapshots()["items"]} == {
        own["id"]: "p-worker", withdrawn_ticket["id"]: None, by_hotline["id"]: "p-hotline"}
