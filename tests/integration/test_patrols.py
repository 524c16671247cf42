"""Patrol check-ins against the assigned grid, and offline resubmissions."""
import datetime as dt
import uuid

from shapely.geometry import shape

API = "/api/v1"


def inside(stack, token, code):
    geometry = stack.call("GET", f"{API}/grids/{code}?geometry=true", token).json()["geometry"]
    point = shape(geometry).representative_point()
    return point.x, point.y


def test_patrols_are_checked_against_the_grid_and_resubmissions_recognised(stack):
    token = stack.login()
    worker = stack.call("POST", f"{API}/staff", token, {"name": "巡查员小孙"}).json()
    stack.call("POST", f"{API}/staff/{worker['id']}/assignments", token,
               {"grid_code": "320508019044002", "role": "full_time_worker", "start_date": "2026-01-01"})
    lon, lat = inside(stack, token, "320508019044002")
    earlier = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=3)).isoformat()
    client_id = str(uuid.uuid4())
    first = stack.call("POST", f"{API}/patrols", token, {"person_id": worker["id"], "client_id": client_id,
                                                        "lon": lon, "lat": lat, "occurred_at": earlier})
    assert first.status_code == 201, first.text
    patrol = first.json()["patrol"]
    assert patrol["inside"] is True and patrol["located_grid_code"] == "320508019044002"
    assert patrol["occurred_at"][:16] == dt.datetime.fromisoformat(earlier).isoformat()[:16]

    again = stack.call("POST", f"{API}/patrols", token, {"person_id": worker["id"], "client_id": client_id,
                                                        "lon": lon, "lat": lat, "occurred_at": earlier})
    assert again.status_code == 200 and again.json() == {"patrol": patrol, "duplicate": True}

    elsewhere = stack.call("POST", f"{API}/patrols", token, {"person_id": worker["id"], "client_id": "c-2",
                                                            **dict(zip(("lon", "lat"),
                                                                       inside(stack, token, "320508014021001")))})
    assert elsewhere.status_code == 201 and elsewhere.json()["patrol"]["inside"] is False
    abroad = stack.call("POST", f"{API}/patrols", token, {"person_id": worker["id"], "client_id": "c-3",
                                                         "lon": 100.0, "lat": 20.0})
    assert abroad.json()["patrol"]["inside"] is False and abroad.json()["patrol"]["located_grid_code"] is None
    listed = stack.call("GET", f"{API}/patrols?person_id={worker['id']}", token).json()["items"]
    assert len(listed) == 3

    loner = stack.call("POST", f"{API}/staff", token, {"name": "未分配"}).json()
    unassigned = stack.call("POST", f"{API}/patrols", token, {"person_id": loner["id"], "client_id": "x",
                                                             "lon": lon, "lat": lat})
    assert unassigned.status_code == 400 and unassigned.json()["error"] == "NOT_ASSIGNED"
    future = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).isoformat()
    ahead = stack.call("POST", f"{API}/patrols", token, {"person_id": worker["id"], "client_id": "y",
                                                        "lon": lon, "lat": lat, "occurred_at": future})
    assert ahead.status_code == 400 and "occurred_at" in ahead.json()["details"]["fields"]


def test_household_visits_are_stored_once(stack):
    token = stack.login()
    worker = stack.call("POST", f"{API}/staff", token, {"name": "走访员小钱"}).json()
    lon, lat = inside(stack, token, "320508019045002")
    place = stack.call("POST", f"{API}/places", token, {"type": "building", "name": "三元二村8幢",
                                                      "lon": lon, "lat": lat}).json()
    household = stack.call("POST", f"{API}/households", token, {"place_code": place["code"]}).json()
    body = {"person_id": worker["id"], "household_id": household["id"], "client_id": "visit-1",
            "notes": "走访独居老人，身体状况良好，需要代买药品"}
    first = stack.call("POST", f"{API}/visits", token, body)
    second = stack.call("POST", f"{API}/visits", token, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["visit"]["id"] == first.json()["visit"]["id"] and second.json()["duplicate"] is True
    missing = stack.call("POST", f"{API}/visits", token, {**body, "client_id": "visit-2", "household_id": "nope"})
    assert missing.status_code == 404 and missing.json()["error"] == "HOUSEHOLD_NOT_FOUND"
