"""The map's numbers and a grid's overview (issue 22) through the whole stack: every
figure moves when the record behind it is made — a ticket reported, a post given, a
household visited, a patrol walked, an assessment published — each counted by the
service that owns it and rolled up to the grids asked for. Bad measures and levels are
400s naming the parameter; a grid out of reach is a 403; open integrity flags are
shown to supervisors and auditors only.

Its own district: street 001 > community 001 > grids 001, 002 and community 002 >
grid 001 (the five-level scheme: grids at the villager-group level, the staffed one)."""
import time
import uuid

import pytest
from shapely.geometry import box, mapping

from common.shanghai import shanghai_date
from idnumbers import fresh_id_number

API = "/api/v1"
COUNTY, X, Y = "320741", 134.40, 44.40          # a county and a spot no other test uses
SIZE = 0.01
STREET = f"{COUNTY}001"
C1, C2 = f"{STREET}001", f"{STREET}002"
G11, G12, G21 = f"{C1}001", f"{C1}002", f"{C2}001"


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response.json()


def _feature(code, name, geometry, parent):
    return {"type": "Feature", "geometry": mapping(geometry),
            "properties": {"code": code, "name": name, "parent_code": parent, "households": 40}}


@pytest.fixture(scope="module")
def district(stack):
    admin = stack.login()
    squares = [box(X + n * SIZE, Y, X + (n + 1) * SIZE, Y + SIZE) for n in range(3)]
    whole = box(X, Y, X + 3 * SIZE, Y + SIZE)
    ok(stack.call("POST", f"{API}/grids/import", admin, {"type": "FeatureCollection", "features": [
        _feature(COUNTY, "地图区", whole, None), _feature(STREET, "地图街道", whole, COUNTY),
        _feature(C1, "地图一社区", box(X, Y, X + 2 * SIZE, Y + SIZE), STREET),
        _feature(C2, "地图二社区", squares[2], STREET),
        _feature(G11, "地图一网格", squares[0], C1), _feature(G12, "地图二网格", squares[1], C1),
        _feature(G21, "地图三网格", squares[2], C2)]}))
    return {"admin": admin, "squares": squares}


def measure(stack, token, code, name, level=None, expect=200, **params):
    query = {"measure": name, **({"level": level} if level else {}), **params}
    response = stack.call("GET", f"{API}/grids/{code}/measures", token, params=query)
    assert response.status_code == expect, response.text
    return response.json()


def overview(stack, token, code, expect=200):
    response = stack.call("GET", f"{API}/grids/{code}/overview", token)
    assert response.status_code == expect, response.text
    return response.json()


def test_open_tickets_per_grid_move_when_a_ticket_is_reported(stack, district):
    admin = district["admin"]
    before = measure(stack, admin, COUNTY, "open_tickets", "community")
    assert before["values"] == {C1: 0, C2: 0} and before["unit"] == "tickets" and before["level"] == "community"
    assert before["measure"] == "open_tickets" and before["as_of"]
    for grade in ("daily", "urgent"):
        ok(stack.call("POST", f"{API}/tickets", admin, {
            "category": "UM02", "grid_code": G11, "grade": grade, "description": f"地图测试：{grade}楼道堆物"}))
    assert measure(stack, admin, COUNTY, "open_tickets", "community")["values"] == {C1: 2, C2: 0}
    # the default level: the code's children; `leaf`: the deepest grids
    assert measure(stack, admin, C1, "open_tickets")["values"] == {G11: 2, G12: 0}
    assert measure(stack, admin, COUNTY, "open_tickets", "leaf")["values"] == {G11: 2, G12: 0, G21: 0}
    assert measure(stack, admin, COUNTY, "overdue_tickets", "leaf")["values"] == {G11: 0, G12: 0, G21: 0}
    seen = overview(stack, admin, G11)
    assert seen["tickets"] == {"open": 2, "overdue": 0, "by_grade": {"daily": 1, "urgent": 1, "major": 0},
                               "by_state": {"reported": 2, "accepted": 0, "handling": 0}}
    assert overview(stack, admin, COUNTY)["tickets"]["open"] == 2
    assert overview(stack, admin, G21)["tickets"]["open"] == 0


def test_staffing_gaps_coverage_and_patrols_move_with_posts_visits_and_rounds(stack, district):
    admin = district["admin"]
    gaps = measure(stack, admin, COUNTY, "staffing_gaps", "leaf")
    assert gaps["unit"] == "posts" and gaps["values"][G11] == gaps["values"][G21] > 0
    worker = ok(stack.call("POST", f"{API}/staff", admin, {"name": "地图网格员", "id_number": fresh_id_number(),
                                                          "smartphone_user": True}))
    ok(stack.call("POST", f"{API}/staff/{worker['id']}/assignments", admin,
                  {"grid_code": G11, "role": "full_time_worker", "start_date": "2026-01-01"}))
    after = measure(stack, admin, COUNTY, "staffing_gaps", "community")["values"]
    assert after[C1] == 2 * gaps["values"][G11] - 1 and after[C2] == gaps["values"][G21]
    # below the staffed level nothing is checked: no number
    assert measure(stack, admin, G11, "staffing_gaps")["values"] == {}

    staff = overview(stack, admin, G11)["staff"]
    assert [(p["name"], p["role"]) for p in staff["posts"]] == [("地图网格员", "full_time_worker")]
    assert staff["gaps"]["grids_checked"] == 1 and "full_time_worker" not in staff["gaps"]["missing"]

    assert measure(stack, admin, COUNTY, "visit_coverage", "community")["values"] == {C1: None, C2: None}
    centre = district["squares"][0].centroid
    place = ok(stack.call("POST", f"{API}/places", admin, {"type": "building", "name": "地图楼",
                                                         "lon": centre.x, "lat": centre.y}))
    homes = [ok(stack.call("POST", f"{API}/households", admin, {"place_code": place["code"], "address": f"{n}01室"}))
             for n in (1, 2)]
    covered = measure(stack, admin, COUNTY, "visit_coverage", "community")
    assert covered["values"] == {C1: 0.0, C2: None} and covered["unit"] == "ratio"
    today = shanghai_date()
    assert covered["period"] == f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    ok(stack.call("POST", f"{API}/visits", admin, {"person_id": worker["id"], "household_id": homes[0]["id"],
                                                  "client_id": uuid.uuid4().hex, "notes": "地图测试走访"}))
    assert measure(stack, admin, COUNTY, "visit_coverage", "leaf")["values"] == {G11: 0.5, G12: None, G21: None}
    assert measure(stack, admin, COUNTY, "visit_coverage", "community",
                   period=f"{today.year - 1}")["values"] == {C1: 0.0, C2: None}

    before = overview(stack, admin, C1)["coverage"]
    assert (before["households"], before["visited"], before["coverage"]) == (2, 1, 0.5)
    ok(stack.call("POST", f"{API}/patrols", admin, {"person_id": worker["id"], "client_id": uuid.uuid4().hex,
                                                   "lon": centre.x, "lat": centre.y}))
    assert overview(stack, admin, C1)["coverage"]["patrols_today"] == before["patrols_today"] + 1


def test_the_score_is_the_published_assessment_s_mean_and_null_before(stack, district):
    admin = district["admin"]
    assert measure(stack, admin, STREET, "score")["values"] == {C1: None, C2: None}
    assert overview(stack, admin, C1)["score"] is None
    person = ok(stack.call("POST", f"{API}/staff", admin, {"name": "地图网格长", "id_number": fresh_id_number()}))
    ok(stack.call("POST", f"{API}/staff/{person['id']}/assignments", admin,
                  {"grid_code": G12, "role": "grid_chief", "start_date": "2026-01-01"}))
    today = shanghai_date()
    period = f"{today.year}-Q{(today.month - 1) // 3 + 1}"

    def ran():
        response = stack.call("POST", f"{API}/assessments", admin,
                              {"plan": "gaochun-street", "period": period, "scope": C1})
        return response.json() if response.status_code == 201 else None
    assessment = stack.wait_for(ran, timeout=30, interval=0.5)
    assert assessment, "scoring never saw the posts"
    # a draft scores nothing on the map
    assert measure(stack, admin, STREET, "score")["values"] == {C1: None, C2: None}
    ok(stack.call("POST", f"{API}/assessments/{assessment['id']}/publish", admin))
    results = ok(stack.call("GET", f"{API}/assessments/{assessment['id']}/results", admin))["items"]
    assert results
    mean = round(sum(r["score"] for r in results) / len(results), 2)
    scored = measure(stack, admin, STREET, "score")
    assert scored["values"] == {C1: mean, C2: None} and scored["unit"] == "points"
    assert [a["id"] for a in scored["assessments"]] == [assessment["id"]]
    seen = overview(stack, admin, C1)["score"]
    assert seen["mean"] == mean and seen["results"] == len(results)
    assert seen["assessments"][0]["id"] == assessment["id"] and seen["top"][0]["rank"] == 1
    assert {r["subject_id"] for r in seen["top"]} <= {r["subject_id"] for r in results}


def test_bad_measure_and_level_are_named_and_reach_and_flags_follow_the_caller(stack, district):
    admin = district["admin"]
    refused = measure(stack, admin, COUNTY, "happiness", expect=400)
    assert "measure" in refused["details"]["fields"]
    assert "measure" in measure(stack, admin, COUNTY, "", expect=400)["details"]["fields"]
    refused = measure(stack, admin, COUNTY, "open_tickets", "galaxy", expect=400)
    assert "level" in refused["details"]["fields"]
    refused = measure(stack, admin, C1, "open_tickets", "town", expect=400)  # above the grid's own level
    assert "level" in refused["details"]["fields"]
    assert measure(stack, admin, f"{COUNTY}009", "open_tickets", expect=404)["error"] == "GRID_NOT_FOUND"
    assert overview(stack, admin, f"{COUNTY}009", expect=404)["error"] == "GRID_NOT_FOUND"
    response = stack.call("GET", f"{API}/grids/{C1}/overview", admin, params={"period": "2026-13"})
    assert response.status_code == 400 and "period" in response.json()["details"]["fields"]

    officer = stack.new_account(admin, ["community_officer"], scope=C1)
    worker = stack.new_account(admin, ["grid_worker"], scope=G11)
    auditor = stack.new_account(admin, ["auditor"], scope=STREET)
    assert overview(stack, officer, C2, expect=403)["error"] == "OUT_OF_SCOPE"
    assert measure(stack, officer, STREET, "open_tickets", expect=403)["error"] == "OUT_OF_SCOPE"
    assert measure(stack, officer, C1, "open_tickets")["values"][G11] >= 2
    for token in (officer, auditor):
        seen = overview(stack, token, C1)
        assert seen["flags_shown"] is True and seen["flags"] == {"open": 0, "items": []} and seen["missing"] == []
    own = overview(stack, worker, G11)
    assert own["flags_shown"] is False and own["flags"] is None and own["tickets"]["open"] >= 2
    resident = stack.new_account(admin, ["resident"])
    assert overview(stack, resident, G11, expect=403)["error"] == "ROLE_FORBIDDEN"
    assert overview(stack, admin, G11)["grid"] == {
        "code": G11, "name": "地图一网格", "level": "villager_group", "depth": 4, "kind": "basic", "zone_type": None,
        "households": 40, "population": None, "parent_code": C1}


def test_a_service_down_leaves_its_parts_null_and_names_it_and_its_measure_is_a_503(stack, district):
    admin = district["admin"]
    stack.kill("tickets")
    try:
        started = time.monotonic()
        seen = overview(stack, admin, C1)
        assert time.monotonic() - started < 8
        assert seen["missing"] == ["tickets"] and seen["tickets"] is None
        assert seen["coverage"]["households"] == 2 and seen["staff"] is not None and seen["grid"]["code"] == C1
        started = time.monotonic()
        refused = measure(stack, admin, COUNTY, "open_tickets", "community", expect=503)
        assert refused["error"] == "SERVICE_UNAVAILABLE" and refused["details"]["service"] == "tickets"
        assert time.monotonic() - started < 8
        assert measure(stack, admin, COUNTY, "visit_coverage", "community")["values"][C1] == 0.5
    finally:
        stack.restart("tickets")
    assert overview(stack, admin, C1)["missing"] == []
