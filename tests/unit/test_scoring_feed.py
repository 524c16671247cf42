"""Scoring's live feed (scoring.feed) against a real database, without a broker: each
owner's event becomes its fact row, a record keeps its newest version whatever the order
of arrival, the trail witness and the reported tickets are fed as before, and a batch is
written with one statement per table."""
import datetime as dt
import hashlib
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select

from common.events import make_envelope
from common.inbox import APPLIED, DUPLICATE, FAILED, REJECTED, processed_events
from common.metrics import PlatformMetrics
from common import textsig
from scoring import MIGRATIONS_DIR, facts, indicators, witness
from scoring.feed import FactsFeed
from scoring.models import (HouseholdFact, PartyServiceFact, PatrolFact, PostFact, ServiceDayAttendanceFact,
                            ServiceDayFact, TicketFact, VisitFact, WishFact)

GRID = "320599002001001"


class Feed(FactsFeed):
    name = "scoring"  # the consumer names are scoring's: "scoring.handle_..."


@pytest.fixture(params=["scratch", "sqlite"])
def db(request, open_db, tmp_path):
    """PostgreSQL when there is one, and SQLite (the embedded default) too."""
    return open_db("scoring", MIGRATIONS_DIR, f"sqlite:///{tmp_path / 'scoring.db'}" if request.param == "sqlite"
                   else None)


@pytest.fixture
def feed(db):
    instance = Feed.__new__(Feed)  # the handlers need only db and metrics
    instance.db, instance.metrics = db, PlatformMetrics()
    return instance


def snapshot(ticket_id, version=1, **fields):
    """A payload as tickets.snapshots.step_event builds it (times in UTC)."""
    payload = {
        "ticket_id": ticket_id, "number": f"20260705-{ticket_id[:5]}", "version": version, "grid_code": GRID,
        "source": "grid_patrol", "category": "UM02", "reported_category": "UM02", "grade": "daily",
        "status": "reported", "level": "grid", "outcome": None, "satisfaction": None, "reopen_count": 0,
        "duplicate_of": None, "resolved_level": None, "reporter_person_id": "w1", "responsible_person_id": "w1",
        "responsible_grid_code": GRID, "reported_at": "2026-07-05T02:00:00+00:00", "accepted_at": None,
        "resolved_at": None, "feedback_at": None, "rated_at": None, "closed_at": None,
        "resolve_due": "2026-07-10T02:00:00+00:00", "on_time": None,
        "action": "report", "at": "2026-07-05T02:00:00+00:00", "actor_person_id": "w1",
        "trail_seq": version, "trail_head": hashlib.sha256(f"{ticket_id}-{version}".encode()).hexdigest()}
    payload.update(fields)
    return payload


def ticket_event(event_type, payload):
    return make_envelope("tickets", event_type, payload)


def rows_of(db, model):
    """The table's rows as plain objects (read, then the session is gone)."""
    with db.read() as session:
        return [SimpleNamespace(**row) for row in session.execute(select(model.__table__)).mappings()]


def tickets(db):
    return {row.ticket_id: row for row in rows_of(db, TicketFact)}


def test_every_ticket_event_keeps_the_newest_snapshot_whatever_the_order(feed, db):
    ticket_id = str(uuid.uuid4())
    reported = ticket_event("ticket_reported", snapshot(ticket_id, 1))
    accepted = ticket_event("ticket_accepted", snapshot(ticket_id, 2, status="accepted", action="accept",
                                                        accepted_at="2026-07-05T03:00:00+00:00"))
    resolved = ticket_event("ticket_resolved", snapshot(
        ticket_id, 3, status="resolved", action="resolve", outcome="fixed", resolved_level="grid",
        accepted_at="2026-07-05T03:00:00+00:00", resolved_at="2026-07-06T17:00:00+00:00", on_time=True))
    # Each type has its own queue: the resolution may arrive first, the report last.
    assert feed.handle_ticket_resolved([resolved]) == [APPLIED]
    assert feed.handle_ticket_accepted([accepted]) == [APPLIED]
    assert feed.handle_ticket_reported([reported]) == [APPLIED]
    row = tickets(db)[ticket_id]
    assert (row.version, row.status, row.outcome, row.on_time, row.resolved_level) == (3, "resolved", "fixed", True,
                                                                                     "grid")
    assert row.resolved_day == dt.date(2026, 7, 7)  # 01:00 in Shanghai
    assert row.reporter_person_id == "w1" and row.reported_day == dt.date(2026, 7, 5)
    with db.read() as session:
        assert witness.trail_witness(session, ticket_id)["trail_seq"] == 3, "the highest mark stays"
        assert indicators.tickets_reported(session, GRID)["by_grid"] == {GRID: 1}, "tickets_reported is fed as before"


def test_each_ticket_event_type_has_a_consumer_that_stores_its_snapshot(feed, db):
    types = ("ticket_reported", "ticket_accepted", "ticket_escalated", "ticket_dispatched", "ticket_resolved",
             "ticket_rated", "ticket_reopened", "ticket_closed", "ticket_rehomed", "ticket_trail_extended",
             "sla_breached")
    ids = {}
    for event_type in types:
        ids[event_type] = ticket_id = str(uuid.uuid4())
        extra = {"from_grid_code": GRID, "to_grid_code": GRID[:-1] + "2", "reason": "split"} \
            if event_type == "ticket_rehomed" else {}
        payload = snapshot(ticket_id, 4, status="handling", **extra)
        assert getattr(feed, f"handle_{event_type}")([ticket_event(event_type, payload)]) == [APPLIED]
    stored = tickets(db)
    assert {event_type: stored[ticket_id].status for event_type, ticket_id in ids.items()} == \
        dict.fromkeys(types, "handling")
    with db.read() as session:
        marks = {event_type: witness.trail_witness(session, ticket_id) for event_type, ticket_id in ids.items()}
        moved = indicators.tickets_reported(session, GRID[:-1])["by_grid"]
    assert marks["sla_breached"] is None, "a breach's mark comes with its ticket_escalated"
    assert all(marks[t] is not None for t in types if t != "sla_breached")
    assert moved == {GRID: 1}, "only the reported one is counted (the re-homed one was never reported here)"


def test_a_batch_is_claimed_and_written_with_one_statement_per_table(feed, db):
    envelopes = [ticket_event("ticket_reported", snapshot(str(uuid.uuid4()))) for _ in range(60)]
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split(" (")[0])

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        outcomes = feed.handle_ticket_reported(envelopes + envelopes[:2])  # two redelivered within the batch
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert outcomes == [APPLIED] * 60 + [DUPLICATE] * 2
    assert sorted(statements) == ["INSERT INTO integrity_marks", "INSERT INTO processed_events",
                                  "INSERT INTO reported_tickets", "INSERT INTO ticket_facts",
                                  "INSERT INTO trail_witnesses"], statements
    assert len(tickets(db)) == 60
    assert feed.handle_ticket_reported(envelopes[:3]) == [DUPLICATE] * 3, "redelivered later: claimed already"


def test_a_bad_payload_is_rejected_alone_and_a_failure_requeues_only_its_event(feed, db, monkeypatch):
    good = [ticket_event("ticket_accepted", snapshot(str(uuid.uuid4()), 2, status="accepted")) for _ in range(3)]
    bad = ticket_event("ticket_accepted", snapshot(str(uuid.uuid4()), 2, reported_at="yesterday"))
    too_long = ticket_event("ticket_accepted", snapshot(str(uuid.uuid4()), 2, grid_code="3" * 25))
    outcomes = feed.handle_ticket_accepted([good[0], bad, good[1], too_long, "not an envelope", good[2]])
    assert outcomes == [APPLIED, REJECTED, APPLIED, REJECTED, REJECTED, APPLIED]
    assert set(tickets(db)) == {e["payload"]["ticket_id"] for e in good}
    with db.read() as session:
        claimed = set(session.scalars(select(processed_events.c.event_id)))
    assert claimed == {e["event_id"] for e in good}, "a refused event leaves no claim"

    later, broken = (ticket_event("ticket_closed", snapshot(str(uuid.uuid4()), 5, status="closed")) for _ in range(2))
    original = facts.store_tickets

    def flaky(session, rows):  # the database fails on one ticket only
        if any(row["ticket_id"] == broken["payload"]["ticket_id"] for row in rows):
            raise RuntimeError("connection lost")
        original(session, rows)

    monkeypatch.setattr(facts, "store_tickets", flaky)
    outcomes = feed.handle_ticket_closed([later, broken])
    monkeypatch.undo()
    assert outcomes == [APPLIED, FAILED], "the broken one is requeued, the other applied"
    assert later["payload"]["ticket_id"] in tickets(db) and broken["payload"]["ticket_id"] not in tickets(db)
    assert feed.handle_ticket_closed([broken]) == [APPLIED], "its redelivery applies it"


def test_an_event_from_before_the_snapshot_is_still_witnessed_and_counted(feed, db):
    ticket_id = str(uuid.uuid4())
    old = {"ticket_id": ticket_id, "number": "20260101-00001", "grid_code": GRID, "source": "grid_patrol",
           "status": "reported", "reported_at": "2026-01-01T10:00:00+08:00", "trail_seq": 1, "trail_head": "a" * 64}
    assert feed.handle_ticket_reported([ticket_event("ticket_reported", old)]) == [APPLIED]
    assert ticket_id not in tickets(db), "no snapshot, no fact: the next event or a rebuild brings it"
    with db.read() as session:
        assert witness.trail_witness(session, ticket_id)["trail_seq"] == 1
        assert indicators.tickets_reported(session, GRID)["by_grid"] == {GRID: 1}


def people_event(event_type, payload):
    return make_envelope("people", event_type, payload)


NOTES_SIG = textsig.signature("入户走访独居老人，身体状况良好，家中水电正常")


def test_people_events_become_patrols_visits_posts_and_households(feed, db):
    patrol = {"id": str(uuid.uuid4()), "person_id": "w1", "grid_codes": [GRID], "located_grid_code": GRID,
              "inside": True, "lon": 120.61, "lat": 31.29, "occurred_at": "2026-07-05T16:30:00+00:00",
              "received_at": "2026-07-05T16:31:00+00:00"}
    visit = {"id": str(uuid.uuid4()), "person_id": "w1", "household_id": "h1", "grid_code": GRID,
             "notes_sig": NOTES_SIG, "occurred_at": "2026-07-05T02:00:00+00:00",
             "received_at": "2026-07-05T02:00:05+00:00"}
    post = {"id": "a1", "person_id": "w1", "grid_code": GRID, "role": "full_time_worker", "role_label": "专职网格员",
            "start_date": "2026-01-01", "end_date": None, "version": 1}
    assert feed.handle_patrol_logged([people_event("patrol_logged", patrol)]) == [APPLIED]
    assert feed.handle_visit_logged([people_event("visit_logged", visit)]) == [APPLIED]
    # the end (version 2) arrives before the post (version 1): the end stays
    assert feed.handle_person_left([people_event("person_left", dict(post, end_date="2026-09-30", version=2))]) \
        == [APPLIED]
    assert feed.handle_person_assigned([people_event("person_assigned", post)]) == [APPLIED]
    assert feed.handle_household_registered([people_event("household_registered", {
        "household_id": "h1", "grid_code": GRID, "place_code": GRID + "00001", "residents": 0,
        "version": 1})]) == [APPLIED]
    assert feed.handle_household_moved([people_event("household_moved", {
        "household_id": "h1", "from_grid_code": GRID, "to_grid_code": GRID[:-1] + "2", "place_code": "x",
        "residents": 3, "version": 2})]) == [APPLIED]
    [patrol_row], [visit_row] = rows_of(db, PatrolFact), rows_of(db, VisitFact)
    [post_row], [household_row] = rows_of(db, PostFact), rows_of(db, HouseholdFact)
    assert (patrol_row.person_id, patrol_row.grid_codes, patrol_row.inside, patrol_row.day) == (
        "w1", [GRID], True, dt.date(2026, 7, 6))  # 00:30 the next day in Shanghai
    assert (patrol_row.lon, patrol_row.lat) == (120.61, 31.29)
    assert (visit_row.household_id, visit_row.grid_code, visit_row.day) == ("h1", GRID, dt.date(2026, 7, 5))
    assert visit_row.notes_sig == NOTES_SIG
    assert (post_row.end_date, post_row.version) == (dt.date(2026, 9, 30), 2)
    assert (household_row.grid_code, household_row.residents, household_row.version) == (GRID[:-1] + "2", 3, 2)
    assert patrol_row.written_at is not None and household_row.written_at is not None


def party_events(member="m1", day_id="d1"):
    """A member's service as people announces it (people.party, people.wishes): an entry
    of 2.5 hours, a wish they fulfilled, a service day held in GRID and their sign-in."""
    return {
        "party_service_logged": {"id": str(uuid.uuid4()), "registration_id": "reg1", "person_id": member,
                                 "grid_code": GRID[:12], "hours": 2.5, "households": 3, "day": "2026-07-05"},
        "wish_confirmed": {"wish_id": str(uuid.uuid4()), "grid_code": GRID, "community_code": GRID[:12],
                           "category": "goods", "claimant_person_id": member, "points": 10, "points_entry_id": "pe1",
                           "posted_at": "2026-07-01T02:00:00+00:00", "claimed_at": "2026-07-02T02:00:00+00:00",
                           "fulfilled_at": "2026-07-03T02:00:00+00:00",
                           "confirmed_at": "2026-09-30T16:30:00+00:00", "version": 6},
        "service_day_held": {"id": day_id, "grid_code": GRID, "month": "2026-07", "day": "2026-07-10",
                             "branch_id": None, "created_at": "2026-07-01T02:00:00+00:00"},
        "service_day_attended": {"service_day_id": day_id, "sign_in_id": str(uuid.uuid4()), "person_id": member,
                                 "grid_code": GRID, "month": "2026-07", "day": "2026-07-10",
                                 "signed_at": "2026-07-11T02:00:00+00:00", "attended": 1},
    }


def test_a_members_service_wishes_and_service_days_become_facts_once(feed, db):
    events = {event_type: people_event(event_type, payload) for event_type, payload in party_events().items()}
    for event_type, envelope in events.items():
        handle = getattr(feed, f"handle_{event_type}")
        assert handle([envelope, envelope]) == [APPLIED, DUPLICATE], event_type
        assert handle([envelope]) == [DUPLICATE], f"{event_type}: redelivered later, claimed already"
    [service], [wish] = rows_of(db, PartyServiceFact), rows_of(db, WishFact)
    [held], [signed] = rows_of(db, ServiceDayFact), rows_of(db, ServiceDayAttendanceFact)
    assert (service.person_id, service.grid_code, service.hours, service.households, service.day) == (
        "m1", GRID[:12], 2.5, 3, dt.date(2026, 7, 5))
    assert (wish.person_id, wish.points, wish.version, wish.day) == ("m1", 10, 6, dt.date(2026, 10, 1)), \
        "credited to the claimant, in the Shanghai day it was confirmed (00:30 on 1 October: Q4)"
    assert (held.id, held.grid_code, held.month, held.day) == ("d1", GRID, "2026-07", dt.date(2026, 7, 10))
    assert (signed.person_id, signed.service_day_id, signed.day) == ("m1", "d1", dt.date(2026, 7, 10)), \
        "dated by its service day, not by when the member signed in"


@pytest.mark.parametrize("event_type, field, wrong", [
    ("party_service_logged", "hours", "2.5"), ("party_service_logged", "hours", 25),
    ("party_service_logged", "person_id", None), ("party_service_logged", "day", "yesterday"),
    ("wish_confirmed", "claimant_person_id", None), ("wish_confirmed", "confirmed_at", "2026-09-30T16:30:00"),
    ("service_day_held", "grid_code", "3" * 25), ("service_day_attended", "day", None),
    ("service_day_attended", "sign_in_id", ""),
])
def test_a_malformed_service_payload_is_rejected_and_stores_nothing(feed, db, event_type, field, wrong):
    payload = dict(party_events()[event_type], **{field: wrong})
    assert getattr(feed, f"handle_{event_type}")([people_event(event_type, payload)]) == [REJECTED]
    for model in (PartyServiceFact, WishFact, ServiceDayFact, ServiceDayAttendanceFact):
        assert rows_of(db, model) == []


def registered(household_id, residents, version, grid_code=GRID):
    """``resident_registered`` as people announces it: the household after the registration."""
    return people_event("resident_registered", {
        "resident_id": str(uuid.uuid4()), "household_id": household_id, "grid_code": grid_code, "tags": [],
        "household": {"household_id": household_id, "grid_code": grid_code, "place_code": grid_code + "00001",
                      "residents": residents, "version": version}})


def households(db):
    return {row.household_id: (row.residents, row.version) for row in rows_of(db, HouseholdFact)}


def test_a_households_residents_are_counted_once_whatever_the_order_or_redelivery(feed, db):
    """Three registrations in a household (versions 2, 3, 4), arriving out of order on
    their own queue and the household's: the newest version's count stays, a
    redelivery is claimed already, and a late older one changes nothing."""
    first, second, third = (registered("h7", n, n + 1) for n in (1, 2, 3))
    assert feed.handle_resident_registered([third, first]) == [APPLIED, APPLIED]
    assert households(db) == {"h7": (3, 4)}
    assert feed.handle_household_registered([people_event("household_registered", {
        "household_id": "h7", "grid_code": GRID, "place_code": GRID + "00001", "residents": 0,
        "version": 1})]) == [APPLIED]
    assert feed.handle_resident_registered([third, second, third]) == [DUPLICATE, APPLIED, DUPLICATE]
    assert households(db) == {"h7": (3, 4)}, "redelivered: not counted again; late: older"
    assert feed.handle_resident_registered([registered("h7", 4, 5)]) == [APPLIED]
    assert households(db) == {"h7": (4, 5)}


def test_a_resident_without_a_household_or_from_before_the_count_changes_no_household(feed, db):
    homeless = people_event("resident_registered", {"resident_id": "r1", "household_id": None, "grid_code": None,
                                                    "tags": [], "household": None})
    older = people_event("resident_registered", {"resident_id": "r2", "household_id": "h8", "grid_code": GRID,
                                                 "tags": ["elderly"]})
    assert feed.handle_resident_registered([homeless, older]) == [APPLIED, APPLIED]
    assert households(db) == {}
    broken = people_event("resident_registered", {"resident_id": "r3", "household_id": "h9", "grid_code": GRID,
                                                  "tags": [], "household": "h9"})
    assert feed.handle_resident_registered([broken]) == [REJECTED]


def test_facts_that_arrive_mark_their_people_and_the_incremental_scan_flags_them(feed, db):
    """Six disputes resolved by w1 within 50 minutes arrive as events: w1's month is
    marked, and the incremental scan of w1's community raises impossible_rate once; a
    second pass finds nothing new (the marks are taken, the evidence known)."""
    from scoring.integrity import scan
    from scoring.models import IntegrityFlag, IntegrityMark
    with db.transaction() as session:
        session.add(PostFact(id="post-w1", person_id="w1", grid_code=GRID, role="full_time_worker",
                             start_date=dt.date(2026, 1, 1), end_date=None, version=1))
    start = dt.datetime(2026, 7, 6, 1, 0, tzinfo=dt.timezone.utc)
    events = []
    for n in range(6):
        moment = start + dt.timedelta(minutes=10 * n)
        events.append(ticket_event("ticket_resolved", snapshot(
            str(uuid.uuid4()), 4, category="DM01", reported_category="DM01", status="resolved", action="resolve",
            outcome="fixed", resolved_level="grid", reported_at=(moment - dt.timedelta(days=2)).isoformat(),
            accepted_at=(moment - dt.timedelta(days=1)).isoformat(), resolved_at=moment.isoformat(),
            resolved_by_person_id="w1", on_time=True)))
    assert feed.handle_ticket_resolved(events) == [APPLIED] * 6
    assert {(m.person_id, m.period) for m in rows_of(db, IntegrityMark)} == {("w1", "2026-07")}
    with db.transaction() as session:
        raised = scan.scan_marked(session)
    assert [(f.pattern, f.person_id, f.period) for f in raised] == [("impossible_rate", "w1", "2026-07")]
    assert rows_of(db, IntegrityMark) == []
    with db.transaction() as session:
        assert scan.scan_marked(session) == []
    assert len(rows_of(db, IntegrityFlag)) == 1
