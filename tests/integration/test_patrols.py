"""Patrol check-ins against the assigned grid, and offline resubmissions."""
import datetime as dt
import uuid

from shapely.geometry import shape

from common.shanghai import shanghai_date

API = "/api/v1"


def inside(stack, token, code):
    geometry = stack.call("GET", f"{API}/grids/{code}?geometry=true", token).json()["geometry"]
    point = shape(geometry).representative_point()
    return point.x, point.y


def test_patrols_are_checked_against_the_grid_and_resubmissions_recognised(stack):
    token = stack.login()
    worker = stack.call("POST", f"{API}/staff", token, {"name": "巡查员小孙", "birth_date": "1988-06-01"}).json()
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

    loner = stack.call("POST", f"{API}/staff", token, {"name": "未分配", "birth_date": "1988-06-01"}).json()
    unassigned = stack.call("POST", f"{API}/patrols", token, {"person_id": loner["id"], "client_id": "x",
                                                             "lon": lon, "lat": lat})
    assert unassigned.status_code == 400 and unassigned.json()["error"] == "NOT_ASSIGNED"
    future = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).isoformat()
    ahead = stack.call("POST", f"{API}/patrols", token, {"person_id": worker["id"], "client_id": "y",
                                                        "lon": lon, "lat": lat, "occurred_at": future})
    assert ahead.status_code == 400 and "occurred_at" in ahead.json()["details"]["fields"]


def test_household_visits_are_stored_once(stack):
    token = stack.login()
    worker = stack.call("POST", f"{API}/staff", token, {"name": "走访员小钱", "birth_date": "1988-06-01"}).json()
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


def test_a_worker_logs_and_sees_only_rounds_in_reach(stack):
    admin = stack.login()
    people = {}
    for name, grid in (("甲", "320508019044002"), ("乙", "320508014021001")):
        person = stack.call("POST", f"{API}/staff", admin, {"name": f"网格员{name}", "birth_date": "1988-06-01"}).json()
        stack.call("POST", f"{API}/staff/{person['id']}/assignments", admin,
                   {"grid_code": grid, "role": "full_time_worker", "start_date": "2026-01-01"})
        people[name] = (person["id"], grid,
                        stack.new_account(admin, ["grid_worker"], scope=grid, person_id=person["id"]))
    (jia, jia_grid, jia_token), (yi, yi_grid, yi_token) = people["甲"], people["乙"]
    lon, lat = inside(stack, admin, jia_grid)

    own = stack.call("POST", f"{API}/patrols", jia_token, {"client_id": "own-1", "lon": lon, "lat": lat})
    assert own.status_code == 201 and own.json()["patrol"]["person_id"] == jia, "person_id defaults to the caller"
    forged = stack.call("POST", f"{API}/patrols", jia_token, {"person_id": yi, "client_id": "f-1", "lon": lon,
                                                             "lat": lat})
    assert forged.status_code == 403 and forged.json()["error"] == "NOT_YOUR_ROUND"
    chief = stack.new_account(admin, ["grid_chief"], scope="320508014021")
    outside = stack.call("POST", f"{API}/patrols", chief, {"person_id": jia, "client_id": "c-1", "lon": lon,
                                                          "lat": lat})
    assert outside.status_code == 403 and outside.json()["error"] == "OUT_OF_SCOPE"
    assert stack.call("POST", f"{API}/patrols", chief, {"person_id": yi, "client_id": "c-2", "lon": lon,
                                                       "lat": lat}).status_code == 201, "a round that strayed"

    seen_by_yi = stack.call("GET", f"{API}/patrols", yi_token).json()["items"]
    assert yi in {p["person_id"] for p in seen_by_yi}, "乙's own round shows although it was in 甲's grid"
    assert jia not in {p["person_id"] for p in seen_by_yi}
    assert all(p["person_id"] == yi or (p["located_grid_code"] or "").startswith(yi_grid)  # others posted there too
               or any(code.startswith(yi_grid) for code in p["assigned_grid_codes"]) for p in seen_by_yi)
    assert stack.call("GET", f"{API}/patrols?person_id={jia}", yi_token).json()["items"] == []
    assert stack.call("GET", f"{API}/patrols?root=320508019", yi_token).status_code == 403
    assert jia in {p["person_id"] for p in stack.call("GET", f"{API}/patrols", jia_token).json()["items"]}

    place = stack.call("POST", f"{API}/places", admin, {"type": "building", "name": "虎丘新村3幢",
                                                      **dict(zip(("lon", "lat"), inside(stack, admin, yi_grid)))})
    household = stack.call("POST", f"{API}/households", admin, {"place_code": place.json()["code"]}).json()
    visit = {"household_id": household["id"], "client_id": "v-1", "notes": "上门走访"}
    refused = stack.call("POST", f"{API}/visits", jia_token, visit)
    assert refused.status_code == 403 and refused.json()["error"] == "OUT_OF_SCOPE"
    assert stack.call("POST", f"{API}/visits", yi_token, visit).status_code == 201


def test_rounds_made_before_a_post_ended_are_still_uploaded_and_resubmitted(stack):
    """A phone that was offline uploads its rounds after the worker's post has ended;
    the community she was posted in on those days still takes them, once."""
    admin = stack.login()
    community = stack.new_account(admin, ["community_officer"], "320508019044")
    worker = stack.call("POST", f"{API}/staff", admin, {"name": "离岗网格员", "birth_date": "1988-06-01"}).json()
    post = stack.call("POST", f"{API}/staff/{worker['id']}/assignments", admin,
                      {"grid_code": "320508019044901", "role": "full_time_worker", "start_date": "2026-01-01"}).json()
    yesterday = (shanghai_date() - dt.timedelta(days=1)).isoformat()
    ended = stack.call("POST", f"{API}/assignments/{post['id']}/end", admin, {"end_date": yesterday})
    assert ended.status_code == 200, ended.text
    lon, lat = inside(stack, admin, "320508019044901")
    round_ = {"person_id": worker["id"], "client_id": str(uuid.uuid4()), "lon": lon, "lat": lat,
              "occurred_at": (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)).isoformat()}
    first = stack.call("POST", f"{API}/patrols", community, round_)
    assert first.status_code == 201, first.text
    again = stack.call("POST", f"{API}/patrols", community, round_)
    assert again.status_code == 200 and again.json()["duplicate"] is True, again.text
    today = stack.call("POST", f"{API}/patrols", community, dict(round_, client_id=str(uuid.uuid4()),
                                                                  occurred_at=dt.datetime.now(dt.timezone.utc).isoformat()))
    assert today.status_code == 403 and today.json()["error"] == "OUT_OF_SCOPE"  # no post in its scope today


def test_a_round_logged_from_outside_the_scope_tells_nothing_of_the_persons_posts(stack):
    admin = stack.login()
    elsewhere = stack.new_account(admin, ["community_officer"], "320508019045")
    worker = stack.call("POST", f"{API}/staff", admin, {"name": "别社区的网格员", "birth_date": "1988-06-01"}).json()
    stack.call("POST", f"{API}/staff/{worker['id']}/assignments", admin,
               {"grid_code": "320508019044901", "role": "full_time_worker", "start_date": "2026-06-01"})
    for days_ago in (30, 400):  # posted then; not yet posted then
        when = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)).isoformat()
        refused = stack.call("POST", f"{API}/patrols", elsewhere, {
            "person_id": worker["id"], "client_id": str(uuid.uuid4()), "lon": 120.6, "lat": 31.3, "occurred_at": when})
        assert refused.status_code == 403 and refused.json()["error"] == "OUT_OF_SCOPE", refused.text
        assert "320508019044" not in refused.text
