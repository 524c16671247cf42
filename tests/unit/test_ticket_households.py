"""Party-member households (党员中心户) in tickets: a member carries a household's problem
up (三带去) and follows their households' tickets (三带回); a resident's own report names
their household. The rules (tickets.households) alone, then TicketsService through
worker_factory on a real database, with people faked as its RPCs answer."""
import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import func, select

from common.errors import Forbidden, InvalidInput, NotFound, Unavailable
from common.outbox import OutboxWriter
from common.pii import PiiCipher
from tickets import MIGRATIONS_DIR, households
from tickets.actions import Settings
from tickets.calendar import WorkCalendar
from tickets.catalogue import Catalogue
from tickets.models import Ticket
from tickets.service import TicketsService
from tickets.workflow import Actor

SETTINGS, CIPHER = Settings(Catalogue(), WorkCalendar()), PiiCipher(bytes(32))
COMMUNITY = "320611001001"
HERE, NEXT_DOOR, THERE = f"{COMMUNITY}001", f"{COMMUNITY}002", "320611002001001"
MEMBER, OTHER_MEMBER = "p-member", "p-other"
HOME, NEIGHBOUR, FLAT, STRANGERS = "h-home", "h-neighbour", "h-flat", "h-strangers"
PROBLEM = {"category": "UM07", "description": "3号楼楼道灯坏了一周"}


def actor(account_id, *roles, scope=None, department=None, person_id=None):
    return {"account_id": account_id, "username": account_id, "roles": list(roles), "scope": scope,
            "department": department, "person_id": person_id}


MEMBER_ACCOUNT = actor("a-member", "grid_worker", scope=HERE, person_id=MEMBER)  # posted in HERE only
IN_SERVICE = actor("a-in-service", "department", department="sanitation", person_id=OTHER_MEMBER)
OFFICER = actor("a-officer", "community_officer", scope=COMMUNITY)
WORKER_HERE = actor("a-worker", "grid_worker", scope=HERE)
STRANGER = actor("a-stranger", "community_officer", scope="320611002001")
ADMIN = actor("a-admin", "admin")
RESIDENT = actor("a-resident", "resident")
HOMELESS_RESIDENT = actor("a-homeless", "resident")


class FakeGrid:
    def get_grid(self, code):
        return {"code": code}


class FakePeople:
    """People's answers: the member's households (with people's reach rule: the member
    themself, or a reader whose reach meets the member's grids) and residents' homes."""

    def __init__(self, up=True):
        self.up, self.asked = up, []
        self.members = {
            MEMBER: {"person_id": MEMBER, "party_member": True, "grids": [COMMUNITY], "households": [
                {"household_id": HOME, "grid_code": HERE, "address": "1号楼101室"},
                {"household_id": NEIGHBOUR, "grid_code": NEXT_DOOR, "address": "2号楼202室"}]},
            OTHER_MEMBER: {"person_id": OTHER_MEMBER, "party_member": True, "grids": [THERE], "households": [
                {"household_id": FLAT, "grid_code": THERE, "address": "9号楼909室"}]},
            "p-lapsed": {"person_id": "p-lapsed", "party_member": False, "grids": [HERE], "households": [
                {"household_id": STRANGERS, "grid_code": HERE, "address": "3号楼303室"}]},
        }
        self.homes = {"a-resident": {"household_id": HOME, "grid_code": HERE}}

    def _up(self, what):
        self.asked.append(what)
        if not self.up:
            raise Unavailable("The people service is not running; please retry shortly.", code="SERVICE_UNAVAILABLE")

    def party_households(self, person_id, actor=None):
        self._up("party_households")
        member = self.members.get(person_id)
        reader = Actor.from_wire(actor)
        reach = None if reader is None or reader.person_id == person_id else reader.reach
        if member is None or not (reach is None or reach and any(
                code.startswith(reach) or reach.startswith(code)
                for code in member["grids"] + [h["grid_code"] for h in member["households"]])):
            raise NotFound(f"No person has the id {person_id}.", code="PERSON_NOT_FOUND")
        return member

    def resident_home(self, account_id):
        self._up("resident_home")
        if account_id not in self.homes:
            raise NotFound("This account belongs to no resident with a household.", code="RESIDENT_NOT_FOUND")
        return self.homes[account_id]


class NoWitness:
    def trail_witness(self, ticket_id):
        return None


@pytest.fixture
def db(open_db):
    return open_db("tickets", MIGRATIONS_DIR)


def service(db, people=None):
    return worker_factory(TicketsService, db=db, outbox=OutboxWriter("tickets"), settings=SETTINGS, cipher=CIPHER,
                          grid=FakeGrid(), people=people or FakePeople(), scoring=NoWitness())


def stored(db):
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Ticket))


# --- the rules -----------------------------------------------------------------------------

def test_only_the_member_themself_carries_up():
    households.require_member(Actor.from_wire(MEMBER_ACCOUNT), MEMBER)
    for who in (ADMIN, OFFICER, IN_SERVICE):
        with pytest.raises(Forbidden) as refused:
            households.require_member(Actor.from_wire(who), MEMBER)
        assert (refused.value.code, refused.value.details) == ("NOT_THE_MEMBER", {"field": "person_id"})
    with pytest.raises(InvalidInput):
        households.require_member(None, MEMBER)


def test_a_household_carried_up_for_is_linked_to_a_party_member():
    people = FakePeople()
    member = people.members[MEMBER]
    assert households.linked_household(member, NEIGHBOUR)["grid_code"] == NEXT_DOOR
    for household_id in (FLAT, "h-nobody"):
        with pytest.raises(NotFound) as refused:
            households.linked_household(member, household_id)
        assert refused.value.code == "LINK_NOT_FOUND" and refused.value.details["field"] == "household_id"
    with pytest.raises(InvalidInput) as refused:
        households.linked_household(people.members["p-lapsed"], STRANGERS)
    assert (refused.value.code, refused.value.details) == ("NOT_A_PARTY_MEMBER", {"field": "person_id"})


def test_a_carried_report_lies_in_the_household_s_grid_and_names_no_reporter():
    report = households.carried_report({"category": "UM07", "grade": "daily", "description": "灯坏了",
                                        "attachments": []}, {"household_id": HOME, "grid_code": HERE})
    assert (report["grid_code"], report["source"]) == (HERE, "grid_patrol")
    assert (report["lon"], report["reporter_name"], report["reporter_phone"], report["anonymous"]) == \
        (None, None, None, False)


def test_a_resident_s_report_is_for_their_household_at_home_and_not_anonymous():
    home = {"household_id": HOME, "grid_code": HERE}
    assert households.resident_household(home, HERE, anonymous=False) == HOME
    assert households.resident_household(home, THERE, anonymous=False) is None     # somewhere else
    assert households.resident_household(home, HERE, anonymous=True) is None        # names nobody
    assert households.resident_household(None, HERE, anonymous=False) is None


def test_a_list_covers_the_member_s_households_and_a_reader_s_reach():
    member = FakePeople().members[MEMBER]
    base = {"limit": 50, "status": None, "before": None}
    own = households.list_filters(member, dict(base), own=True, reach=HERE)
    assert (own["household_ids"], own["root"]) == ([HOME, NEIGHBOUR], None)
    assert households.list_filters(member, dict(base), own=False, reach=HERE)["root"] == HERE
    assert households.list_filters(member, dict(base), own=False, reach=None)["root"] is None
    assert households.list_filters(member, dict(base), own=False, reach="")["household_ids"] == []
    one = households.list_filters(member, dict(base, household_id=NEIGHBOUR), own=True, reach=None)
    assert one["household_ids"] == [NEIGHBOUR]
    with pytest.raises(NotFound) as refused:
        households.list_filters(member, dict(base, household_id=FLAT), own=True, reach=None)
    assert refused.value.details["field"] == "household_id"


# --- the service ---------------------------------------------------------------------------

def test_a_member_carries_a_problem_up_for_their_household(db):
    people = FakePeople()
    ticket = service(db, people).carry_up(MEMBER, NEIGHBOUR, dict(PROBLEM), MEMBER_ACCOUNT)
    # the household's grid, though the member's account is scoped to another grid
    assert (ticket["grid_code"], ticket["household_id"], ticket["source"]) == (NEXT_DOOR, NEIGHBOUR, "grid_patrol")
    assert (ticket["reporter_account_id"], ticket["reporter_name"], ticket["reporter_phone"]) == \
        ("a-member", None, None)
    assert service(db).get_ticket(ticket["id"], MEMBER_ACCOUNT)["id"] == ticket["id"]      # their own report
    assert service(db).verify_ticket(ticket["id"], ADMIN)["intact"] is True                # household_id sealed
    with db.transaction() as session:                                                      # moved onto another
        session.execute(Ticket.__table__.update().where(Ticket.id == ticket["id"]).values(household_id=FLAT))
    tampered = service(db).verify_ticket(ticket["id"], ADMIN)
    assert tampered["intact"] is False and "household_id" in str(tampered["problems"])
    in_service = service(db).carry_up(OTHER_MEMBER, FLAT, dict(PROBLEM), IN_SERVICE)      # a department account
    assert (in_service["grid_code"], in_service["source"]) == (THERE, "grid_patrol")


def test_a_carry_up_by_anyone_else_or_for_a_household_not_linked_stores_nothing(db):
    people = FakePeople()
    for who in (OFFICER, ADMIN, IN_SERVICE):
        with pytest.raises(Forbidden) as refused:
            service(db, people).carry_up(MEMBER, HOME, dict(PROBLEM), who)
        assert refused.value.code == "NOT_THE_MEMBER"
    assert people.asked == [], "refused before people is asked"
    for household_id in (FLAT, STRANGERS, "h-nobody"):
        with pytest.raises(NotFound) as refused:
            service(db, people).carry_up(MEMBER, household_id, dict(PROBLEM), MEMBER_ACCOUNT)
        assert (refused.value.code, refused.value.details["field"]) == ("LINK_NOT_FOUND", "household_id")
    lapsed = actor("a-lapsed", "grid_worker", scope=HERE, person_id="p-lapsed")
    with pytest.raises(InvalidInput) as refused:
        service(db, people).carry_up("p-lapsed", STRANGERS, dict(PROBLEM), lapsed)
    assert refused.value.code == "NOT_A_PARTY_MEMBER"
    for field, value in (("grid_code", THERE), ("household_id", FLAT), ("source", "media"),
                         ("reporter_phone", "13900001111"), ("location", {"lon": 1, "lat": 1})):
        with pytest.raises(InvalidInput) as refused:
            service(db, people).carry_up(MEMBER, HOME, dict(PROBLEM, **{field: value}), MEMBER_ACCOUNT)
        assert list(refused.value.details["fields"]) == [field]
    with pytest.raises(InvalidInput) as refused:
        service(db, people).carry_up(MEMBER, HOME, dict(PROBLEM, category="ZZ99"), MEMBER_ACCOUNT)
    assert refused.value.details == {"field": "category"}
    with pytest.raises(Unavailable):
        service(db, FakePeople(up=False)).carry_up(MEMBER, HOME, dict(PROBLEM), MEMBER_ACCOUNT)
    assert stored(db) == 0


def test_a_carry_up_retried_with_its_key_is_one_ticket(db):
    first = service(db).carry_up(MEMBER, HOME, dict(PROBLEM), MEMBER_ACCOUNT, idempotency_key="k-carry-1")
    again = service(db).carry_up(MEMBER, HOME, dict(PROBLEM), MEMBER_ACCOUNT, idempotency_key="k-carry-1")
    assert again["id"] == first["id"] and stored(db) == 1


def test_a_resident_s_report_from_home_names_their_household(db):
    report = {"category": "UM07", "description": "单元门禁坏了", "grid_code": HERE}
    assert service(db).report_ticket(dict(report), RESIDENT)["household_id"] == HOME
    assert service(db).report_ticket(dict(report, anonymous=True), RESIDENT)["household_id"] is None
    assert service(db).report_ticket(dict(report, grid_code=THERE), RESIDENT)["household_id"] is None
    assert service(db).report_ticket(dict(report), HOMELESS_RESIDENT)["household_id"] is None
    down = service(db, FakePeople(up=False)).report_ticket(dict(report), RESIDENT)    # taken all the same
    assert down["household_id"] is None and down["status"] == "reported"
    people = FakePeople()
    assert service(db, people).report_ticket(dict(report), WORKER_HERE)["household_id"] is None
    assert people.asked == [], "only a resident's report asks for a home"


def test_a_member_sees_their_households_tickets_and_no_one_else_s(db):
    carried = service(db).carry_up(MEMBER, NEIGHBOUR, dict(PROBLEM), MEMBER_ACCOUNT)
    own = service(db).report_ticket({"category": "UM07", "description": "单元门禁坏了", "grid_code": HERE},
                                    dict(RESIDENT, person_id=None))
    service(db).carry_up(OTHER_MEMBER, FLAT, dict(PROBLEM), IN_SERVICE)
    service(db).report_ticket({"category": "UM07", "description": "路灯不亮", "grid_code": HERE}, ADMIN)

    def listed(who, person_id=MEMBER, **filters):
        return service(db).household_tickets(person_id, filters, who)

    mine = listed(MEMBER_ACCOUNT)
    assert [t["id"] for t in mine["items"]] == [own["id"], carried["id"]] and mine["households"] == 2
    item = mine["items"][1]
    assert (item["household_id"], item["address"], item["grid_code"], item["status"]) == \
        (NEIGHBOUR, "2号楼202室", NEXT_DOOR, "reported")
    assert not {"reporter_account_id", "reporter_name", "reporter_phone", "anonymous"} & set(item)
    assert [t["id"] for t in listed(MEMBER_ACCOUNT, household_id=HOME)["items"]] == [own["id"]]
    assert [t["id"] for t in listed(OFFICER)["items"]] == [own["id"], carried["id"]]
    assert [t["id"] for t in listed(WORKER_HERE)["items"]] == [own["id"]]           # their own grid's only
    service(db).act(own["id"], {"action": "accept", "version": own["version"]}, ADMIN)
    assert [t["id"] for t in listed(MEMBER_ACCOUNT, status="reported")["items"]] == [carried["id"]]
    assert len(listed(MEMBER_ACCOUNT, status="open")["items"]) == 2
    assert listed(MEMBER_ACCOUNT, status="closed")["items"] == []
    page = listed(MEMBER_ACCOUNT, limit=1)
    assert [t["id"] for t in listed(MEMBER_ACCOUNT, limit=1, before=page["next"])["items"]] == [carried["id"]]
    assert [t["id"] for t in listed(IN_SERVICE, person_id=OTHER_MEMBER)["items"]] != []

    for who in (IN_SERVICE, STRANGER):                                  # another member, staff elsewhere
        with pytest.raises(NotFound) as refused:
            listed(who)
        assert refused.value.code == "PERSON_NOT_FOUND"
    with pytest.raises(NotFound) as refused:
        listed(MEMBER_ACCOUNT, household_id=FLAT)
    assert (refused.value.code, refused.value.details["field"]) == ("LINK_NOT_FOUND", "household_id")
    for filters, field in (({"status": "opened"}, "status"), ({"limit": 0}, "limit"), ({"root": HERE}, "root")):
        with pytest.raises(InvalidInput) as refused:
            listed(MEMBER_ACCOUNT, **filters)
        assert list(refused.value.details["fields"]) == [field]


def test_an_unlinked_household_drops_out_of_the_member_s_list(db):
    people = FakePeople()
    carried = service(db, people).carry_up(MEMBER, NEIGHBOUR, dict(PROBLEM), MEMBER_ACCOUNT)
    assert [t["id"] for t in service(db, people).household_tickets(MEMBER, {}, MEMBER_ACCOUNT)["items"]] == \
        [carried["id"]]
    people.members[MEMBER]["households"].pop()   # NEIGHBOUR unlinked
    assert service(db, people).household_tickets(MEMBER, {}, MEMBER_ACCOUNT)["items"] == []
