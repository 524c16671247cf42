"""TicketsService with worker_factory: a real database, a fake grid service."""
import base64
import datetime as dt
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import func, select

from common.errors import Conflict, InvalidInput, NotFound, Unavailable
from common.outbox import OutboxWriter, outbox_events
from tickets import MIGRATIONS_DIR
from tickets.gauges import _TicketCollector
from tickets.models import Ticket
from tickets.service import TicketsService

from common.pii import PiiCipher
from common.shanghai import shanghai_date
from tickets.calendar import WorkCalendar
from tickets.catalogue import Catalogue
from tickets.actions import Settings

SETTINGS, CIPHER = Settings(Catalogue(), WorkCalendar()), PiiCipher(bytes(32))


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
def db(open_db):
    return open_db("tickets", MIGRATIONS_DIR)


def count(db, table):
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(table))


class NoWitness:
    """Scoring before any ticket event has reached it."""

    def trail_witness(self, ticket_id):
        return None


def service(db, outbox=None):
    return worker_factory(TicketsService, db=db, outbox=outbox or OutboxWriter("tickets"), settings=SETTINGS,
                          cipher=CIPHER, grid=FakeGrid({"320508019044001"}), scoring=NoWitness())


def caller(account_id, role, scope=None):
    return {"account_id": account_id, "username": account_id, "roles": [role], "scope": scope}


def test_a_reported_ticket_and_its_event_are_stored_together(db):
    ticket = service(db).report_ticket({"grid_code": "320508019044001", "category": "UM07", "description": "路灯不亮"}, None)
    second = service(db).report_ticket({"grid_code": "320508019044001", "category": "UM06", "description": "井盖缺失"}, None)
    assert ticket["status"] == "reported" and ticket["source"] == "grid_patrol"
    assert int(second["number"][-5:]) == int(ticket["number"][-5:]) + 1
    with db.read() as session:
        event = session.execute(select(outbox_events).order_by(outbox_events.c.created_at)).first()
    assert event.event_type == "ticket_reported" and event.payload["ticket_id"] == ticket["id"]
    assert event.published_at is None


def test_no_ticket_without_its_event(db):
    with pytest.raises(RuntimeError):
        service(db, BrokenOutbox("tickets")).report_ticket(
            {"grid_code": "320508019044001", "category": "UM07", "description": "路灯不亮"}, None)
    assert count(db, Ticket.__table__) == 0 and count(db, outbox_events) == 0


def test_unknown_grid_and_bad_fields_are_refused_before_anything_is_stored(db):
    with pytest.raises(InvalidInput) as caught:
        service(db).report_ticket({"grid_code": "320508019044999", "category": "UM07", "description": "路灯不亮"}, None)
    assert caught.value.code == "UNKNOWN_GRID" and caught.value.details == {"field": "grid_code"}
    with pytest.raises(InvalidInput) as caught:
        service(db).report_ticket({"grid_code": "320508019044001", "description": "x", "source": "pigeon"}, None)
    assert set(caught.value.details["fields"]) == {"category", "description", "source"}
    with pytest.raises(InvalidInput) as caught:
        service(db).report_ticket({"grid_code": "320508019044001", "category": "XX01", "description": "路灯不亮"}, None)
    assert caught.value.code == "UNKNOWN_CATEGORY"
    assert count(db, Ticket.__table__) == 0


class FakePeople:
    def __init__(self, assignments=None):
        self.assignments = assignments

    def list_assignments(self):
        if self.assignments is None:
            raise Unavailable("The people service is not running; please retry shortly.", code="SERVICE_UNAVAILABLE")
        return {"items": self.assignments, "next": None}


def test_a_new_ticket_goes_to_the_responsible_worker_people_listed(db):
    schedule = SimpleNamespace(every=3600.0, retry_seconds=60.0, due=0.0)
    down = worker_factory(TicketsService, db=db, people=FakePeople(None), staff_sync=schedule)
    assert down.sync_staff_now() is None and schedule.due > 0, "people down: try again a minute later"
    worker = {"id": "a1", "person_id": "p1", "grid_code": "320508019044001", "role": "full_time_worker",
              "role_label": "专职网格员", "start_date": "2026-01-01", "end_date": None}
    up = worker_factory(TicketsService, db=db, people=FakePeople([worker]), staff_sync=schedule)
    assert up.sync_staff_now() == {"assignments": 1, "added": 1, "ended": 0}
    ticket = service(db).report_ticket({"grid_code": "320508019044001", "category": "UM07", "description": "路灯不亮"}, None)
    assert ticket["responsible"] == {"person_id": "p1", "role": "full_time_worker", "grid_code": "320508019044001"}
    with db.read() as session:
        event = session.execute(select(outbox_events)).first()
    assert event.payload["responsible_person_id"] == "p1"
    assert [t["id"] for t in service(db).list_tickets({"responsible": "p1"}, None)["items"]] == [ticket["id"]]
    assert service(db).list_tickets({"responsible": "p2"}, None)["items"] == []


def test_one_action_moves_the_version_by_one_and_chains_one_trail_entry(db):
    ticket = service(db).report_ticket({"grid_code": "320508019044001", "category": "UM07", "description": "路灯不亮"}, None)
    actor = {"account_id": "a-admin", "username": "admin", "roles": ["admin"]}
    accepted = service(db).act(ticket["id"], {"action": "accept", "version": ticket["version"]}, actor)["ticket"]
    handling = service(db).act(ticket["id"], {"action": "handle", "version": accepted["version"]}, actor)["ticket"]
    assert (accepted["version"], handling["version"]) == (ticket["version"] + 1, ticket["version"] + 2)
    history = service(db).ticket_history(ticket["id"])
    assert [(h["seq"], h["action"]) for h in history] == [(1, "report"), (2, "accept"), (3, "handle")]
    assert history[2]["prev_hash"] == history[1]["hash"] and service(db).verify_ticket(ticket["id"])["intact"]


def test_tickets_itself_refuses_a_caller_beyond_the_ticket_before_telling_its_version(db):
    ticket = service(db).report_ticket({"grid_code": "320508019044001", "category": "UM07", "description": "路灯不亮"},
                                       caller("a-resident", "resident"))
    accept = {"action": "accept", "version": 99}  # a stale version: the 404 must come first
    strangers = [{"account_id": "a-w2", "username": "w2", "roles": ["grid_worker"], "scope": "320508019045"},
                 {"account_id": "a-dep", "username": "chengguan", "roles": ["department"], "department": "CG"},
                 {"account_id": "a-none", "username": "nobody", "roles": ["resident"]}]
    for stranger in strangers:
        for call in (lambda: service(db).act(ticket["id"], dict(accept), stranger),
                     lambda: service(db).get_ticket(ticket["id"], stranger),
                     lambda: service(db).ticket_history(ticket["id"], stranger),
                     lambda: service(db).verify_ticket(ticket["id"], stranger)):
            with pytest.raises(NotFound) as caught:  # as if there were no such ticket
                call()
            assert caught.value.code == "TICKET_NOT_FOUND", stranger["username"]
            assert caught.value.details == {"ticket_id": ticket["id"]}
    worker = {"account_id": "a-w1", "username": "w1", "roles": ["grid_worker"], "scope": "320508019044"}
    reporter = {"account_id": "a-resident", "username": "zhang", "roles": ["resident"]}
    assert service(db).get_ticket(ticket["id"], reporter)["id"] == ticket["id"]
    assert service(db).ticket_history(ticket["id"], reporter)[0]["action"] == "report"
    with pytest.raises(Conflict) as caught:
        service(db).act(ticket["id"], dict(accept), worker)
    assert caught.value.code == "VERSION_CONFLICT"
    assert service(db).act(ticket["id"], {"action": "accept", "version": ticket["version"]}, worker)["ticket"][
        "status"] == "accepted"


def test_the_source_follows_the_reporter_and_a_resident_cannot_claim_a_patrol(db):
    report = {"grid_code": "320508019044001", "category": "UM07", "description": "路灯不亮"}
    sources = {role: service(db).report_ticket(dict(report), caller(f"a-{role}", role, "320508019044"))["source"]
               for role in ("resident", "department", "district_officer", "grid_worker")}
    assert sources == {"resident": "resident_report", "department": "department_referral",
                       "district_officer": "hotline_12345", "grid_worker": "grid_patrol"}
    assert service(db).report_ticket(dict(report, source="resident_report"), caller("a-w", "grid_worker", "320508019044"))[
        "source"] == "resident_report", "grid staff record what residents tell them"
    stored = count(db, Ticket.__table__)
    with pytest.raises(InvalidInput) as caught:
        service(db).report_ticket(dict(report, source="grid_patrol"), caller("a-r", "resident"))
    assert caught.value.code == "SOURCE_NOT_YOURS" and caught.value.details["field"] == "source"
    assert count(db, Ticket.__table__) == stored


def test_lists_page_newest_first_with_a_cursor_and_filter_by_status_and_category(db):
    categories = "UM07 UM06 UM07 UM07 UM06".split()
    made = [service(db).report_ticket({"grid_code": "320508019044001", "category": category,
                                       "description": f"第{i}件"}, None) for i, category in enumerate(categories)]
    actor = {"account_id": "a-admin", "username": "admin", "roles": ["admin"]}
    service(db).act(made[0]["id"], {"action": "accept", "version": made[0]["version"]}, actor)
    seen, cursor = [], None
    while True:
        page = service(db).list_tickets({"limit": 2, "before": cursor}, None)
        seen += [t["id"] for t in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [t["id"] for t in reversed(made)]  # every ticket once, newest first
    only = service(db).list_tickets({"status": ["reported"], "category": "UM07"}, None)["items"]
    assert [t["id"] for t in only] == [made[3]["id"], made[2]["id"]]
    assert {t["id"] for t in service(db).list_tickets({"status": ["open"]}, None)["items"]} == {t["id"] for t in made}
    naive = base64.urlsafe_b64encode(b'["2026-11-23T00:00:00","x"]').decode()  # forged: no offset
    for bad, field in (({"before": "not-a-cursor"}, "before"), ({"before": naive}, "before"),
                       ({"status": ["lost"]}, "status")):
        with pytest.raises(InvalidInput) as refused:
            service(db).list_tickets(bad, None)
        assert field in str(refused.value.details), refused.value.details


def test_lists_filter_by_grade_source_level_period_and_overdue_as_the_gauge_counts(db):
    report = {"grid_code": "320508019044001", "description": "路灯不亮"}
    daily = service(db).report_ticket(dict(report, category="UM07"), None)
    urgent = service(db).report_ticket(dict(report, category="UM06", grade="urgent"), caller("a-r", "resident"))
    old = service(db).report_ticket(dict(report, category="UM07"), None)
    actor = {"account_id": "a-admin", "username": "admin", "roles": ["admin"]}
    accepted = service(db).act(daily["id"], {"action": "accept", "version": daily["version"]}, actor)["ticket"]
    service(db).act(daily["id"], {"action": "handle", "version": accepted["version"]}, actor)
    with db.transaction() as session:  # reported the day before yesterday (Shanghai), its accept clock long run out
        late = session.get(Ticket, old["id"])
        late.reported_at = late.reported_at - dt.timedelta(days=2)
        late.accept_due = late.respond_due = late.reported_at + dt.timedelta(hours=4)
        suspended = session.get(Ticket, urgent["id"])
        suspended.accept_due = suspended.reported_at - dt.timedelta(hours=1)
        suspended.suspended = True  # its clocks stand still: not overdue

    def ids(**filters):
        return [t["id"] for t in service(db).list_tickets(filters, None)["items"]]

    assert ids(grade="urgent") == [urgent["id"]]
    assert ids(source="resident_report") == [urgent["id"]]
    assert ids(level="grid") == [daily["id"]]
    assert ids(overdue=True) == [old["id"]]
    with db.read() as session:
        samples = {tuple(s.labels.items()): s.value for m in _TicketCollector(db).collect()
                   if m.name == "gridgov_tickets_overdue" for s in m.samples}
    assert samples[(("clock", "accept"),)] == 1, "the list and the gauge agree on what is overdue"
    today = shanghai_date()
    assert set(ids(start=today.isoformat())) == {daily["id"], urgent["id"]}
    assert ids(end=(today - dt.timedelta(days=1)).isoformat()) == [old["id"]]
    assert ids(start=(today - dt.timedelta(days=2)).isoformat(), end=(today - dt.timedelta(days=2)).isoformat()) == [old["id"]]
    for bad, field in (({"grade": "huge"}, "grade"), ({"source": "pigeon"}, "source"), ({"level": "moon"}, "level"),
                       ({"start": today.isoformat(), "end": (today - dt.timedelta(days=1)).isoformat()}, "start")):
        with pytest.raises(InvalidInput) as refused:
            service(db).list_tickets(bad, None)
        assert field in str(refused.value.details), refused.value.details


def test_a_ticket_is_found_by_its_readable_number_too(db):
    ticket = service(db).report_ticket({"grid_code": "320508019044001", "category": "UM07", "description": "路灯不亮"}, None)
    admin = {"account_id": "a-admin", "username": "admin", "roles": ["admin"]}
    assert service(db).get_ticket(ticket["number"], admin)["id"] == ticket["id"]
    done = service(db).act(ticket["number"], {"action": "accept", "version": ticket["version"]}, admin)
    assert done["ticket"]["status"] == "accepted"
    assert [entry["action"] for entry in service(db).ticket_history(ticket["number"], admin)][-1] == "accept"
    assert service(db).verify_ticket(ticket["number"], admin)["intact"] is True
    with pytest.raises(NotFound) as missing:
        service(db).get_ticket("20000101-00001", admin)
    assert "number 20000101-00001" in missing.value.message


def test_the_gauges_count_open_tickets_and_those_past_a_deadline(db):
    made = [service(db).report_ticket({"grid_code": "320508019044001", "category": "UM07", "description": "路灯不亮"}, None)
            for _ in range(3)]
    actor = {"account_id": "a-admin", "username": "admin", "roles": ["admin"]}
    service(db).act(made[0]["id"], {"action": "accept", "version": made[0]["version"]}, actor)
    with db.transaction() as session:
        late = session.get(Ticket, made[1]["id"])
        late.accept_due = late.respond_due = late.reported_at - dt.timedelta(hours=1)
    samples = {(m.name, tuple(sorted(s.labels.items()))): s.value
               for m in _TicketCollector(db).collect() for s in m.samples}
    assert samples[("gridgov_tickets_open", (("level", ""), ("status", "reported")))] == 2
    assert samples[("gridgov_tickets_open", (("level", "grid"), ("status", "accepted")))] == 1  # where accepted
    assert samples[("gridgov_tickets_open", (("level", ""), ("status", "handling")))] == 0
    assert {clock: samples[("gridgov_tickets_overdue", (("clock", clock),))]
            for clock in ("accept", "respond", "resolve")} == {"accept": 1, "respond": 1, "resolve": 0}


def racing(svc):
    """The service as a retry racing its first attempt sees it: the first check for
    the key finds nothing (the first had not committed yet), later ones see it."""
    checks = []
    real = svc._replayed

    def replayed(*args):
        checks.append(args)
        return None if len(checks) == 1 else real(*args)
    svc._replayed = replayed
    return svc


def test_a_retry_racing_the_first_submission_gets_its_result(db):
    body, r1 = {"grid_code": "320508019044001", "category": "UM07", "description": "路灯不亮"}, caller("r1", "admin")
    first = service(db).report_ticket(dict(body), r1, "key-1")
    assert racing(service(db)).report_ticket(dict(body), r1, "key-1") == first
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1
    actor = {"account_id": "r1", "username": "jumin", "roles": ["admin"]}
    accepted = service(db).act(first["id"], {"action": "accept", "version": first["version"]}, actor, "key-2")
    again = racing(service(db)).act(first["id"], {"action": "accept", "version": first["version"]}, actor, "key-2")
    assert again == accepted and accepted["ticket"]["version"] == first["version"] + 1


def test_an_idempotency_key_too_long_to_keep_is_a_400_before_anything_is_done(db):
    body, r1 = {"grid_code": "320508019044001", "category": "UM07", "description": "路灯不亮"}, caller("r1", "admin")
    with pytest.raises(InvalidInput) as caught:
        service(db).report_ticket(dict(body), r1, "k" * 101)
    assert caught.value.code == "INVALID_IDEMPOTENCY_KEY" and caught.value.details == {"field": "Idempotency-Key"}
    assert count(db, Ticket.__table__) == 0
    ticket = service(db).report_ticket(dict(body), r1, "k" * 100)
    actor = {"account_id": "r1", "username": "admin", "roles": ["admin"]}
    with pytest.raises(InvalidInput) as caught:
        service(db).act(ticket["id"], {"action": "accept", "version": ticket["version"]}, actor, "k" * 101)
    assert caught.value.code == "INVALID_IDEMPOTENCY_KEY"
    assert service(db).get_ticket(ticket["id"])["status"] == "reported"


def test_two_people_acting_at_once_one_wins_and_the_others_get_a_409(db):
    import threading
    ticket = service(db).report_ticket({"grid_code": "320508019044001", "category": "UM07", "description": "路灯不亮"}, None)
    answers, start = [], threading.Barrier(4)

    def act(n):
        actor = {"account_id": f"a{n}", "username": f"admin{n}", "roles": ["admin"]}
        start.wait()
        try:
            answers.append(service(db).act(ticket["id"], {"action": "accept", "version": ticket["version"],
                                                          "note": f"第{n}位"}, actor)["ticket"]["version"])
        except Conflict as conflict:
            answers.append(conflict.code)

    threads = [threading.Thread(target=act, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(answers, key=str) == [ticket["version"] + 1] + ["VERSION_CONFLICT"] * 3
    history = service(db).ticket_history(ticket["id"])
    assert [h["action"] for h in history] == ["report", "accept"] and service(db).verify_ticket(ticket["id"])["intact"]
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(outbox_events)
                              .where(outbox_events.c.event_type == "ticket_accepted")) == 1


def test_every_step_of_the_loop_announces_itself_through_the_outbox(db):
    ticket = service(db).report_ticket({"grid_code": "320508019044001", "category": "EP01", "description": "油烟扰民"},
                                       caller("r1", "resident"))
    admin = {"account_id": "a1", "username": "admin", "roles": ["admin"]}
    town = {"account_id": "l1", "username": "leader", "roles": ["town_leader"], "scope": "320508019"}
    environment = {"account_id": "d1", "username": "huanbao", "roles": ["department"], "department": "environment"}
    resident = {"account_id": "r1", "username": "zhang", "roles": ["resident"]}
    version = ticket["version"]
    for actor, action, payload in [
            (admin, "accept", {}), (admin, "handle", {}), (admin, "escalate", {}), (admin, "escalate", {}),
            (town, "whistle", {"departments": ["environment", "urban_management"], "lead_department": "environment"}),
            (environment, "sign", {}), (environment, "report_back", {"note": "已整改"}),
            (town, "verify", {"outcome": "fixed"}), (town, "feedback", {"note": "电话告知"}),
            (resident, "rate", {"satisfaction": 1}), (resident, "reopen", {"note": "仍有油烟"}),
            (town, "resolve", {"outcome": "fixed"}), (town, "feedback", {"note": "上门回访"}),
            (resident, "rate", {"satisfaction": 5}), (town, "close", {})]:
        version = service(db).act(ticket["id"], dict(action=action, version=version, **payload), actor)["ticket"][
            "version"]
    late = service(db).report_ticket({"grid_code": "320508019044001", "category": "UM05", "grade": "urgent",
                                      "description": "路面塌陷"}, None)
    version = late["version"]
    for action in ("accept", "handle"):
        version = service(db).act(late["id"], {"action": action, "version": version}, admin)["ticket"]["version"]
    with db.transaction() as session:
        session.get(Ticket, late["id"]).resolve_due = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    service(db).scan_sla_now()
    with db.read() as session:
        events = [(e.event_type, e.payload) for e in session.execute(
            select(outbox_events).order_by(outbox_events.c.created_at))]
    mine = [name for name, payload in events if payload["ticket_id"] == ticket["id"]
            and name != "ticket_trail_extended"]  # the steps that announce nothing else (test_ticket_tamper)
    assert mine == ["ticket_reported", "ticket_accepted", "ticket_escalated", "ticket_escalated", "ticket_dispatched",
                    "ticket_resolved", "ticket_rated", "ticket_reopened", "ticket_resolved", "ticket_rated",
                    "ticket_closed"]
    reported = {"ticket_id", "number", "grid_code", "source", "status", "category", "grade", "reported_at",
                "responsible_person_id"}
    acted = reported | {"level", "action", "outcome", "satisfaction", "at"}
    for name, payload in events:
        expected = {"ticket_reported": reported, "ticket_dispatched": acted | {"departments", "lead_department"},
                    "sla_breached": reported | {"clock", "due", "escalated_to", "at"},
                    "ticket_trail_extended": {"ticket_id", "number", "trail_seq", "trail_head", "at"}}.get(name, acted)
        assert expected <= set(payload), (name, expected - set(payload))
    dispatched = next(payload for name, payload in events if name == "ticket_dispatched")
    assert (dispatched["departments"], dispatched["lead_department"]) == (["environment", "urban_management"],
                                                                          "environment")
    assert [payload["satisfaction"] for name, payload in events if name == "ticket_rated"] == [1, 5]
    breached = sorted((name, payload["level"] if name == "ticket_escalated" else payload["clock"])
                      for name, payload in events if payload["ticket_id"] == late["id"]
                      and name in ("sla_breached", "ticket_escalated"))
    assert breached == [("sla_breached", "resolve"), ("ticket_escalated", "community")]


def test_two_merges_crossing_each_other_are_one_merge_and_a_409_not_a_deadlock(db):
    import threading
    admin = {"account_id": "a1", "username": "admin", "roles": ["admin"]}
    for _ in range(4):  # the crossing is a race: a few rounds meet it
        a, b = (service(db).report_ticket({"grid_code": "320508019044001", "category": "UM07",
                                           "description": "路灯不亮"}, None) for _ in range(2))
        answers, start = [], threading.Barrier(2)

        def merge(duplicate, original):
            start.wait()
            try:
                service(db).act(duplicate["id"], {"action": "merge", "version": duplicate["version"],
                                                  "into": original["id"]}, admin)
                answers.append("merged")
            except Exception as refused:  # noqa: BLE001 (a deadlock surfaces as DATABASE_UNAVAILABLE)
                answers.append(getattr(refused, "code", repr(refused)))

        threads = [threading.Thread(target=merge, args=pair) for pair in ((a, b), (b, a))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(answers) == ["VERSION_CONFLICT", "merged"]
