"""Who whistles (吹哨) and to whom the departments report back (报到): the levels a
deployment allows (TICKET_WHISTLE_LEVELS, default community and town: seed 001's
社区吹哨、部门报到, seed 002's village-level whistle), the level that whistled verifying
its departments' work, and a whistle where the deployment allows none refused with
nothing stored. The rules without a database first, then TicketsService on one."""
import datetime as dt
import hashlib
import json
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import func, select

from common.errors import Conflict, Forbidden
from common.outbox import OutboxWriter, outbox_events
from common.pii import PiiCipher
from tickets import MIGRATIONS_DIR, trail
from tickets.calendar import WorkCalendar
from tickets.catalogue import Catalogue
from tickets.exceptions import ActionNotAllowed, NotYourTicket, WhistleLevelsInvalid
from tickets.actions import Settings
from tickets.models import Dispatch, Ticket, TrailEntry
from tickets.service import TicketSettings, TicketsService
from tickets.workflow import (REOPEN_WINDOW_DEFAULT, WHISTLE_LEVELS_DEFAULT, Actor, actions_for, allowed_actions, apply,
                              copy_of, whistle_levels)

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
EP01 = Catalogue().get("EP01")  # 餐饮油烟扰民
COMMUNITY = Actor("c1", "sunding", ("community_officer",), scope="340503001001", person_id="p-c1")
LEADER = Actor("l1", "leader", ("town_leader",), scope="340503001", person_id="p-l1")
WORKER = Actor("w1", "worker", ("grid_worker",), scope="340503001001001")
ADMIN = Actor("a1", "admin", ("admin",))
ENVIRONMENT = Actor("d1", "huanbao", ("department",), department="environment")
SUMMON = {"departments": ["environment", "urban_management"], "lead_department": "environment",
          "note": "社区吹哨，生态环境、城管报到"}
TOWN_ONLY = ("town",)


def handling_at(level):
    return SimpleNamespace(
        number="20261123-00007", status="handling", level=level, suspended=False, suspended_at=None,
        suspended_seconds=0, reporter_account_id="r1", accepted_at=NOW, handling_at=NOW, resolved_at=None,
        resolved_level=None, resolved_by_person_id=None, feedback_at=None, rated_at=None, closed_at=None,
        reopened_at=None, reopen_count=0, outcome=None, satisfaction=None, category="EP01", grade="daily",
        duplicate_of=None, meeting_disposal=False, lead_department=None, whistle_level=None,
        source="resident_report")


def whistle(ticket, actor, levels=WHISTLE_LEVELS_DEFAULT):
    return apply(ticket, action="whistle", actor=actor, payload=dict(SUMMON), now=NOW, category=EP01, dispatches=[],
                 reopen_window=REOPEN_WINDOW_DEFAULT, whistle_levels=levels)


def reported_back(lead="environment"):
    """This round's dispatches once the lead department has reported back."""
    return [SimpleNamespace(department=lead, lead=True, signed_at=NOW, contacted_at=NOW, reported_at=NOW,
                            report="已责令整改")]


def may(ticket, actor, dispatches=(), levels=WHISTLE_LEVELS_DEFAULT):
    return set(actions_for(ticket, actor=actor, category=EP01, dispatches=list(dispatches), now=NOW,
                           reopen_window=REOPEN_WINDOW_DEFAULT, whistle_levels=levels))


# --- the setting ------------------------------------------------------------------------

@pytest.mark.parametrize("text, levels", [
    ("community,town", ("community", "town")),
    (" town , community ", ("community", "town")),  # the hierarchy's order, whatever the setting's
    ("town", ("town",)),
    ("community", ("community",)),
])
def test_the_whistle_levels_setting_names_community_or_town(text, levels):
    assert whistle_levels(text) == levels


@pytest.mark.parametrize("text, item", [
    ("grid,town", "grid"), ("village", "village"), ("town,department", "department"), (" , ", None)])
def test_a_whistle_level_no_whistle_is_blown_at_is_refused_naming_the_setting(text, item):
    with pytest.raises(WhistleLevelsInvalid) as refused:
        whistle_levels(text)
    assert refused.value.message.startswith("TICKET_WHISTLE_LEVELS")
    assert refused.value.details.get("item") == item and refused.value.details["field"] == "TICKET_WHISTLE_LEVELS"


def test_tickets_refuses_to_start_on_a_wrong_whistle_level_and_reads_a_right_one(tmp_path, caplog):
    provider = TicketSettings()
    provider.container = SimpleNamespace(config={"TICKET_WHISTLE_LEVELS": "street", "DATA_DIR": str(tmp_path)})
    with pytest.raises(WhistleLevelsInvalid):
        provider.setup()
    assert "Refusing to start on wrong whistle levels: TICKET_WHISTLE_LEVELS: 'street'" in caplog.text
    provider.container.config["TICKET_WHISTLE_LEVELS"] = "town"
    provider.setup()
    assert provider.settings.whistle_levels == ("town",)


# --- who whistles, where --------------------------------------------------------------

@pytest.mark.parametrize("level, actor", [("community", COMMUNITY), ("town", LEADER)])
def test_with_both_levels_allowed_the_level_holding_the_ticket_whistles_and_it_is_remembered(level, actor):
    ticket = handling_at(level)
    assert "whistle" in allowed_actions(ticket) and "whistle" in may(ticket, actor)
    change = whistle(ticket, actor)
    assert (ticket.level, ticket.whistle_level, ticket.lead_department) == ("department", level, "environment")
    assert (change.from_level, change.event, change.data["whistle_level"]) == (level, "ticket_dispatched", level)
    assert [d["department"] for d in change.data["new_dispatches"]] == ["environment", "urban_management"]


@pytest.mark.parametrize("level, actor", [
    ("community", LEADER),     # the community's own whistle: the town above does not blow it for it
    ("town", COMMUNITY),       # nor does the community blow the town's
    ("community", WORKER),
    ("community", ADMIN),      # district-wide roles act at any level but blow no whistle
    ("town", ADMIN),
])
def test_only_the_officers_of_the_level_holding_the_ticket_whistle(level, actor):
    ticket = handling_at(level)
    assert "whistle" not in may(ticket, actor)
    with pytest.raises(NotYourTicket) as refused:
        whistle(ticket, actor)
    assert refused.value.details["level"] == level and "blow the whistle" in refused.value.message
    assert (ticket.level, ticket.whistle_level) == (level, None)


def test_with_only_the_town_allowed_a_community_whistle_is_refused_naming_the_level():
    ticket = handling_at("community")
    assert "whistle" not in allowed_actions(ticket, whistle_levels=TOWN_ONLY)
    assert "whistle" not in may(ticket, COMMUNITY, levels=TOWN_ONLY) and "escalate" in may(ticket, COMMUNITY,
                                                                                            levels=TOWN_ONLY)
    with pytest.raises(ActionNotAllowed) as refused:
        whistle(ticket, COMMUNITY, TOWN_ONLY)
    assert refused.value.code == "WHISTLE_LEVEL_NOT_ALLOWED" and isinstance(refused.value, Conflict)  # 409
    assert "community level" in refused.value.message and "TICKET_WHISTLE_LEVELS" in refused.value.message
    assert refused.value.details["level"] == "community" and refused.value.details["whistle_levels"] == ["town"]
    assert "escalate" in refused.value.details["allowed"] and "whistle" not in refused.value.details["allowed"]
    assert (ticket.level, ticket.whistle_level, ticket.lead_department) == ("community", None, None)
    at_town = handling_at("town")  # escalated, the town whistles as before
    whistle(at_town, LEADER, TOWN_ONLY)
    assert (at_town.level, at_town.whistle_level) == ("department", "town")


def test_with_only_the_community_allowed_the_town_whistles_no_more():
    ticket = handling_at("town")
    with pytest.raises(ActionNotAllowed) as refused:
        whistle(ticket, LEADER, ("community",))
    assert refused.value.code == "WHISTLE_LEVEL_NOT_ALLOWED" and refused.value.details["level"] == "town"
    assert ticket.level == "town"


def test_a_grid_ticket_is_escalated_before_any_whistle():
    ticket = handling_at("grid")
    with pytest.raises(ActionNotAllowed) as refused:
        whistle(ticket, WORKER, TOWN_ONLY)
    assert refused.value.code == "ACTION_NOT_ALLOWED" and "town level: escalate first" in refused.value.message


# --- to whom the departments report back ------------------------------------------------

def community_whistled():
    ticket = handling_at("community")
    whistle(ticket, COMMUNITY)
    return ticket


def test_the_community_verifies_the_work_of_the_departments_it_summoned():
    ticket = community_whistled()
    assert "verify" in may(ticket, COMMUNITY, reported_back())
    change = apply(ticket, action="verify", actor=COMMUNITY, payload={"outcome": "fixed", "note": "社区现场核实，油烟已净化"},
                   now=NOW, category=EP01, dispatches=reported_back(), reopen_window=REOPEN_WINDOW_DEFAULT)
    assert (ticket.status, ticket.resolved_level, ticket.resolved_by_person_id) == ("resolved", "department", "p-c1")
    assert change.event == "ticket_resolved"


def test_a_town_leader_cannot_verify_a_communitys_whistle_nor_act_on_it_but_still_routes_it():
    ticket = community_whistled()
    mine = may(ticket, LEADER, reported_back())
    assert not {"verify", "suspend"} & mine and {"recategorise", "merge"} <= mine
    with pytest.raises(NotYourTicket) as refused:
        apply(copy_of(ticket), action="verify", actor=LEADER, payload={"outcome": "fixed"}, now=NOW, category=EP01,
              dispatches=reported_back(), reopen_window=REOPEN_WINDOW_DEFAULT)
    assert refused.value.details["whistle_level"] == "community" and "community level" in refused.value.message
    with pytest.raises(NotYourTicket):
        apply(copy_of(ticket), action="suspend", actor=LEADER, payload={"note": "街道挂起"}, now=NOW, category=EP01,
              dispatches=reported_back(), reopen_window=REOPEN_WINDOW_DEFAULT)
    assert ticket.status == "handling"


def test_a_towns_whistle_is_verified_by_the_town_not_the_community_and_by_district_wide_roles():
    ticket = handling_at("town")
    whistle(ticket, LEADER)
    assert "verify" not in may(ticket, COMMUNITY, reported_back())
    assert "verify" in may(ticket, LEADER, reported_back()) and "verify" in may(ticket, ADMIN, reported_back())
    assert "verify" in may(community_whistled(), ADMIN, reported_back())


def test_the_community_that_whistled_is_in_charge_of_routing_the_dispatched_ticket():
    ticket = community_whistled()
    assert {"recategorise", "merge", "suspend"} <= may(ticket, COMMUNITY, reported_back())
    assert not {"recategorise", "merge", "verify", "suspend"} & may(ticket, WORKER, reported_back())
    summoned = may(ticket, ENVIRONMENT, reported_back())
    assert "suspend" in summoned and not {"verify", "recategorise", "merge"} & summoned


def test_resume_on_a_ticket_not_suspended_says_so():
    with pytest.raises(ActionNotAllowed) as refused:
        apply(handling_at("grid"), action="resume", actor=WORKER, payload={}, now=NOW, category=EP01, dispatches=[],
              reopen_window=REOPEN_WINDOW_DEFAULT)
    assert "not suspended" in refused.value.message


# --- on the database, through the service ------------------------------------------------

GRID = "320508019044001"
ON_WIRE = {"community": {"account_id": "a-c1", "username": "sq", "roles": ["community_officer"],
                         "scope": "320508019044", "person_id": "p-c1"},
           "leader": {"account_id": "a-l1", "username": "leader", "roles": ["town_leader"], "scope": "320508019",
                      "person_id": "p-l1"},
           "environment": {"account_id": "a-d1", "username": "huanbao", "roles": ["department"],
                           "department": "environment"},
           "admin": {"account_id": "a-admin", "username": "admin", "roles": ["admin"]}}


class FakeGrid:
    def get_grid(self, code, with_geometry=False):
        return {"code": code}


class NoWitness:
    def trail_witness(self, ticket_id):
        return None


@pytest.fixture
def db(open_db):
    return open_db("tickets", MIGRATIONS_DIR)


def service(db, levels=WHISTLE_LEVELS_DEFAULT):
    return worker_factory(TicketsService, db=db, outbox=OutboxWriter("tickets"),
                          settings=Settings(Catalogue(), WorkCalendar(), whistle_levels=levels),
                          cipher=PiiCipher(bytes(32)), grid=FakeGrid(), scoring=NoWitness())


def at_community(db):
    """A report the community accepted and handles: (id, version)."""
    ticket = service(db).report_ticket({"grid_code": GRID, "category": "EP01", "description": "饭店油烟直排"},
                                       ON_WIRE["admin"])
    version = ticket["version"]
    for action in ("accept", "handle"):
        version = service(db).act(ticket["id"], {"action": action, "version": version},
                                  ON_WIRE["community"])["ticket"]["version"]
    return ticket["id"], version


def stored(db, ticket_id):
    with db.read() as session:
        row = session.get(Ticket, ticket_id)
        return {"version": row.version, "level": row.level, "whistle_level": row.whistle_level,
                "dispatches": session.scalar(select(func.count()).select_from(Dispatch)
                                             .where(Dispatch.ticket_id == ticket_id)),
                "trail": session.scalar(select(func.count()).select_from(TrailEntry)
                                        .where(TrailEntry.ticket_id == ticket_id)),
                "events": session.scalar(select(func.count()).select_from(outbox_events))}


def test_a_whistle_the_deployment_does_not_allow_stores_nothing(db):
    ticket_id, version = at_community(db)
    before = stored(db, ticket_id)
    with pytest.raises(Conflict) as refused:
        service(db, TOWN_ONLY).act(ticket_id, dict(SUMMON, action="whistle", version=version), ON_WIRE["community"])
    assert refused.value.code == "WHISTLE_LEVEL_NOT_ALLOWED" and refused.value.details["level"] == "community"
    assert stored(db, ticket_id) == before and before["dispatches"] == 0
    view = service(db, TOWN_ONLY).get_ticket(ticket_id, ON_WIRE["community"])
    assert "whistle" not in view["allowed_actions"] and "whistle" not in view["your_actions"]


def test_the_departments_report_back_to_the_community_that_whistled_it_on_the_database(db):
    ticket_id, version = at_community(db)
    done = service(db).act(ticket_id, dict(SUMMON, action="whistle", version=version), ON_WIRE["community"])
    assert (done["ticket"]["level"], done["ticket"]["whistle_level"]) == ("department", "community")
    with db.read() as session:
        payload = session.execute(select(outbox_events.c.payload).where(
            outbox_events.c.event_type == "ticket_dispatched")).scalar_one()
    assert payload["whistle_level"] == "community" and payload["lead_department"] == "environment"
    version = done["ticket"]["version"]
    for step, body in (("sign", {}), ("report_back", {"note": "已责令安装油烟净化器"})):
        version = service(db).act(ticket_id, {"action": step, "version": version, **body},
                                  ON_WIRE["environment"])["ticket"]["version"]
    leader_sees = service(db).get_ticket(ticket_id, ON_WIRE["leader"])
    assert "verify" in leader_sees["allowed_actions"] and "verify" not in leader_sees["your_actions"]
    with pytest.raises(Forbidden):
        service(db).act(ticket_id, {"action": "verify", "version": version, "outcome": "fixed"}, ON_WIRE["leader"])
    assert "verify" in service(db).get_ticket(ticket_id, ON_WIRE["community"])["your_actions"]
    resolved = service(db).act(ticket_id, {"action": "verify", "version": version, "outcome": "fixed"},
                               ON_WIRE["community"])["ticket"]
    assert (resolved["status"], resolved["resolved_level"]) == ("resolved", "department")
    assert service(db).verify_ticket(ticket_id, ON_WIRE["admin"])["intact"] is True


def test_the_seal_covers_the_whistle_level_so_another_level_cannot_be_made_to_verify(db):
    ticket_id, version = at_community(db)
    service(db).act(ticket_id, dict(SUMMON, action="whistle", version=version), ON_WIRE["community"])
    with db.transaction() as session:
        session.get(Ticket, ticket_id).whistle_level = "town"
    edited = service(db).verify_ticket(ticket_id, ON_WIRE["admin"])
    assert edited["intact"] is False and edited["problems"][0]["fields"] == ["whistle_level"]


def test_an_older_towns_whistle_still_verifies_under_the_seal():
    """A ticket the town whistled for before the level was kept holds 'town' since
    migration 0015: its digest is the one its entry recorded then, over the first
    guarded fields alone; any other level changes it."""
    older = SimpleNamespace(**{name: None for name in trail.ROW_FIELDS}, reporter_person_id=None,
                            reported_category=None, resolved_by_person_id=None, whistle_level="town",
                            review_flag=None, household_id=None)
    older.lead_department = "environment"
    then = {name: getattr(older, name) for name in trail.ROW_FIELDS}
    sealed_then = hashlib.sha256(json.dumps(then, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                                            default=str).encode()).hexdigest()
    assert trail.row_digest(older)["sha256"] == sealed_then
    older.whistle_level = "community"
    assert trail.row_digest(older)["sha256"] != sealed_then and "whistle_level" in trail.row_digest(older)["fields"]
