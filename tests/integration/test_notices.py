"""Notices to residents (issue 19) through the whole stack: a grid worker sends a notice
to the residents living in their grid; it reaches the resident accounts whose household
lies there and nobody else's inbox; each reading is a receipt, and the read rate counts
them. A grid outside the sender's scope is refused and nothing is sent."""
from shapely.geometry import box

from idnumbers import fresh_id_number

API = "/api/v1"
COUNTY, X, Y = "320570", 126.80, 36.80       # a county and a spot no other test uses
PASSWORD = "Passw0rd-2026"


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response.json()


def resident_account(stack, admin, household, name):
    resident = ok(stack.call("POST", f"{API}/residents", admin, {"name": name, "id_number": fresh_id_number(),
                                                                "household_id": household}), 201)
    username = f"r{resident['id'][:8]}"
    ok(stack.call("POST", f"{API}/accounts", admin, {"username": username, "display_name": name,
                                                    "password": PASSWORD, "roles": ["resident"],
                                                    "resident_id": resident["id"]}), 201)
    return stack.login(username, PASSWORD)


def test_a_worker_tells_the_residents_of_their_grid_and_sees_who_read_it(stack):
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "通知", X, Y)
    worker = stack.new_account(admin, ["grid_worker"], scope=grid)
    centre = box(X, Y, X + 0.02, Y + 0.02).centroid
    place = ok(stack.call("POST", f"{API}/places", admin, {"type": "building", "name": "通知楼",
                                                           "lon": centre.x, "lat": centre.y}))["code"]
    homes = [ok(stack.call("POST", f"{API}/households", admin, {"place_code": place, "address": f"{n}01室"}), 201)["id"]
             for n in (1, 2)]
    first, second = (resident_account(stack, admin, home, name) for home, name in zip(homes, ("居民甲", "居民乙")))

    refused = stack.call("POST", f"{API}/notices", worker, {"title": "越权", "body": "x", "scope_grid": "320508019044"})
    assert refused.status_code == 403
    sent = ok(stack.call("POST", f"{API}/notices", worker, {"title": "本周六停水通知",
                                                           "body": "周六8:00-12:00检修管道，请提前储水。"}), 201)
    assert (sent["recipient_count"], sent["scope_role"], sent["scope_grid"]) == (2, "resident", grid)

    inbox = ok(stack.call("GET", f"{API}/inbox", first))["items"]
    assert [n["title"] for n in inbox] == ["本周六停水通知"] and inbox[0]["read_at"] is None
    assert sent["id"] not in {n["id"] for n in ok(stack.call("GET", f"{API}/inbox", worker))["items"]}  # staff
    assert [n["id"] for n in ok(stack.call("GET", f"{API}/inbox", second))["items"]] == [sent["id"]]
    ok(stack.call("POST", f"{API}/inbox/{sent['id']}/read", first))
    rate = ok(stack.call("GET", f"{API}/notices/{sent['id']}", worker))
    assert (rate["recipients"], rate["read"], rate["read_rate"]) == (2, 1, 0.5)
