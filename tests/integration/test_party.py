"""Party building (党建引领, issue 19 §1) through the whole stack, as seeds 000 and 001 tell
it: a community's branch led by its general grid chief and a grid's own branch, and
which staffed grids they cover; a party member employed elsewhere registering with the
community they live in (双报到), logging their service, and their employer reading it
back (双报告) while another department cannot; a grid's monthly service day with the
members who came signing in. Each bad input is refused naming its field, and nothing
is stored for it."""
import datetime as dt
import json
import uuid

import pytest
from shapely.geometry import box

from common.shanghai import shanghai_date
from answers import ok, refused

API = "/api/v1"
COUNTY, X, Y = "320567", 127.20, 37.20          # a county and a spot no other test uses


def count(stack, table, **where):
    clause = " AND ".join(f"{name} = :{name}" for name in where) or "1 = 1"
    return len(stack.db_rows("people", f"SELECT id FROM {table} WHERE {clause}", **where))


def staff(stack, admin, name, party_member=True):
    return ok(stack.call("POST", f"{API}/staff", admin, {"name": name, "birth_date": "1985-05-01",
                                                        "party_member": party_member}))["id"]


def department(stack, admin, name):
    code = f"pb{uuid.uuid4().hex[:6]}"
    ok(stack.call("POST", f"{API}/departments", admin, {"code": code, "name": name,
                                                       "kind": "functional_department"}))
    return code


@pytest.fixture(scope="module")
def district(stack):
    """County > street > community > grid, once for the module; returns the grid's code."""
    return stack.square_district(stack.login(), COUNTY, "党建", X, Y)


def test_party_building_on_the_grid(stack, district):
    admin = stack.login()
    grid = district
    community, town = grid[:12], grid[:9]
    second = ok(stack.call("POST", f"{API}/grids", admin, {"name": "党建二网格", "parent_code": community}))["code"]
    officer = stack.new_account(admin, ["community_officer"], scope=community)
    leader = stack.new_account(admin, ["town_leader"], scope=town)
    outsider = stack.new_account(admin, ["community_officer"], scope="320508019044")
    worker = stack.new_account(admin, ["grid_worker"], scope=grid)

    secretary = staff(stack, admin, "社区书记")
    ok(stack.call("POST", f"{API}/staff/{secretary}/assignments", admin,
                  {"grid_code": community, "role": "general_grid_chief", "start_date": "2026-01-01"}))
    grid_secretary, member = staff(stack, admin, "网格支部书记"), staff(stack, admin, "网格党员")
    citizen = staff(stack, admin, "群众网格员", party_member=False)

    # --- branches, and the grids they lead ------------------------------------------------------
    branch = {"kind": "branch", "name": "党建社区党委", "grid_code": community, "secretary_id": secretary}
    community_branch = ok(stack.call("POST", f"{API}/party/branches", officer, branch), 201)
    assert (community_branch["members"], community_branch["secretary_name"]) == (1, "社区书记")
    before = count(stack, "party_branches")
    def post(body, token=officer):
        return stack.call("POST", f"{API}/party/branches", token, {**branch, **body})
    refused(post({"secretary_id": citizen}), 400, "secretary_id", "NOT_A_PARTY_MEMBER")
    refused(post({"secretary_id": "no-such-person"}), 400, "secretary_id", "UNKNOWN_PERSON")
    refused(post({"grid_code": f"{grid}9"}), 400, "grid_code", "UNKNOWN_GRID")
    refused(post({"kind": "committee"}), 400, "kind")
    refused(post({"name": "  "}), 400, "name")
    refused(post({"grid_code": town}, leader), 400, "grid_code")              # a town: above a community
    refused(post({}, outsider), 403, code="OUT_OF_SCOPE")
    refused(post({}, worker), 403, code="ROLE_FORBIDDEN")
    assert count(stack, "party_branches") == before

    own = ok(stack.call("POST", f"{API}/party/branches", officer, {
        "name": "党建一网格党支部", "grid_code": grid, "secretary_id": grid_secretary}), 201)
    members = f"{API}/party/branches/{own['id']}/members"
    assert ok(stack.call("POST", members, officer, {"person_id": member}), 201)["members"] == 2
    refused(stack.call("POST", members, officer, {"person_id": member}), 409, "person_id", "ALREADY_A_MEMBER")
    refused(stack.call("POST", members, officer, {"person_id": citizen}), 400, "person_id", "NOT_A_PARTY_MEMBER")
    refused(stack.call("POST", members, officer, {"person_id": str(uuid.uuid4())}), 400, "person_id",
            "UNKNOWN_PERSON")
    refused(stack.call("POST", members, outsider, {"person_id": member}), 404)
    left = ok(stack.call("POST", f"{members}/{member}/leave", officer))
    assert left["members"] == 1 and [m["left_on"] for m in left["member_list"] if m["person_id"] == member] == \
        [shanghai_date().isoformat()]
    refused(stack.call("POST", f"{members}/{grid_secretary}/leave", officer), 409, code="SECRETARY_LEAVING")
    refused(stack.call("POST", f"{members}/{citizen}/leave", officer), 404, code="MEMBERSHIP_NOT_FOUND")
    ok(stack.call("POST", members, officer, {"person_id": member}), 201)     # back again

    listed = ok(stack.call("GET", f"{API}/party/branches", worker))["items"]
    assert [b["id"] for b in listed] == [own["id"]]                         # a grid's worker: their grid's
    listed = ok(stack.call("GET", f"{API}/party/branches", leader, params={"root": community}))["items"]
    assert [b["id"] for b in listed] == [community_branch["id"], own["id"]]
    assert ok(stack.call("GET", f"{API}/party/branches/{own['id']}", worker))["members"] == 2
    refused(stack.call("GET", f"{API}/party/branches/{own['id']}", outsider), 404)

    coverage = ok(stack.call("GET", f"{API}/party/coverage", leader, params={"root": town}))
    led = {row["code"]: row["led_by"] for row in coverage["items"]}
    assert led == {grid: "own", second: "community"}, coverage
    assert (coverage["grids"], coverage["covered"], coverage["with_own_branch"]) == (2, 2, 1)
    (totals,) = coverage["communities"]
    assert (totals["code"], totals["covered"], totals["with_own_branch"]) == (community, 2, 1)
    assert [(b["id"], b["secretary_is_general_grid_chief"]) for b in totals["branches"]] == \
        [(community_branch["id"], True)]
    assert coverage["towns"][0]["coverage"] == 1.0
    refused(stack.call("GET", f"{API}/party/coverage", outsider, params={"root": town}), 403, code="OUT_OF_SCOPE")
    refused(stack.call("GET", f"{API}/party/coverage", admin), 400, "root")

    # --- two-way registration (双报到) and the employer's report (双报告) ---------------------------
    employer, other = department(stack, admin, "党建人社局"), department(stack, admin, "党建卫健委")
    in_service = staff(stack, admin, "在职党员")
    registration = {"person_id": in_service, "employer_code": employer, "community_code": community}
    def register(body):
        return stack.call("POST", f"{API}/party/registrations", officer, {**registration, **body})
    refused(register({"employer_code": "no-such-dept"}), 400, "employer_code", "UNKNOWN_DEPARTMENT")
    refused(register({"person_id": citizen}), 400, "person_id", "NOT_A_PARTY_MEMBER")
    refused(register({"community_code": grid}), 400, "community_code")     # a grid, not a community
    refused(register({"community_code": f"{community}9"}), 400, "community_code", "UNKNOWN_GRID")
    assert count(stack, "party_registrations", person_id=in_service) == 0
    registered = ok(register({}), 201)
    refused(register({}), 409, "person_id", "ALREADY_REGISTERED")

    own_account = stack.new_account(admin, ["department"], department=employer, person_id=in_service)
    employer_reader = stack.new_account(admin, ["department"], department=employer)
    other_reader = stack.new_account(admin, ["department"], department=other)
    service = f"{API}/party/registrations/{registered['id']}/service"
    today = shanghai_date()
    entry = {"activity": "入户走访独居老人", "hours": 2.5, "households": 3, "day": today.isoformat()}
    logged = ok(stack.call("POST", service, own_account, entry), 201)     # the member themself
    assert (logged["hours"], logged["households"]) == (2.5, 3)
    ok(stack.call("POST", service, officer, {**entry, "hours": 1, "households": 0}), 201)
    for body, field in (({"hours": 12.5}, "hours"), ({"hours": 0.25}, "hours"), ({"hours": "2"}, "hours"),
                        ({"households": -1}, "households"), ({"activity": ""}, "activity"),
                        ({"day": (today + dt.timedelta(days=1)).isoformat()}, "day")):
        refused(stack.call("POST", service, own_account, {**entry, **body}), 400, field)
    refused(stack.call("POST", service, employer_reader, entry), 404)      # the employer reads, never logs
    refused(stack.call("POST", service, outsider, entry), 404)
    assert count(stack, "party_service_entries", registration_id=registered["id"]) == 2

    report_path = f"{API}/party/registrations/{registered['id']}/report"
    report = ok(stack.call("GET", report_path, employer_reader))
    assert (report["year"], report["entries"], report["hours"], report["households"]) == (today.year, 2, 3.5, 3)
    month = next(m for m in report["months"] if m["month"] == today.strftime("%Y-%m"))
    assert (month["entries"], month["hours"]) == (2, 3.5) and len(report["months"]) == 12
    for reader in (own_account, officer, worker, leader):
        assert ok(stack.call("GET", report_path, reader))["hours"] == 3.5
    refused(stack.call("GET", report_path, other_reader), 404)              # another department
    refused(stack.call("GET", report_path, outsider), 404)
    assert ok(stack.call("GET", report_path, employer_reader, params={"year": today.year - 1}))["entries"] == 0
    refused(stack.call("GET", report_path, employer_reader, params={"year": 1999}), 400, "year")
    listed = ok(stack.call("GET", f"{API}/party/registrations", worker))["items"]
    assert [(r["id"], r["hours_total"]) for r in listed] == [(registered["id"], 3.5)]

    # --- the grid's service day (网格服务日) --------------------------------------------------------
    day = {"grid_code": grid, "day": today.isoformat(), "activity": "义诊义剪进网格", "branch_id": own["id"]}
    held = ok(stack.call("POST", f"{API}/party/service-days", officer, day), 201)
    assert (held["month"], held["attended"]) == (today.strftime("%Y-%m"), 0)
    refused(stack.call("POST", f"{API}/party/service-days", officer, {**day, "activity": "又一次"}), 409,
            code="SERVICE_DAY_EXISTS")
    refused(stack.call("POST", f"{API}/party/service-days", officer, {**day, "grid_code": f"{grid}9"}), 400,
            "grid_code")
    refused(stack.call("POST", f"{API}/party/service-days", officer, {**day, "grid_code": second,
                                                                     "branch_id": "no-such-branch"}), 400,
            "branch_id")
    refused(stack.call("POST", f"{API}/party/service-days", officer, {**day, "day": "2026-13-01"}), 400, "day")
    assert count(stack, "service_days", grid_code=second) == 0

    sign_in = f"{API}/party/service-days/{held['id']}/sign-in"
    ok(stack.call("POST", sign_in, own_account, {}), 201)                   # themself: their own person
    refused(stack.call("POST", sign_in, own_account, {}), 409, "person_id", "ALREADY_SIGNED_IN")
    signed = ok(stack.call("POST", sign_in, worker, {"person_id": member}), 201)
    assert signed["attended"] == 2 and [s["name"] for s in signed["sign_ins"]] == ["在职党员", "网格党员"]
    refused(stack.call("POST", sign_in, worker, {"person_id": citizen}), 400, "person_id", "NOT_A_PARTY_MEMBER")
    refused(stack.call("POST", sign_in, other_reader, {"person_id": member}), 404)
    refused(stack.call("POST", sign_in, outsider, {"person_id": secretary}), 404)
    assert count(stack, "service_day_sign_ins", service_day_id=held["id"]) == 2
    next_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    later = ok(stack.call("POST", f"{API}/party/service-days", officer, {
        "grid_code": second, "day": next_month.isoformat(), "activity": "清扫楼道"}), 201)
    refused(stack.call("POST", f"{API}/party/service-days/{later['id']}/sign-in", worker,
                       {"person_id": member}), 404)                         # the second grid: not the worker's
    refused(stack.call("POST", f"{API}/party/service-days/{later['id']}/sign-in", officer,
                       {"person_id": member}), 409, code="SERVICE_DAY_NOT_YET")

    days = ok(stack.call("GET", f"{API}/party/service-days", leader,
                         params={"root": community, "month": today.strftime("%Y-%m")}))["items"]
    assert [(d["grid_code"], d["attended"]) for d in days] == [(grid, 2)]
    refused(stack.call("GET", f"{API}/party/service-days", leader, params={"month": "2026-13"}), 400, "month")

    # scoring's hook: ids, grids, hours and counts; never a name
    events = stack.db_rows("people", "SELECT event_type, payload FROM outbox_events WHERE event_type IN "
                                     "('party_service_logged', 'service_day_attended')")
    payloads = [(e["event_type"], e["payload"] if isinstance(e["payload"], dict) else json.loads(e["payload"]))
                for e in events]
    logged_events = [p for kind, p in payloads if kind == "party_service_logged"
                     and p["registration_id"] == registered["id"]]
    assert sorted(p["hours"] for p in logged_events) == [1.0, 2.5]
    attended = [p for kind, p in payloads if kind == "service_day_attended" and p["service_day_id"] == held["id"]]
    assert sorted(p["attended"] for p in attended) == [1, 2] and {p["grid_code"] for p in attended} == {grid}
    text = json.dumps(payloads, ensure_ascii=False)
    for name in ("在职党员", "网格党员", "入户走访", "义诊"):
        assert name not in text


def test_party_member_households(stack, district):
    """党员中心户: a member of the grid's branch linked to 15 neighbouring households at
    most, each household to one member."""
    admin = stack.login()
    grid = district
    officer = stack.new_account(admin, ["community_officer"], scope=grid[:12])
    worker = stack.new_account(admin, ["grid_worker"], scope=grid)
    outsider = stack.new_account(admin, ["community_officer"], scope="320508019044")
    secretary, member, loner = (staff(stack, admin, name) for name in ("中心户书记", "中心户党员", "无支部党员"))
    citizen = staff(stack, admin, "中心户群众", party_member=False)
    branch = ok(stack.call("POST", f"{API}/party/branches", officer, {
        "kind": "group", "name": "中心户党小组", "grid_code": grid, "secretary_id": secretary}), 201)
    ok(stack.call("POST", f"{API}/party/branches/{branch['id']}/members", officer, {"person_id": member}), 201)
    centre = box(X, Y, X + 0.02, Y + 0.02).centroid
    place = ok(stack.call("POST", f"{API}/places", admin, {"type": "building", "name": "中心户楼",
                                                           "lon": centre.x, "lat": centre.y}))["code"]
    homes = [ok(stack.call("POST", f"{API}/households", admin, {"place_code": place, "address": f"{n + 1}室"}))["id"]
             for n in range(17)]

    link = lambda person, home, token=worker: stack.call(  # noqa: E731
        "POST", f"{API}/party/members/{person}/households", token, {"household_id": home})
    for home in homes[:15]:
        ok(link(member, home), 201)
    assert ok(link(member, homes[0]), 200)["created"] is False               # linked already: the first link
    refused(link(member, homes[15]), 409, "household_id", "TOO_MANY_HOUSEHOLDS")
    refused(link(secretary, homes[0]), 409, "household_id", "HOUSEHOLD_LINKED")
    refused(link(loner, homes[15]), 400, "household_id", "HOUSEHOLD_OUTSIDE_GRID")
    refused(link(citizen, homes[15]), 400, "person_id", "NOT_A_PARTY_MEMBER")
    refused(link(secretary, str(uuid.uuid4())), 404, "household_id")
    refused(link(secretary, homes[15], outsider), 403, code="OUT_OF_SCOPE")
    ok(link(secretary, homes[15]), 201)
    assert count(stack, "party_households", person_id=member) == 15

    listed = ok(stack.call("GET", f"{API}/party/members/{member}/households", worker))
    assert (listed["linked"], listed["short_of_minimum"], listed["grids"]) == (15, False, [grid])
    refused(stack.call("GET", f"{API}/party/members/{member}/households", outsider), 404)
    left = ok(stack.call("POST", f"{API}/party/members/{member}/households/{homes[0]}/unlink", officer))
    assert left["linked"] == 14
    refused(stack.call("POST", f"{API}/party/members/{member}/households/{homes[0]}/unlink", officer), 404,
            code="LINK_NOT_FOUND")
    ok(link(member, homes[16]), 201)                                          # room again for one
