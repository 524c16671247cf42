"""三带去三带回 through the whole stack (issue 19 §1, seed 000): a party member linked to
neighbouring households (党员中心户) carries a household's problem up, a resident of a
linked household reports one from home, and the member follows both to their outcome
among their households' tickets. Anyone but the member carrying up, a household not
linked to them, and another member reading their households are refused, naming what
is wrong, and nothing is stored for a refusal."""
import uuid

import pytest
from shapely.geometry import box

from idnumbers import fresh_id_number
from ticket_client import Ticket
from answers import ok, refused

API = "/api/v1"
COUNTY, X, Y = "320611", 127.80, 37.80          # a county and a spot no other test uses
PASSWORD = "Passw0rd-2026"
REPORTER_FIELDS = {"reporter_account_id", "reporter_name", "reporter_phone", "anonymous"}


@pytest.fixture(scope="module")
def district(stack):
    return stack.square_district(stack.login(), COUNTY, "中心户", X, Y)


def member(stack, admin, name):
    return ok(stack.call("POST", f"{API}/staff", admin, {"name": name, "birth_date": "1980-03-01",
                                                        "party_member": True}))["id"]


def resident_account(stack, admin, household_id):
    resident = ok(stack.call("POST", f"{API}/residents", admin, {
        "name": "中心户居民", "id_number": fresh_id_number(), "phone": "13912345678", "household_id": household_id}))
    username = f"r{uuid.uuid4().hex[:9]}"
    ok(stack.call("POST", f"{API}/accounts", admin, {"username": username, "display_name": "中心户居民",
                                                     "password": PASSWORD, "roles": ["resident"],
                                                     "resident_id": resident["id"]}), 201)
    return stack.login(username, PASSWORD)


def tickets_with(stack, household_id):
    return stack.db_rows("tickets", "SELECT id FROM tickets WHERE household_id = :h", h=household_id)


def test_a_member_carries_up_a_household_s_problem_and_follows_it(stack, district):
    admin = stack.login()
    grid = district
    community = grid[:12]
    second = ok(stack.call("POST", f"{API}/grids", admin, {"name": "中心户二网格", "parent_code": community}))["code"]
    officer = stack.new_account(admin, ["community_officer"], scope=community)
    linker = stack.new_account(admin, ["grid_worker"], scope=grid)

    lead, neighbour, elsewhere = (member(stack, admin, name) for name in ("中心户党员", "在职党员", "二网格党员"))
    group = ok(stack.call("POST", f"{API}/party/branches", officer, {
        "kind": "group", "name": "中心户党小组", "grid_code": grid, "secretary_id": lead}), 201)
    ok(stack.call("POST", f"{API}/party/branches/{group['id']}/members", officer, {"person_id": neighbour}), 201)
    ok(stack.call("POST", f"{API}/staff/{elsewhere}/assignments", admin,
                  {"grid_code": second, "role": "part_time_worker", "start_date": "2026-01-01"}))
    # the lead's own account is scoped to the other grid: the link, not the scope, lets them carry up
    lead_token = stack.new_account(admin, ["grid_worker"], scope=second, person_id=lead)
    in_service = stack.new_account(admin, ["department"], department=f"zx{uuid.uuid4().hex[:6]}", person_id=neighbour)
    elsewhere_token = stack.new_account(admin, ["grid_worker"], scope=second, person_id=elsewhere)

    centre = box(X, Y, X + 0.02, Y + 0.02).centroid
    place = ok(stack.call("POST", f"{API}/places", admin, {"type": "building", "name": "中心户楼",
                                                           "lon": centre.x, "lat": centre.y}))["code"]
    carried_home, resident_home, neighbours_home, unlinked = (
        ok(stack.call("POST", f"{API}/households", admin, {"place_code": place, "address": f"{n}01室"}))["id"]
        for n in range(1, 5))
    for person, home in ((lead, carried_home), (lead, resident_home), (neighbour, neighbours_home)):
        ok(stack.call("POST", f"{API}/party/members/{person}/households", linker, {"household_id": home}), 201)
    resident = resident_account(stack, admin, resident_home)

    # --- 三带去: the member carries a household's problem up -------------------------------------
    carry = lambda home, token=lead_token, person=lead, body=None: stack.call(  # noqa: E731
        "POST", f"{API}/party/members/{person}/households/{home}/tickets", token,
        body or {"category": "UM02", "description": "楼道堆放杂物，老人出入不便", "grade": "urgent"})
    carried = ok(carry(carried_home), 201)
    assert (carried["grid_code"], carried["household_id"], carried["source"], carried["grade"]) == \
        (grid, carried_home, "grid_patrol", "urgent")
    assert (carried["reporter_name"], carried["reporter_phone"], carried["lon"]) == (None, None, None)
    assert ok(stack.call("GET", f"{API}/tickets/{carried['id']}/verify", admin))["intact"] is True

    refused(carry(unlinked), 404, "household_id", "LINK_NOT_FOUND")
    refused(carry(neighbours_home), 404, "household_id", "LINK_NOT_FOUND")     # another member's household
    refused(carry(str(uuid.uuid4())), 404, "household_id", "LINK_NOT_FOUND")
    refused(carry(carried_home, token=officer), 403, "person_id", "NOT_THE_MEMBER")
    refused(carry(carried_home, token=in_service), 403, "person_id", "NOT_THE_MEMBER")
    refused(carry(carried_home, token=resident), 403, code="ROLE_FORBIDDEN")
    refused(carry(carried_home, body={"category": "UM02", "description": "换个网格", "grid_code": second}),
            400, "grid_code")
    refused(carry(carried_home, body={"category": "UM02", "description": "冒名", "reporter_name": "某某"}),
            400, "reporter_name")
    refused(carry(carried_home, body={"category": "XX99", "description": "未知类别"}), 400, "category",
            "UNKNOWN_CATEGORY")
    for home in (unlinked, neighbours_home):
        assert tickets_with(stack, home) == [], "nothing stored for a refusal"
    assert len(tickets_with(stack, carried_home)) == 1

    # an in-service member carries up from their department account
    theirs = ok(carry(neighbours_home, token=in_service, person=neighbour), 201)
    assert (theirs["household_id"], theirs["source"]) == (neighbours_home, "grid_patrol")

    # --- a resident of a linked household reports from home -----------------------------------
    report = {"category": "UM02", "description": "单元门禁坏了", "grid_code": grid}
    own = ok(stack.call("POST", f"{API}/tickets", resident, report), 201)
    assert (own["household_id"], own["source"]) == (resident_home, "resident_report")
    hidden = ok(stack.call("POST", f"{API}/tickets", resident, dict(report, anonymous=True)), 201)
    assert hidden["household_id"] is None                                    # anonymous names no household
    away = ok(stack.call("POST", f"{API}/tickets", resident, dict(report, grid_code=second)), 201)
    assert away["household_id"] is None                                      # not the household's problem

    # --- 三带回: the member sees their households' open tickets --------------------------------
    listing = f"{API}/party/members/{lead}/households/tickets"
    mine = ok(stack.call("GET", f"{listing}?status=open", lead_token))
    assert [t["id"] for t in mine["items"]] == [own["id"], carried["id"]] and mine["households"] == 2
    for item in mine["items"]:
        assert not REPORTER_FIELDS & set(item), item
        assert {"number", "category", "status", "grid_code", "reported_at", "outcome", "description"} <= set(item)
    assert {t["household_id"]: t["address"] for t in mine["items"]} == {carried_home: "101室",
                                                                         resident_home: "201室"}
    assert [t["id"] for t in ok(stack.call("GET", f"{listing}?household_id={resident_home}", lead_token))[
        "items"]] == [own["id"]]
    refused(stack.call("GET", f"{listing}?household_id={unlinked}", lead_token), 404, "household_id",
            "LINK_NOT_FOUND")
    refused(stack.call("GET", f"{listing}?status=opened", lead_token), 400, "status")
    assert [t["id"] for t in ok(stack.call("GET", f"{API}/party/members/{neighbour}/households/tickets",
                                           in_service))["items"]] == [theirs["id"]]
    assert len(ok(stack.call("GET", listing, officer))["items"]) == 2       # staff of the member's grid
    refused(stack.call("GET", listing, elsewhere_token), 404)                # another member, another grid
    refused(stack.call("GET", listing, in_service), 403, code="ROLE_FORBIDDEN")  # another member's account

    # the problem is dealt with, and the member sees what became of it
    ticket = Ticket(stack, carried)
    for action, payload in (("accept", {}), ("handle", {}), ("resolve", {"outcome": "fixed"})):
        ticket.act(admin, action, **payload)
    assert [t["id"] for t in ok(stack.call("GET", f"{listing}?status=open", lead_token))["items"]] == [own["id"]]
    done = ok(stack.call("GET", f"{listing}?status=resolved", lead_token))["items"]
    assert [(t["id"], t["status"], t["outcome"]) for t in done] == [(carried["id"], "resolved", "fixed")]

    # a household unlinked drops out of the member's list
    ok(stack.call("POST", f"{API}/party/members/{lead}/households/{carried_home}/unlink", officer))
    assert [t["id"] for t in ok(stack.call("GET", listing, lead_token))["items"]] == [own["id"]]
    refused(carry(carried_home), 404, "household_id", "LINK_NOT_FOUND")
