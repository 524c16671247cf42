"""People decides what the caller (the ``actor`` the gateway sends) reaches: posting
is no way into another subtree, a resident out of reach looks like no resident,
accounts refer to real grids and departments and carry no scope their roles never
use, and every number and moment a client sends has bounds."""
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from shapely.geometry import shape

from idnumbers import fresh_id_number as id_number

API = "/api/v1"
HERE, THERE = "320508014", "320508019044"  # a street the leader leads; a community of another street


def person(stack, admin, name, *grids):
    created = stack.call("POST", f"{API}/staff", admin, {"name": name, "birth_date": "1988-06-01"})
    assert created.status_code == 201, created.text
    for grid in grids:
        posted = stack.call("POST", f"{API}/staff/{created.json()['id']}/assignments", admin,
                            {"grid_code": grid, "role": "volunteer", "start_date": "2026-01-01"})
        assert posted.status_code == 201, posted.text
    return created.json()["id"]


def test_posting_someone_from_another_subtree_is_no_way_in(stack):
    admin = stack.login()
    leader = stack.new_account(admin, ["town_leader"], scope=HERE)
    theirs = person(stack, admin, "别街道志愿者", f"{THERE}002")
    refused = stack.call("POST", f"{API}/staff/{theirs}/assignments", leader,
                         {"grid_code": f"{HERE}021001", "role": "volunteer"})
    assert refused.status_code == 403 and refused.json()["error"] == "OUT_OF_SCOPE", refused.text
    assert THERE not in refused.text and "320508019" not in refused.text, "where they are posted is not told"
    for path in (f"/staff/{theirs}", f"/staff/{theirs}/eligibility", f"/points/{theirs}"):
        assert stack.call("GET", f"{API}{path}", leader).status_code == 403, path
    assert stack.call("GET", f"{API}/assignments?person_id={theirs}", leader).json()["items"] == []

    newcomer = person(stack, admin, "新志愿者")  # no post anywhere: anyone may take them on
    took = stack.call("POST", f"{API}/staff/{newcomer}/assignments", leader,
                      {"grid_code": f"{HERE}021001", "role": "volunteer"})
    assert took.status_code == 201, took.text
    assert stack.call("GET", f"{API}/staff/{newcomer}", leader).status_code == 200
    outside = stack.call("POST", f"{API}/staff/{person(stack, admin, '又一位')}/assignments", leader,
                         {"grid_code": f"{THERE}001", "role": "volunteer"})
    assert outside.status_code == 403 and outside.json()["error"] == "OUT_OF_SCOPE", "the grid must be in reach"

    shared = person(stack, admin, "两头兼职", f"{THERE}002", f"{HERE}021002")  # in reach already
    assert stack.call("POST", f"{API}/staff/{shared}/assignments", leader,
                      {"grid_code": f"{HERE}021001", "role": "volunteer"}).status_code == 201
    assert stack.call("POST", f"{API}/staff/{theirs}/assignments", admin,
                      {"grid_code": f"{HERE}021001", "role": "volunteer"}).status_code == 201, "district-wide"


def test_a_resident_out_of_reach_is_answered_as_no_resident(stack):
    admin = stack.login()
    officer = stack.new_account(admin, ["community_officer"], scope=THERE)
    geometry = stack.call("GET", f"{API}/grids/{HERE}021002?geometry=true", admin).json()["geometry"]
    point = shape(geometry).representative_point()
    place = stack.call("POST", f"{API}/places", admin, {"type": "building", "name": "虎丘某幢",
                                                      "lon": point.x, "lat": point.y}).json()
    household = stack.call("POST", f"{API}/households", admin, {"place_code": place["code"]}).json()
    resident = stack.call("POST", f"{API}/residents", admin, {"name": "外街道居民", "id_number": id_number(),
                                                             "household_id": household["id"]}).json()
    homeless = stack.call("POST", f"{API}/residents", admin, {"name": "无户居民", "id_number": id_number()}).json()
    free = str(uuid.uuid4())
    for reveal in ("", "?reveal=true"):
        nobody = stack.call("GET", f"{API}/residents/{free}{reveal}", officer)
        assert nobody.status_code == 404 and nobody.json()["error"] == "RESIDENT_NOT_FOUND"
        for someone in (resident["id"], homeless["id"]):
            hidden = stack.call("GET", f"{API}/residents/{someone}{reveal}", officer)
            assert hidden.status_code == 404, hidden.text
            assert hidden.text.replace(someone, free) == nobody.text
    assert stack.call("GET", f"{API}/residents/{resident['id']}", admin).status_code == 200

    actor = {"account_id": "a-officer", "username": "officer", "roles": ["community_officer"], "scope": THERE}
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        assert rpc.people.find_residents({"household_id": household["id"]}, actor)["items"] == [], \
            "its own subtree only"
        with pytest.raises(Exception) as beyond:
            rpc.people.find_residents({"grid_prefix": HERE}, actor)
        assert beyond.value.code == "OUT_OF_SCOPE"
        with pytest.raises(Exception) as reader:
            rpc.people.find_residents({}, {"account_id": "a-resident", "roles": ["resident"], "scope": HERE})
        assert reader.value.code == "OUT_OF_SCOPE", "a resident's account reaches no subtree, scope or not"
        assert [r["id"] for r in rpc.people.find_residents({"household_id": household["id"]}, None)["items"]] == [
            resident["id"]], "an internal call reaches the whole district"


def test_accounts_refer_to_real_grids_and_departments_and_unscoped_roles_take_no_scope(stack):
    admin = stack.login()

    def create(**fields):
        body = {"username": f"a{uuid.uuid4().hex[:10]}", "display_name": "测试", "password": "Passw0rd-2026",
                **fields}
        return stack.call("POST", f"{API}/accounts", admin, body)

    for roles in (["resident"], ["department"], ["admin"]):
        extra = {"department_code": "environment"} if roles == ["department"] else {}
        refused = create(roles=roles, grid_scope=THERE, **extra)
        assert refused.status_code == 400 and "grid_scope" in refused.json()["details"]["fields"], refused.text
    nowhere = create(roles=["grid_worker"], grid_scope=f"{THERE}999")
    assert nowhere.status_code == 400, nowhere.text
    assert (nowhere.json()["error"], nowhere.json()["details"]) == ("UNKNOWN_GRID", {"field": "grid_scope"})
    unknown = create(roles=["department"], department_code=f"no_such_{uuid.uuid4().hex[:6]}")
    assert unknown.status_code == 400, unknown.text
    assert (unknown.json()["error"], unknown.json()["details"]) == ("UNKNOWN_DEPARTMENT", {"field": "department_code"})

    x, y = 122.40, 32.40
    grid = stack.square_district(admin, "320502", "退役", x, y)  # a county and spot no other test uses
    assert stack.split_in_halves(admin, grid, x, y).status_code == 201
    retired = create(roles=["grid_chief"], grid_scope=grid)
    assert retired.status_code == 400 and retired.json()["error"] == "UNKNOWN_GRID", retired.text
    assert "retired" in retired.json()["message"]

    code = f"cg_{uuid.uuid4().hex[:6]}"
    department = {"code": code, "name": "城管", "kind": "functional_department"}
    assert stack.call("POST", f"{API}/departments", admin, department).status_code == 201
    again = stack.call("POST", f"{API}/departments", admin, department)
    assert again.status_code == 409 and again.json()["error"] == "DEPARTMENT_CODE_TAKEN", again.text
    assert create(roles=["department"], department_code=code).status_code == 201


def test_numbers_and_moments_from_a_client_have_bounds(stack):
    admin = stack.login()
    worker = person(stack, admin, "边界网格员", f"{THERE}901")
    for body, field in (({"code": f"r{uuid.uuid4().hex[:6]}", "name": "大米", "cost": 1e20}, "cost"),
                        ({"code": f"r{uuid.uuid4().hex[:6]}", "name": "大米", "cost": 10, "stock": 2 ** 40}, "stock")):
        refused = stack.call("POST", f"{API}/points/rewards", admin, body)
        assert refused.status_code == 400 and field in refused.json()["details"]["fields"], refused.text
    earn = stack.call("POST", f"{API}/points/earn", admin, {"person_id": worker, "points": 1e20, "activity": "x"})
    assert earn.status_code == 400 and "points" in earn.json()["details"]["fields"], earn.text
    assert stack.call("GET", f"{API}/residents?limit=100000000000000000000", admin).status_code == 400
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-01-01T08:00:00"):
        patrol = stack.call("POST", f"{API}/patrols", admin, {"person_id": worker, "client_id": str(uuid.uuid4()),
                                                             "lon": 120.6, "lat": 31.3, "occurred_at": moment})
        assert patrol.status_code == 400 and "occurred_at" in patrol.json()["details"]["fields"], (moment, patrol.text)
        visit = stack.call("POST", f"{API}/visits", admin, {"person_id": worker, "household_id": "h",
                                                           "client_id": "v", "notes": "走访", "occurred_at": moment})
        assert visit.status_code == 400 and "occurred_at" in visit.json()["details"]["fields"], (moment, visit.text)
