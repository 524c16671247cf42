"""Organisations (组织, issue 18) through the whole stack: registered in a grid with their
unified social credit code checked, found by name or code, edited and deregistered by
staff of their grid, hidden from anyone else; bad input stores nothing."""
from shapely.geometry import box

API = "/api/v1"
COUNTY, X, Y = "320577", 126.20, 36.20       # a county and a spot no other test uses
VALID, OTHER_VALID = "91350100M000100Y43", "91440300708461136T"


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response.json()


def test_organisations_are_registered_per_grid_with_their_credit_code(stack):
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "组织", X, Y)
    worker = stack.new_account(admin, ["grid_worker"], scope=grid)
    outsider = stack.new_account(admin, ["community_officer"], scope="320508019044")
    centre = box(X, Y, X + 0.02, Y + 0.02).centroid
    place = ok(stack.call("POST", f"{API}/places", admin, {"type": "building", "name": "金湖大厦",
                                                           "lon": centre.x, "lat": centre.y}))["code"]

    company = {"kind": "property_company", "name": "金湖物业管理有限公司", "credit_code": VALID.lower(),
               "grid_code": grid, "place_code": place, "employees": 35, "contact_name": "王经理"}
    made = ok(stack.call("POST", f"{API}/organisations", worker, company), 201)
    assert (made["credit_code"], made["kind_label"]["zh"], made["status"]) == (VALID, "物业公司", "active")
    committee = ok(stack.call("POST", f"{API}/organisations", worker, {
        "kind": "owners_committee", "name": "金湖小区业主委员会", "grid_code": grid}), 201)

    def refused(body, field, status=400):
        answer = stack.call("POST", f"{API}/organisations", worker, {**company, **body})
        assert answer.status_code == status, answer.text
        details = answer.json()["details"]
        assert field in details.get("fields", {}) or details.get("field") == field, details
        return answer.json()
    refused({"credit_code": VALID[:-1] + "4"}, "credit_code")                 # a check character typed wrong
    refused({"credit_code": "91350100M000100Y4"}, "credit_code")              # 17 characters
    assert refused({"credit_code": VALID}, "credit_code", 409)["error"] == "CREDIT_CODE_TAKEN"
    refused({"credit_code": OTHER_VALID, "kind": "bank"}, "kind")
    refused({"credit_code": OTHER_VALID, "employees": -1}, "employees")
    refused({"credit_code": OTHER_VALID, "department_code": "no-such-dept"}, "department_code")
    refused({"credit_code": OTHER_VALID, "grid_code": f"{grid}9"}, "grid_code")
    assert stack.call("POST", f"{API}/organisations", outsider, {**company, "credit_code": OTHER_VALID}
                      ).status_code == 403
    assert len(stack.db_rows("people", "SELECT id FROM organisations WHERE grid_code = :g", g=grid)) == 2

    listed = ok(stack.call("GET", f"{API}/organisations", worker))
    assert sorted(o["name"] for o in listed["items"]) == sorted(["金湖物业管理有限公司", "金湖小区业主委员会"])
    assert listed["by_kind"] == {"property_company": 1, "owners_committee": 1}
    by_code = ok(stack.call("GET", f"{API}/organisations", worker, params={"q": VALID}))["items"]
    assert [o["id"] for o in by_code] == [made["id"]]
    by_name = ok(stack.call("GET", f"{API}/organisations", worker, params={"q": "业主", "root": grid}))["items"]
    assert [o["id"] for o in by_name] == [committee["id"]]
    assert stack.call("GET", f"{API}/organisations/{made['id']}", outsider).status_code == 404

    closed = ok(stack.call("PATCH", f"{API}/organisations/{made['id']}", worker, {"status": "deregistered",
                                                                                 "employees": 0}))
    assert (closed["status"], closed["employees"], closed["credit_code"]) == ("deregistered", 0, VALID)
    assert stack.call("PATCH", f"{API}/organisations/{made['id']}", worker, {}).status_code == 400
    assert stack.call("PATCH", f"{API}/organisations/{made['id']}", outsider, {"employees": 1}).status_code == 404
    active = ok(stack.call("GET", f"{API}/organisations", worker, params={"status": "active"}))["items"]
    assert [o["id"] for o in active] == [committee["id"]]
