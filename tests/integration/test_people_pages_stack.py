"""Through the whole stack: people's paged reads (scoring's rebuild) hold exactly what
people's events carried, record by record; residents sign in with accounts of their
own and are found at home; staff names and grid labels for exports, never a
resident's name."""
import json
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from shapely.geometry import box

from common import textsig
from idnumbers import fresh_id_number

API = "/api/v1"
X, Y = 122.70, 32.70  # a county and spot no other test uses
COUNTY = "320591"


@pytest.fixture(scope="module")
def district(stack):
    """A county whose one grid was split in halves: (retired grid, west, east)."""
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "分页", X, Y)
    split = stack.split_in_halves(admin, grid, X, Y)
    assert split.status_code == 201, split.text
    west, east = (part["code"] for part in split.json()["created"])
    return grid, west, east


def point_in(half):
    """A point inside the west or east half of the county's square (size 0.02)."""
    left = X if half == "west" else X + 0.01
    return box(left, Y, left + 0.01, Y + 0.02).centroid.coords[0]


@pytest.fixture
def rpc(stack):
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as proxy:
        yield proxy


def walk(method, limit):
    items, after = [], None
    while True:
        page = method(after=after, limit=limit)
        assert len(page["items"]) <= limit
        items += page["items"]
        if page["next"] is None:
            return items
        after = page["next"]


def events(stack, *types):
    rows = stack.db_rows("people", "SELECT event_type, payload FROM outbox_events ORDER BY created_at")
    return [(row["event_type"], json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"])
            for row in rows if row["event_type"] in types]


def latest(stack, key, *types):
    """Each record's state as a consumer of its events keeps it: the snapshot of the
    highest version (patrols and visits never change: they have none)."""
    state = {}
    for event_type, payload in events(stack, *types):
        if event_type == "household_moved":  # the move, applied to the household's snapshot
            payload = dict(state[payload["household_id"]], grid_code=payload["to_grid_code"],
                           place_code=payload["place_code"], residents=payload["residents"],
                           version=payload["version"])
        elif event_type == "resident_registered":  # the household it carries, counting the resident
            payload = payload["household"]
            if payload is None:
                continue
        held = state.get(payload[key])
        if held is None or payload.get("version", 0) >= held.get("version", 0):
            state[payload[key]] = payload
    return state


def test_a_page_walk_gives_every_record_once_as_its_events_carried_it(stack, district, rpc):
    admin = stack.login()
    _, west, east = district
    worker = stack.call("POST", f"{API}/staff", admin, {"name": "分页网格员", "birth_date": "1988-06-01"}).json()
    post = stack.call("POST", f"{API}/staff/{worker['id']}/assignments", admin,
                      {"grid_code": west, "role": "full_time_worker", "start_date": "2026-01-01"}).json()
    extra = stack.call("POST", f"{API}/staff/{worker['id']}/assignments", admin,
                       {"grid_code": east, "role": "part_time_worker", "start_date": "2026-01-01"}).json()
    assert stack.call("POST", f"{API}/assignments/{extra['id']}/end", admin,
                      {"end_date": "2026-06-30"}).status_code == 200
    mine = {"patrols": [], "visits": []}
    for n, half in enumerate(("west", "west", "east")):
        lon, lat = point_in(half)
        logged = stack.call("POST", f"{API}/patrols", admin, {"person_id": worker["id"], "client_id": f"page-{n}",
                                                             "lon": lon, "lat": lat})
        assert logged.status_code == 201, logged.text
        mine["patrols"].append(logged.json()["patrol"]["id"])
    places = [stack.call("POST", f"{API}/places", admin, {"type": "building", "name": f"分页{half}楼",
                                                         "lon": point_in(half)[0], "lat": point_in(half)[1]}).json()
              for half in ("west", "east")]
    home = stack.call("POST", f"{API}/households", admin, {"place_code": places[0]["code"]}).json()
    for name in ("分页居民甲", "分页居民乙"):
        registered = stack.call("POST", f"{API}/residents", admin, {"name": name, "id_number": fresh_id_number(),
                                                                   "household_id": home["id"]})
        assert registered.status_code == 201, registered.text
    for n in range(2):
        visited = stack.call("POST", f"{API}/visits", admin, {
            "person_id": worker["id"], "household_id": home["id"], "client_id": f"page-visit-{n}",
            "notes": "分页走访记录：老人独居"})
        assert visited.status_code == 201, visited.text
        mine["visits"].append(visited.json()["visit"]["id"])
        if n == 0:  # the household moves between the two visits
            moved = stack.call("POST", f"{API}/households/{home['id']}/move", admin,
                               {"place_code": places[1]["code"]})
            assert moved.status_code == 200, moved.text

    stored = {table: {row["id"] for row in stack.db_rows("people", f"SELECT id FROM {table}")}
              for table in ("patrol_checkins", "household_visits", "assignments", "households")}
    walked = {"patrol_checkins": walk(rpc.people.patrols_page, 4),
              "household_visits": walk(rpc.people.visits_page, 3),
              "assignments": walk(rpc.people.assignments_page, 5),
              "households": walk(rpc.people.households_page, 2)}
    for table, items in walked.items():
        ids = [item["household_id" if table == "households" else "id"] for item in items]
        assert ids == sorted(set(ids)), f"{table}: each once, in id order"
        assert stored[table] <= set(ids), f"{table}: none left out"

    carried = {"patrol_checkins": latest(stack, "id", "patrol_logged"),
               "household_visits": latest(stack, "id", "visit_logged"),
               "assignments": latest(stack, "id", "person_assigned", "person_left"),
               "households": latest(stack, "household_id", "household_registered", "household_moved",
                                    "resident_registered")}
    for table, items in walked.items():
        key = "household_id" if table == "households" else "id"
        assert {item[key]: item for item in items} == carried[table], table

    by_id = {item["id"]: item for item in walked["household_visits"]}
    assert [by_id[v]["grid_code"] for v in mine["visits"]] == [west, east], "the grid on the day of the visit"
    assert [by_id[v]["notes_sig"] for v in mine["visits"]] == [textsig.signature("分页走访记录：老人独居")] * 2
    patrols = {item["id"]: item for item in walked["patrol_checkins"]}
    assert [patrols[p]["inside"] for p in mine["patrols"]] == [True, True, False]
    points = [coordinate for p in mine["patrols"] for coordinate in (patrols[p]["lon"], patrols[p]["lat"])]
    assert points == pytest.approx([c for half in ("west", "west", "east") for c in point_in(half)])
    assert all(patrols[p]["grid_codes"] == [west] and patrols[p]["received_at"] for p in mine["patrols"])
    posts = {item["id"]: item for item in walked["assignments"]}
    assert posts[post["id"]]["end_date"] is None and posts[extra["id"]]["end_date"] == "2026-06-30"
    assert {item["household_id"]: item for item in walked["households"]}[home["id"]] == {
        "household_id": home["id"], "grid_code": east, "place_code": places[1]["code"], "residents": 2,
        "version": 4}, "registered (1), two residents (2, 3), moved (4)"
    everything = repr(events(stack, "patrol_logged", "visit_logged", "person_assigned", "person_left",
                             "resident_registered"))
    assert "分页网格员" not in everything and "老人独居" not in everything, "no names, no notes in events"
    assert "分页居民" not in everything


@pytest.mark.parametrize("limit", [0, 5001, "1000", None])
def test_a_page_limit_outside_1_to_5000_is_refused_naming_limit(rpc, limit):
    for method in (rpc.people.patrols_page, rpc.people.visits_page, rpc.people.assignments_page,
                   rpc.people.households_page):
        with pytest.raises(Exception) as refused:
            method(limit=limit)
        assert refused.value.code == "VALIDATION_FAILED" and set(refused.value.details["fields"]) == {"limit"}


def test_the_largest_page_is_taken(rpc):
    page = rpc.people.households_page(limit=5000)
    assert page["next"] is None or len(page["items"]) == 5000


def account_body(**fields):
    return {"username": f"r{uuid.uuid4().hex[:10]}", "display_name": "居民本人", "password": "Passw0rd-2026",
            "roles": ["resident"], **fields}


def test_a_resident_signs_in_with_an_account_of_their_own_and_is_found_at_home(stack, district, rpc):
    admin = stack.login()
    _, west, east = district
    place = stack.call("POST", f"{API}/places", admin, {"type": "building", "name": "居民楼",
                                                       "lon": point_in("east")[0], "lat": point_in("east")[1]}).json()
    home = stack.call("POST", f"{API}/households", admin, {"place_code": place["code"]}).json()
    resident = stack.call("POST", f"{API}/residents", admin, {"name": "钱居民", "id_number": fresh_id_number(),
                                                             "household_id": home["id"]}).json()
    created = stack.call("POST", f"{API}/accounts", admin, account_body(resident_id=resident["id"]))
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["resident_id"] == resident["id"] and account["person_id"] is None
    assert rpc.people.resident_home(account["id"]) == {"household_id": home["id"], "grid_code": east}
    assert rpc.people.get_account(account["id"])["resident_id"] == resident["id"]
    assert rpc.people.account_created_at(account["id"]) == {
        "account_id": account["id"], "created_at": rpc.people.get_account(account["id"])["created_at"]}
    with pytest.raises(Exception) as nobody:
        rpc.people.account_created_at(str(uuid.uuid4()))
    assert nobody.value.code == "ACCOUNT_NOT_FOUND"

    announced = [p for t, p in events(stack, "account_created") if p["id"] == account["id"]]
    assert announced == [{"id": account["id"], "roles": ["resident"], "grid_scope": None, "person_id": None,
                          "resident_id": resident["id"]}]
    assert not any("username" in p or "display_name" in p for _, p in events(stack, "account_created"))

    again = stack.call("POST", f"{API}/accounts", admin, account_body(resident_id=resident["id"]))
    assert again.status_code == 409 and again.json()["error"] == "RESIDENT_HAS_ACCOUNT", again.text
    assert again.json()["details"] == {"field": "resident_id"} and account["username"] not in again.text
    unknown = stack.call("POST", f"{API}/accounts", admin, account_body(resident_id=str(uuid.uuid4())))
    assert unknown.status_code == 400 and unknown.json()["error"] == "UNKNOWN_RESIDENT", unknown.text
    worker = stack.call("POST", f"{API}/staff", admin, {"name": "住在这里的网格员", "birth_date": "1988-06-01"}).json()
    for fields in ({"roles": ["grid_worker"], "grid_scope": east}, {"person_id": worker["id"]},
                   {"roles": ["resident", "department"], "department_code": "environment"}):
        refused = stack.call("POST", f"{API}/accounts", admin, account_body(resident_id=resident["id"], **fields))
        assert refused.status_code == 400 and "resident_id" in refused.json()["details"]["fields"], refused.text
    long = stack.call("POST", f"{API}/accounts", admin, account_body(resident_id="x" * 65))
    assert long.status_code == 400 and "resident_id" in long.json()["details"]["fields"]

    admins_account = rpc.people.list_accounts()["items"][0]["id"]
    for someone in (admins_account, str(uuid.uuid4())):
        with pytest.raises(Exception) as missing:
            rpc.people.resident_home(someone)
        assert missing.value.code in ("RESIDENT_NOT_FOUND", "ACCOUNT_NOT_FOUND")
    with pytest.raises(Exception) as no_resident:
        rpc.people.resident_home(admins_account)
    assert no_resident.value.code == "RESIDENT_NOT_FOUND"


def test_staff_names_never_name_a_resident(stack, rpc):
    admin = stack.login()
    worker = stack.call("POST", f"{API}/staff", admin, {"name": "孙网格员", "birth_date": "1988-06-01"}).json()
    resident = stack.call("POST", f"{API}/residents", admin, {"name": "孙居民", "id_number": fresh_id_number()}).json()
    assert rpc.people.staff_names([worker["id"], resident["id"], str(uuid.uuid4())]) == {worker["id"]: "孙网格员"}
    assert rpc.people.staff_names([]) == {}
    with pytest.raises(Exception) as refused:
        rpc.people.staff_names([worker["id"]] * 20001)
    assert refused.value.code == "VALIDATION_FAILED" and set(refused.value.details["fields"]) == {"person_ids"}


def test_grid_labels_name_retired_grids_too(district, rpc):
    retired, west, east = district
    labels = rpc.grid.grid_labels([retired, west, east, f"{COUNTY}999", "nonsense"])
    assert set(labels) == {retired, west, east}
    assert labels[retired]["depth"] == labels[west]["depth"] == 4
    assert labels[west] == {"name": "西", "level": labels[retired]["level"], "depth": 4, "kind": "basic"}
    with pytest.raises(Exception) as refused:
        rpc.grid.grid_labels([west] * 20001)
    assert refused.value.code == "VALIDATION_FAILED" and set(refused.value.details["fields"]) == {"codes"}
