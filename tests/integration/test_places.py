"""Places attached to grids by location, the grid summary, and re-homing on split."""
import uuid

from shapely.geometry import shape

API = "/api/v1"


def point_in(stack, token, code):
    geometry = stack.call("GET", f"{API}/grids/{code}?geometry=true", token).json()["geometry"]
    p = shape(geometry).representative_point()
    return p.x, p.y


def test_places_are_numbered_in_their_community_and_counted_per_grid(stack):
    token = stack.login()
    lon, lat = point_in(stack, token, "320508014021002")
    before = stack.call("GET", f"{API}/grids/320508014021002/summary", token).json()
    made = []
    for kind, name in [("building", "定慧寺巷12号楼"), ("shop", "双塔菜场便利店"), ("building", "定慧寺巷14号楼")]:
        response = stack.call("POST", f"{API}/places", token, {"type": kind, "name": name, "lon": lon, "lat": lat,
                                                             "address": "苏州市姑苏区定慧寺巷"})
        assert response.status_code == 201, response.text
        made.append(response.json())
    assert all(p["grid_code"] == "320508014021002" for p in made)
    numbers = [int(p["code"][-5:]) for p in made]
    assert all(p["code"].startswith("320508014021") and len(p["code"]) == 17 for p in made)
    assert numbers == sorted(numbers) and numbers[2] - numbers[0] == 2

    summary = stack.call("GET", f"{API}/grids/320508014021002/summary", token).json()
    assert summary["places"]["total"] == before["places"]["total"] + 3
    assert summary["places"]["by_type"]["building"] == before["places"]["by_type"].get("building", 0) + 2
    assert summary["households"] == 421
    listed = stack.call("GET", f"{API}/places?root=320508014021002&type=shop", token).json()["items"]
    assert "双塔菜场便利店" in [p["name"] for p in listed]

    district = stack.call("GET", f"{API}/grids/320508/summary", token).json()
    assert district["grids"]["household_group"] == 10 and district["places"]["total"] >= 3


def test_tickets_reported_elsewhere_show_in_the_grid_summary(stack):
    token = stack.login()
    before = stack.call("GET", f"{API}/grids/320508019045001/summary", token).json()["from_events"]
    created = stack.call("POST", f"{API}/tickets", token,
                         {"grid_code": "320508019045001", "category": "UM06", "description": f"井盖破损 {uuid.uuid4().hex[:6]}"})
    assert created.status_code == 201

    def counted():
        events = stack.call("GET", f"{API}/grids/320508019045001/summary", token).json()["from_events"]
        return events.get("tickets_reported", 0) == before.get("tickets_reported", 0) + 1

    assert stack.wait_for(counted)


def test_bad_places_are_refused(stack):
    token = stack.login()
    outside = stack.call("POST", f"{API}/places", token, {"type": "shop", "name": "海外", "lon": 100, "lat": 20})
    assert outside.status_code == 404 and outside.json()["error"] == "POINT_OUTSIDE_GRIDS"
    bad = stack.call("POST", f"{API}/places", token, {"type": "castle", "name": "", "lon": 120.6, "lat": 31.3})
    assert bad.status_code == 400 and set(bad.json()["details"]["fields"]) == {"type", "name"}
    blank = stack.call("POST", f"{API}/places", token, {"type": "shop", "name": "\u3000", "lon": 120.6, "lat": 31.3})
    assert blank.status_code == 400 and blank.json()["details"]["fields"] == {"name": ["must not be blank"]}
    no_point = stack.call("POST", f"{API}/places", token, {"type": "shop", "name": "x"})
    assert no_point.status_code == 400 and "lon" in no_point.json()["message"]


def test_a_split_rehomes_the_places_of_the_old_grid(stack):
    token = stack.login()
    x, y = 121.30, 31.30
    grid = stack.square_district(token, "320505", "迁移", x, y)
    east_shop = stack.call("POST", f"{API}/places", token,
                           {"type": "shop", "name": "东边小店", "lon": x + 0.015, "lat": y + 0.01}).json()
    assert stack.split_in_halves(token, grid, x, y).status_code == 201
    moved = stack.call("GET", f"{API}/places?root=320505", token).json()["items"]
    assert [(p["code"], p["grid_code"]) for p in moved] == [(east_shop["code"], "320505001001003")]
