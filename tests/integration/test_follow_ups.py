"""Special groups and group rentals followed up (issue 18) through the whole stack: a
resident living alone is due a week after the last visit to their home, one under
community correction a month after; a place marked a group rental (grid) is due a month
after it was marked or last visited (people asks grid for the rentals). Marking is for
staff in the place's scope; a past day, an unknown group and a place elsewhere are
refused and change nothing."""
import datetime as dt

from shapely.geometry import box

from common.shanghai import shanghai_date
from idnumbers import fresh_id_number

API = "/api/v1"
COUNTY, X, Y = "320580", 125.60, 35.60    # a county and a spot no other test uses


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response.json()


def test_special_groups_and_group_rentals_fall_due_on_their_cadence(stack):
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "随访", X, Y)
    centre = box(X, Y, X + 0.02, Y + 0.02).centroid
    worker = ok(stack.call("POST", f"{API}/staff", admin, {"name": "随访网格员", "birth_date": "1988-06-01"}))
    ok(stack.call("POST", f"{API}/staff/{worker['id']}/assignments", admin,
                  {"grid_code": grid, "role": "full_time_worker", "start_date": "2026-01-01"}))
    token = stack.new_account(admin, ["grid_worker"], scope=grid, person_id=worker["id"])
    officer = stack.new_account(admin, ["community_officer"], scope=grid[:12])
    outsider = stack.new_account(admin, ["community_officer"], scope="320508019044")

    def place(name):
        return ok(stack.call("POST", f"{API}/places", admin, {"type": "building", "name": name,
                                                              "lon": centre.x, "lat": centre.y}))["code"]

    def household(place_code, address):
        return ok(stack.call("POST", f"{API}/households", admin, {"place_code": place_code, "address": address}))["id"]

    building, rental = place("随访测试楼"), place("出租楼")
    home_alone, home_corrected, rented = (household(building, "101室"), household(building, "102室"),
                                          household(rental, "301室"))
    alone = ok(stack.call("POST", f"{API}/residents", admin, {
        "name": "独居测试老人", "id_number": fresh_id_number(), "phone": "13912345678", "household_id": home_alone,
        "tags": ["elderly_alone"]}))
    corrected = ok(stack.call("POST", f"{API}/residents", admin, {
        "name": "矫正测试对象", "id_number": fresh_id_number(), "household_id": home_corrected,
        "tags": ["community_correction"]}))

    # a place is marked a group rental by staff in its scope; elsewhere it does not exist
    assert stack.call("POST", f"{API}/places/{rental}/group-rental", outsider,
                      {"group_rental": True}).status_code == 404
    refused = stack.call("POST", f"{API}/places/{rental}/group-rental", officer, {"group_rental": "sometimes"})
    assert refused.status_code == 400 and "group_rental" in refused.json()["details"]["fields"]
    marked = ok(stack.call("POST", f"{API}/places/{rental}/group-rental", officer, {"group_rental": True}))
    assert marked["group_rental"] is True and marked["group_rental_marked_at"]
    listed = ok(stack.call("GET", f"{API}/places?root={grid}&group_rental=true", officer))["items"]
    assert [p["code"] for p in listed] == [rental]

    today = shanghai_date()

    def due(days, **params):
        as_of = (today + dt.timedelta(days=days)).isoformat()
        return ok(stack.call("GET", f"{API}/follow-ups", officer, params={"root": grid, "as_of": as_of, **params}))

    assert due(0)["residents_overdue"] == [] and due(0)["group_rentals_overdue"] == []
    in_ten = due(10)
    assert [r["resident_id"] for r in in_ten["residents_overdue"]] == [alone["id"]]
    (late,) = in_ten["residents_overdue"]
    assert late["every_days"] == 7 and late["last_follow_up_at"] is None and late["days_overdue"] in (3, 4)
    assert "13912345678" not in str(in_ten) and "id_number" not in late
    in_forty = due(40)
    assert {r["resident_id"] for r in in_forty["residents_overdue"]} == {alone["id"], corrected["id"]}
    assert [p["place_code"] for p in in_forty["group_rentals_overdue"]] == [rental]
    (totals,) = [g for g in in_forty["grids"] if g["grid_code"] == grid]
    assert (totals["followed"], totals["overdue"], totals["rentals"], totals["rentals_overdue"]) == (2, 2, 1, 1)
    only = due(40, tag="community_correction")
    assert [r["resident_id"] for r in only["residents_overdue"]] == [corrected["id"]]
    assert only["group_rentals_overdue"] == []

    # a visit home is a follow-up: the week starts again, and the rental's month too
    for n, home in enumerate((home_alone, rented)):
        ok(stack.call("POST", f"{API}/visits", token, {"household_id": home, "client_id": f"follow-{n}",
                                                       "notes": "上门随访，身体状况良好"}), 201)
    assert due(5)["residents_overdue"] == []
    assert due(40)["group_rentals_overdue"][0]["last_follow_up_at"] is not None

    # bad input: a past day, an unknown group; the worker sees their own grid only
    past = stack.call("GET", f"{API}/follow-ups", officer,
                      params={"root": grid, "as_of": (today - dt.timedelta(days=1)).isoformat()})
    assert past.status_code == 400 and "as_of" in past.json()["details"]["fields"]
    unknown = stack.call("GET", f"{API}/follow-ups", officer, params={"root": grid, "tag": "vip"})
    assert unknown.status_code == 400 and "tag" in unknown.json()["details"]["fields"]
    assert stack.call("GET", f"{API}/follow-ups", outsider, params={"root": grid}).status_code == 403
    assert ok(stack.call("GET", f"{API}/follow-ups", token))["root"] == grid
