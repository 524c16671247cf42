"""The caller reaches tickets as an actor, never through the client's JSON: who reports,
what a list covers, what an answer beyond reach looks like, and the bounds of what a
client sends. TicketsService through worker_factory, on a real database."""
import time

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import func, select

from common.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from common.outbox import OutboxWriter
from common.pii import PiiCipher
from tickets import MIGRATIONS_DIR
from tickets.calendar import WorkCalendar
from tickets.catalogue import Catalogue
from tickets.actions import Settings
from tickets.models import Ticket
from tickets.service import TicketsService

SETTINGS, CIPHER = Settings(Catalogue(), WorkCalendar()), PiiCipher(bytes(32))
HERE, THERE = "320508019044001", "320508014021001"
REPORT = {"grid_code": HERE, "category": "UM07", "description": "路灯不亮"}


def actor(account_id, *roles, scope=None, department=None, person_id=None):
    return {"account_id": account_id, "username": account_id, "roles": list(roles), "scope": scope,
            "department": department, "person_id": person_id}


ADMIN = actor("a-admin", "admin")
WORKER = actor("a-w1", "grid_worker", scope="320508019044", person_id="p-w1")
STRANGER = actor("a-w2", "grid_worker", scope="320508014021")
LEADER = actor("a-l1", "town_leader", scope="320508019")
RESIDENT = actor("a-r1", "resident")
CHENGGUAN = actor("a-d1", "department", department="urban_management")


class FakeGrid:
    def __init__(self):
        self.calls = []

    def get_grid(self, code):
        self.calls.append(code)
        if code not in (HERE, THERE):
            raise NotFound(f"No grid has the code {code}.", code="GRID_NOT_FOUND")
        return {"code": code}

    def locate(self, lon, lat, crs="wgs84"):
        self.calls.append((lon, lat))
        return {"grid": {"code": THERE if lon > 121 else HERE}, "lon": lon, "lat": lat}


class FakePeople:
    """People, down or up: counts the calls tickets makes."""

    def __init__(self, up=True):
        self.up, self.calls = up, 0

    def list_departments(self, kind=None):
        self.calls += 1
        if not self.up:
            raise Unavailable("The people service is not running; please retry shortly.", code="SERVICE_UNAVAILABLE")
        return {"items": [{"code": "sanitation", "kind": "functional_department"}], "next": None}

    def resident_home(self, account_id):  # these residents have no household on record
        raise NotFound("This account belongs to no resident with a household.", code="RESIDENT_NOT_FOUND")


class NoWitness:
    def trail_witness(self, ticket_id):
        return None


@pytest.fixture
def db(open_db):
    return open_db("tickets", MIGRATIONS_DIR)


def service(db, grid=None, people=None):
    return worker_factory(TicketsService, db=db, outbox=OutboxWriter("tickets"), settings=SETTINGS, cipher=CIPHER,
                          grid=grid or FakeGrid(), people=people or FakePeople(), scoring=NoWitness())


def stored(db):
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Ticket))


def test_the_reporter_is_the_actor_and_a_body_naming_one_is_refused(db):
    for field in ("reporter_account_id", "reporter_username", "reporter_role", "reporter_scope"):
        with pytest.raises(InvalidInput) as refused:
            service(db).report_ticket(dict(REPORT, **{field: "a-admin"}), RESIDENT)
        assert refused.value.code == "VALIDATION_FAILED"
        assert refused.value.details["fields"] == {field: ["Unknown field."]}
    assert stored(db) == 0
    ticket = service(db).report_ticket(dict(REPORT), RESIDENT)
    assert ticket["reporter_account_id"] == "a-r1" and ticket["source"] == "resident_report"
    first = service(db).ticket_history(ticket["id"], ADMIN)[0]
    assert (first["actor_account_id"], first["actor_username"], first["actor_role"]) == ("a-r1", "a-r1", "resident")


def test_grid_staff_report_inside_their_reach_and_residents_and_departments_anywhere(db):
    grid = FakeGrid()
    with pytest.raises(Forbidden) as refused:
        service(db, grid).report_ticket(dict(REPORT, grid_code=THERE), WORKER)
    assert refused.value.code == "OUT_OF_SCOPE" and refused.value.details["grid_code"] == THERE
    assert grid.calls == [], "a grid code out of reach is refused before grid is asked"
    by_location = {"category": "UM07", "description": "路灯不亮", "location": {"lon": 121.5, "lat": 31.3}}
    with pytest.raises(Forbidden) as refused:
        service(db).report_ticket(dict(by_location), WORKER)
    assert refused.value.code == "OUT_OF_SCOPE" and refused.value.details["grid_code"] == THERE
    assert stored(db) == 0, "nothing stored for a report out of reach"
    assert service(db).report_ticket(dict(REPORT), WORKER)["source"] == "grid_patrol"
    assert service(db).report_ticket(dict(by_location), RESIDENT)["grid_code"] == THERE
    assert service(db).report_ticket(dict(REPORT, grid_code=THERE), CHENGGUAN)["source"] == "department_referral"
    assert service(db).report_ticket(dict(REPORT, grid_code=THERE), ADMIN)["grid_code"] == THERE
    scoped_resident = actor("a-r2", "resident", scope="320508019044")  # a scope never applies to a resident
    assert service(db).report_ticket(dict(REPORT, grid_code=THERE), scoped_resident)["grid_code"] == THERE


def test_a_list_covers_what_the_actor_reaches(db):
    mine = service(db).report_ticket(dict(REPORT), RESIDENT)
    there = service(db).report_ticket(dict(REPORT, grid_code=THERE), ADMIN)
    here = service(db).report_ticket(dict(REPORT), ADMIN)

    def ids(who, **filters):
        return {t["id"] for t in service(db).list_tickets(filters, who)["items"]}

    assert ids(RESIDENT) == {mine["id"]}
    assert ids(WORKER) == {mine["id"], here["id"]}
    assert ids(STRANGER) == {there["id"]}
    assert ids(ADMIN) >= {mine["id"], here["id"], there["id"]}
    assert ids(ADMIN, root="320508014") == {there["id"]}
    for who, root in ((WORKER, "320508014"), (RESIDENT, "320508")):
        with pytest.raises(Forbidden) as refused:
            service(db).list_tickets({"root": root}, who)
        assert refused.value.code == "OUT_OF_SCOPE"
    assert ids(CHENGGUAN) == set()
    with pytest.raises(InvalidInput) as refused:  # reach is not a filter a caller sets
        service(db).list_tickets({"reporter_account_id": "a-r1"}, CHENGGUAN)
    assert "reporter_account_id" in refused.value.details["fields"]


def test_responsible_me_is_the_actors_person(db):
    ticket = service(db).report_ticket(dict(REPORT), RESIDENT)
    with db.transaction() as session:
        session.execute(Ticket.__table__.update().where(Ticket.id == ticket["id"]).values(responsible_person_id="p-w1"))
    assert [t["id"] for t in service(db).list_tickets({"responsible": "me"}, WORKER)["items"]] == [ticket["id"]]
    assert service(db).list_tickets({"responsible": "p-w1"}, LEADER)["items"][0]["id"] == ticket["id"]
    for unlinked in (LEADER, None):
        with pytest.raises(InvalidInput) as refused:
            service(db).list_tickets({"responsible": "me"}, unlinked)
        assert refused.value.code == "NO_PERSON" and refused.value.details == {"field": "responsible"}


def not_found_shape(call, asked):
    with pytest.raises(NotFound) as caught:
        call()
    error = caught.value
    return error.code, error.message.replace(asked, "<id>"), {k: (v.replace(asked, "<id>") if isinstance(v, str)
                                                                  else v) for k, v in error.details.items()}


def test_a_ticket_out_of_reach_answers_exactly_as_one_that_does_not_exist(db):
    ticket = service(db).report_ticket(dict(REPORT), RESIDENT)
    original = service(db).report_ticket(dict(REPORT, description="另一盏路灯"), RESIDENT)
    free_id, free_number = "00000000-0000-4000-8000-000000000000", "20000101-00001"
    for who in (STRANGER, CHENGGUAN, actor("a-r9", "resident")):
        for asked, free in ((ticket["id"], free_id), (ticket["number"], free_number)):
            calls = {
                "get": lambda t: service(db).get_ticket(t, who),
                "history": lambda t: service(db).ticket_history(t, who),
                "verify": lambda t: service(db).verify_ticket(t, who),
                "act": lambda t: service(db).act(t, {"action": "accept", "version": 99}, who),
                "whistle": lambda t: service(db).act(t, {"action": "whistle", "version": 1, "departments": ["x1"],
                                                         "lead_department": "x1"}, who),
            }
            for name, call in calls.items():
                beyond = not_found_shape(lambda: call(asked), asked)
                missing = not_found_shape(lambda: call(free), free)
                assert beyond == missing, (name, who["username"], beyond, missing)
                assert beyond[0] == "TICKET_NOT_FOUND" and "grid" not in beyond[1]
    # merge's "into": a ticket out of reach is no more there than a free id
    with db.transaction() as session:  # the duplicate itself in the worker's reach, the original not
        session.execute(Ticket.__table__.update().where(Ticket.id == ticket["id"]).values(grid_code=THERE))
    into_beyond = not_found_shape(lambda: service(db).act(
        ticket["id"], {"action": "merge", "version": ticket["version"], "into": original["id"]}, STRANGER),
        original["id"])
    into_free = not_found_shape(lambda: service(db).act(
        ticket["id"], {"action": "merge", "version": ticket["version"], "into": free_id}, STRANGER), free_id)
    assert into_beyond == into_free and into_beyond[0] == "TICKET_NOT_FOUND"


def test_a_whistle_asks_people_only_once_reach_state_and_authority_allow_it(db):
    ticket = service(db).report_ticket(dict(REPORT), RESIDENT)
    whistle = {"action": "whistle", "departments": ["sanitation"], "lead_department": "sanitation"}
    down = FakePeople(up=False)
    started = time.monotonic()
    with pytest.raises(NotFound):  # beyond the caller's reach
        service(db, people=down).act(ticket["id"], dict(whistle, version=ticket["version"]),
                                     actor("a-l2", "town_leader", scope="320508014"))
    with pytest.raises(Conflict) as refused:  # reported, not handled at town level
        service(db, people=down).act(ticket["id"], dict(whistle, version=ticket["version"]), LEADER)
    assert refused.value.code == "ACTION_NOT_ALLOWED"
    version = ticket["version"]
    for step in ("accept", "handle"):
        version = service(db).act(ticket["id"], {"action": step, "version": version}, LEADER)["ticket"]["version"]
    with pytest.raises(Conflict) as refused:  # a stale version
        service(db, people=down).act(ticket["id"], dict(whistle, version=version - 1), LEADER)
    assert refused.value.code == "VERSION_CONFLICT"
    with pytest.raises(Forbidden) as refused:  # only a town leader blows the whistle
        service(db, people=down).act(ticket["id"], dict(whistle, version=version), ADMIN)
    assert refused.value.code == "NOT_AUTHORISED_FOR_ACTION"
    assert down.calls == 0 and time.monotonic() - started < 5
    with pytest.raises(Unavailable):  # now people's answer is needed
        service(db, people=down).act(ticket["id"], dict(whistle, version=version), LEADER)
    assert down.calls == 1
    up = FakePeople()
    done = service(db, people=up).act(ticket["id"], dict(whistle, version=version), LEADER)
    assert done["ticket"]["level"] == "department" and up.calls == 1


@pytest.mark.parametrize("body, field", [
    ({"action": "accept", "version": 1e20}, "version"),
    ({"action": "accept", "version": 10 ** 20}, "version"),
    ({"action": "accept", "version": -1}, "version"),
    ({"action": "accept", "version": 0}, "version"),
    ({"action": "accept", "version": "1"}, "version"),
    ({"action": "rate", "version": 1, "satisfaction": 6}, "satisfaction"),
    ({"action": "rate", "version": 1, "satisfaction": 0}, "satisfaction"),
    ({"action": "rate", "version": 1, "satisfaction": "5"}, "satisfaction"),
    ({"action": "rate", "version": 1, "satisfaction": 4.5}, "satisfaction"),
    ({"action": "rate", "version": 1, "satisfaction": True}, "satisfaction"),
    ({"action": "merge", "version": 1, "into": "x" * 65}, "into"),
    ({"action": "accept", "version": 1, "hacked": True}, "hacked"),
])
def test_every_number_a_client_sends_has_bounds(db, body, field):
    ticket = service(db).report_ticket(dict(REPORT), RESIDENT)
    with pytest.raises(InvalidInput) as refused:
        service(db).act(ticket["id"], body, ADMIN)
    assert refused.value.code == "VALIDATION_FAILED" and list(refused.value.details["fields"]) == [field]
    if field == "satisfaction":
        assert "1" in refused.value.details["fields"][field][0] and "5" in refused.value.details["fields"][field][0]


@pytest.mark.parametrize("filters", [{"limit": 501}, {"limit": 0}, {"limit": 1e20}])
def test_a_list_limit_has_bounds(db, filters):
    with pytest.raises(InvalidInput) as refused:
        service(db).list_tickets(filters, ADMIN)
    assert list(refused.value.details["fields"]) == ["limit"]


def test_an_action_needs_an_actor_with_known_fields(db):
    ticket = service(db).report_ticket(dict(REPORT), RESIDENT)
    with pytest.raises(InvalidInput):
        service(db).act(ticket["id"], {"action": "accept", "version": 1}, None)
    linked = dict(ADMIN, person_id="p-1", client_address="10.0.0.8")
    assert service(db).act(ticket["id"], {"action": "accept", "version": ticket["version"]}, linked)["ticket"][
        "status"] == "accepted"
    with pytest.raises(InvalidInput) as refused:
        service(db).get_ticket(ticket["id"], dict(ADMIN, roles=["emperor"]))
    assert "roles" in str(refused.value.details)
