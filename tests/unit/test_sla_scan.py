"""The breach scan on a real database: each clock breaches once."""
import datetime as dt

import pytest

from tickets import MIGRATIONS_DIR, actions, clocks, statistics, workflow
from tickets.calendar import WorkCalendar
from tickets.catalogue import Catalogue
from tickets.exceptions import ActionNotAllowed, UnknownDepartment
from tickets.models import Dispatch, SlaBreach, Ticket

NOW = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.timezone.utc)
SETTINGS = actions.Settings(Catalogue(), WorkCalendar())


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
        first = sorted(clock for _, clock, _, _ in clocks.scan_breaches(session, NOW, SETTINGS))
    with db.transaction() as session:
        again = clocks.scan_breaches(session, NOW + hour, SETTINGS)
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
        ticket, _ = actions.act(session, "t2", action="reopen", actor=reporter, payload={"note": "还是不亮"},
                                expected_version=None, now=NOW, settings=SETTINGS)
        due = ticket.resolve_due
    assert due > NOW, "the resolve clock restarts for the new round"
    with db.transaction() as session:
        assert clocks.scan_breaches(session, NOW + dt.timedelta(minutes=5), SETTINGS) == [], \
            "the first round's deadline, met long ago, is no breach now"
    with db.transaction() as session:
        late = [(t.id, clock, escalated)
                for t, clock, _, escalated in clocks.scan_breaches(session, due + day, SETTINGS)]
    assert late == [("t2", "resolve#1", "town")]
    with db.read() as session:
        stats = statistics.ticket_statistics(session, None, start_day=(NOW - 30 * day).date(),
                                             end_day=(NOW + 30 * day).date())
    assert stats["sla_breaches"]["by_clock"] == {"resolve": 2}


def _at_town(session, ticket_id, number, category="EP01"):
    session.add(Ticket(id=ticket_id, number=number, grid_code="320508019044001", source="resident_report",
                       description="河道异味", status="handling", level="town", category=category, grade="daily",
                       reported_at=NOW, accept_due=NOW, respond_due=NOW, resolve_due=NOW + dt.timedelta(days=10),
                       reporter_account_id="r1", reopen_count=0, suspended=False, suspended_seconds=0,
                       meeting_disposal=False, anonymous=False, attachments=[]))


TOWN = workflow.Actor(account_id="l1", username="leader", roles=("town_leader",), scope="320508019")
ENVIRONMENT = workflow.Actor(account_id="d1", username="huanbao", roles=("department",), department="environment")


def act(db, ticket_id, action, actor, at, **payload):
    with db.transaction() as session:
        ticket, _ = actions.act(session, ticket_id, action=action, actor=actor, payload=payload, expected_version=None,
                                now=at, settings=SETTINGS)
        return ticket.status


def test_department_clocks_stand_still_while_the_ticket_is_suspended(db):
    hour = dt.timedelta(hours=1)
    with db.transaction() as session:
        _at_town(session, "t3", "20261123-00003")
    act(db, "t3", "whistle", TOWN, NOW, departments=["environment"], lead_department="environment")
    act(db, "t3", "suspend", TOWN, NOW + 0.5 * hour, note="等待上游排查")
    with db.transaction() as session:
        assert clocks.scan_breaches(session, NOW + 2 * hour, SETTINGS) == [], "suspended: no clock runs late"
    act(db, "t3", "resume", TOWN, NOW + 48 * hour)
    with db.read() as session:
        dispatch = session.query(Dispatch).filter_by(ticket_id="t3").one()
        assert dispatch.sign_due == NOW + 48.5 * hour, "the hour to sign: half used before the pause"
        assert dispatch.contact_due == NOW + 71.5 * hour, "24 h, pushed back by the 47.5 h pause"


def test_a_reopened_ticket_is_whistled_for_afresh_and_verified_on_the_new_round_only(db):
    hour = dt.timedelta(hours=1)
    with db.transaction() as session:
        _at_town(session, "t4", "20261123-00004")
    reporter = workflow.Actor(account_id="r1", username="zhang", roles=("resident",))
    act(db, "t4", "whistle", TOWN, NOW, departments=["environment"], lead_department="environment")
    for action, payload in (("sign", {}), ("report_back", {"note": "已清理"})):
        act(db, "t4", action, ENVIRONMENT, NOW + hour, **payload)
    act(db, "t4", "verify", TOWN, NOW + 2 * hour, outcome="fixed")
    act(db, "t4", "feedback", TOWN, NOW + 3 * hour, note="已处理")
    act(db, "t4", "rate", reporter, NOW + 4 * hour, satisfaction=1)
    assert act(db, "t4", "reopen", reporter, NOW + 5 * hour, note="又臭了") == "handling"
    act(db, "t4", "whistle", TOWN, NOW + 6 * hour, departments=["environment"], lead_department="environment")
    with pytest.raises(ActionNotAllowed):  # the first round's report does not count now
        act(db, "t4", "verify", TOWN, NOW + 7 * hour, outcome="fixed")
    with db.transaction() as session:
        late = sorted(clock for _, clock, _, _ in clocks.scan_breaches(session, NOW + 8 * hour, SETTINGS))
    assert late == ["sign:environment#1"], "the new round's dispatch runs late on its own clock"
    with db.read() as session:
        rounds = sorted((d.whistle_round, d.reported_at is not None)
                        for d in session.query(Dispatch).filter_by(ticket_id="t4"))
        stats = statistics.ticket_statistics(session, None, start_day=NOW.date(), end_day=NOW.date())
    assert rounds == [(0, True), (1, False)]
    assert stats["sla_breaches"]["by_department"] == {"environment": {"sign": 1}}


def test_recategorising_a_reopened_ticket_keeps_its_round_and_its_pauses(db):
    day = dt.timedelta(days=1)
    with db.transaction() as session:
        _at_town(session, "t5", "20261123-00005", category="UM07")
        ticket = session.get(Ticket, "t5")
        ticket.level, ticket.reopen_count, ticket.reopened_at = "community", 1, NOW + 10 * day
        ticket.resolve_due = SETTINGS.calendar.add_working_days(ticket.reopened_at, 5)
    community = workflow.Actor(account_id="c1", username="sq", roles=("community_officer",), scope="320508019044")
    act(db, "t5", "suspend", community, NOW + 11 * day, note="等待业主")
    act(db, "t5", "resume", community, NOW + 13 * day)
    with db.read() as session:
        paused_due = session.get(Ticket, "t5").resolve_due
    act(db, "t5", "recategorise", community, NOW + 13 * day, category="UM07")
    with db.read() as session:
        assert session.get(Ticket, "t5").resolve_due == paused_due, \
            "the same category again: the round's deadline with its pause, not one from the first report"
    assert paused_due > SETTINGS.calendar.add_working_days(NOW + 10 * day, 5)


def test_a_whistle_summons_only_departments_the_catalogue_knows(db):
    with db.transaction() as session:
        _at_town(session, "t6", "20261123-00006")
    made_up = "d" * 40  # a code nobody's account carries; its breach name would not even fit a row
    with pytest.raises(UnknownDepartment) as refused:
        act(db, "t6", "whistle", TOWN, NOW, departments=["environment", made_up], lead_department="environment")
    assert refused.value.details == {"field": "departments", "unknown": [made_up]}
    with db.read() as session:
        assert session.get(Ticket, "t6").level == "town" and session.query(Dispatch).filter_by(ticket_id="t6").count() == 0
    with db.transaction() as session:  # nothing half-stored that the scan would trip over
        assert clocks.scan_breaches(session, NOW + dt.timedelta(hours=2), SETTINGS) == []
    act(db, "t6", "whistle", TOWN, NOW, departments=["environment", "water"], lead_department="water")
    with db.read() as session:
        assert sorted(d.department for d in session.query(Dispatch).filter_by(ticket_id="t6")) == ["environment", "water"]


def test_a_department_with_a_code_as_long_as_peoples_breaches_like_any_other(db):
    from tickets.catalogue import Category
    long_code = "property_management_company_of_gusu_2026"  # 40 characters, people's longest
    settings = actions.Settings(Catalogue(list(Catalogue()) + [Category("PM01", "物业服务", long_code)]), WorkCalendar())
    with db.transaction() as session:
        _at_town(session, "t7", "20261123-00007")
    with db.transaction() as session:
        actions.act(session, "t7", action="whistle", actor=TOWN,
                    payload={"departments": [long_code], "lead_department": long_code}, expected_version=None,
                    now=NOW, settings=settings)
    with db.transaction() as session:
        late = sorted(clock for _, clock, _, _ in clocks.scan_breaches(session, NOW + dt.timedelta(days=2), settings))
    assert late == [f"contact:{long_code}", f"sign:{long_code}"]


def test_a_ticket_clock_past_four_fifths_of_its_time_is_warned_of_once(db):
    hour = dt.timedelta(hours=1)

    def ticket(id_, status, reported_hours_ago, resolve_in_hours, responsible="p1", **extra):
        return Ticket(id=id_, number=f"20261123-0010{id_[-1]}", grid_code="320508019044001", source="resident_report",
                      description="x", status=status, level="grid", category="UM07", grade="daily",
                      reported_at=NOW - reported_hours_ago * hour, accept_due=NOW + 100 * hour,
                      respond_due=NOW + 100 * hour, resolve_due=NOW + resolve_in_hours * hour, reopen_count=0,
                      suspended=False, suspended_seconds=0, meeting_disposal=False, anonymous=False, attachments=[],
                      responsible_person_id=responsible, **extra)
    with db.transaction() as session:
        session.add_all([
            ticket("w1", "handling", 90, 10),                    # 90% of its resolve time gone: warned
            ticket("w2", "handling", 70, 30),                    # 70%: not yet
            ticket("w3", "handling", 90, 10, responsible=None),  # nobody to warn
            ticket("w4", "closed", 90, 10),                      # closed: no clock runs
            ticket("w5", "handling", 110, -10),                  # past its deadline: a breach, not a warning
        ])
    with db.transaction() as session:
        first = [(t.id, clock) for t, clock, _ in clocks.scan_warnings(session, NOW)]
    with db.transaction() as session:
        again = clocks.scan_warnings(session, NOW + hour)
    assert first == [("w1", "resolve")] and again == []
    with db.transaction() as session:   # 20 hours on, the second one passes 80% too
        later = [(t.id, clock) for t, clock, _ in clocks.scan_warnings(session, NOW + 20 * hour)]
    assert later == [("w2", "resolve")]
