"""The responsible grid worker, through the gateway on the real broker: people assigns
staff, tickets hears of it (events, and the snapshot it takes of people), and a new
ticket goes to the grid's full-time worker, or to the grid chief above when she left."""
import datetime as dt
from zoneinfo import ZoneInfo

from nameko.standalone.rpc import ClusterRpcProxy

API = "/api/v1"
VILLAGE, GRID = "320508019044", "320508019044003"  # no other test posts staff here


def post(stack, token, name, grid_code, role):
    person = stack.call("POST", f"{API}/staff", token, {"name": name, "birth_date": "1988-06-01"})
    assert person.status_code == 201, person.text
    assigned = stack.call("POST", f"{API}/staff/{person.json()['id']}/assignments", token,
                          {"grid_code": grid_code, "role": role, "start_date": "2026-01-01"})
    assert assigned.status_code == 201, assigned.text
    return person.json()["id"], assigned.json()["id"]


def held_by_tickets(stack, assignment_id):
    rows = stack.db_rows("tickets", "SELECT end_date FROM grid_staff WHERE assignment_id = :id", id=assignment_id)
    return rows[0] if rows else None


def report(stack, token):
    created = stack.call("POST", f"{API}/tickets", token, {"grid_code": GRID, "category": "UM07",
                                                          "description": "路灯不亮，夜间出行不便"})
    assert created.status_code == 201, created.text
    return created.json()


def test_a_new_ticket_goes_to_the_grid_worker_and_to_the_chief_above_when_she_left(stack):
    token = stack.login()
    chief, chief_post = post(stack, token, "村网格长老陈", VILLAGE, "grid_chief")
    worker, worker_post = post(stack, token, "专职网格员小李", GRID, "full_time_worker")
    assert stack.wait_for(lambda: held_by_tickets(stack, worker_post) and held_by_tickets(stack, chief_post))

    first = report(stack, token)
    assert first["responsible"] == {"person_id": worker, "role": "full_time_worker", "grid_code": GRID}
    mine = stack.call("GET", f"{API}/tickets?responsible={worker}", token).json()["items"]
    assert [t["id"] for t in mine] == [first["id"]]
    # Her own account, linked to her as a person, finds the same list as "me".
    her = stack.new_account(token, ["grid_worker"], GRID, person_id=worker)
    assert [t["id"] for t in stack.call("GET", f"{API}/tickets?responsible=me", her).json()["items"]] == [first["id"]]
    unlinked = stack.call("GET", f"{API}/tickets?responsible=me", token)
    assert unlinked.status_code == 400 and unlinked.json()["details"]["field"] == "responsible"
    history = stack.call("GET", f"{API}/tickets/{first['id']}/history", token).json()["items"]
    assert history[0]["data"]["responsible_person_id"] == worker

    yesterday = (dt.datetime.now(ZoneInfo("Asia/Shanghai")) - dt.timedelta(days=1)).date().isoformat()
    ended = stack.call("POST", f"{API}/assignments/{worker_post}/end", token, {"end_date": yesterday})
    assert ended.status_code == 200, ended.text
    assert stack.wait_for(lambda: (held_by_tickets(stack, worker_post) or {}).get("end_date") is not None)
    second = report(stack, token)
    assert second["responsible"] == {"person_id": chief, "role": "grid_chief", "grid_code": VILLAGE}

    # Tickets forgot the chief's post (as if it started after the post was made): the
    # snapshot it takes of people brings it back.
    stack.db_execute("tickets", "DELETE FROM grid_staff WHERE assignment_id = :id", id=chief_post)
    assert report(stack, token)["responsible"] is None
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        synced = rpc.tickets.sync_staff_now()
    assert synced["added"] >= 1 and held_by_tickets(stack, chief_post)
    assert report(stack, token)["responsible"]["person_id"] == chief

    bad = stack.call("GET", f"{API}/tickets?responsible=", token)
    assert bad.status_code == 400 and "responsible" in bad.json()["details"]["fields"]


def test_posts_and_open_tickets_follow_a_split_and_a_merge(stack):
    token = stack.login()
    x, y = 121.60, 31.60
    grid = stack.square_district(token, "320503", "调整", x, y)
    worker, worker_post = post(stack, token, "专职网格员小周", grid, "full_time_worker")
    assert stack.wait_for(lambda: held_by_tickets(stack, worker_post))
    east = stack.call("POST", f"{API}/tickets", token, {"category": "UM05", "description": "东侧道路破损",
                                                       "location": {"lon": x + 0.015, "lat": y + 0.01}})
    assert east.status_code == 201 and east.json()["responsible"]["person_id"] == worker
    assert stack.split_in_halves(token, grid, x, y).status_code == 201
    west_code, east_code = "320503001001002", "320503001001003"

    def posts():
        items = stack.call("GET", f"{API}/assignments", token, params={"person_id": worker}).json()["items"]
        return {a["grid_code"]: a for a in items}
    assert stack.wait_for(lambda: set(posts()) == {grid, west_code, east_code})
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    held = posts()
    assert held[grid]["end_date"] == today, "the post on the retired grid ends the day of the split"
    assert all(held[code]["end_date"] is None and held[code]["role"] == "full_time_worker"
               for code in (west_code, east_code))

    def rehomed():
        ticket = stack.call("GET", f"{API}/tickets/{east.json()['id']}", token).json()
        return ticket if ticket["grid_code"] == east_code else None
    moved = stack.wait_for(rehomed)
    assert moved and moved["responsible"]["person_id"] == worker, "she keeps the part of her grid she covered"

    new_east = stack.wait_for(lambda: held_by_tickets(stack, held[east_code]["id"])) and stack.call(
        "POST", f"{API}/tickets", token, {"category": "UM05", "description": "东侧井盖缺失",
                                          "location": {"lon": x + 0.015, "lat": y + 0.01}}).json()
    assert new_east["responsible"] == {"person_id": worker, "role": "full_time_worker", "grid_code": east_code}

    merged = stack.call("POST", f"{API}/grids/merge", token, {"codes": [west_code, east_code], "name": "调整网格"})
    assert merged.status_code == 201, merged.text
    merged_code = merged.json()["created"]["code"]
    assert stack.wait_for(lambda: merged_code in posts())
    open_posts = [a for a in posts().values() if a["end_date"] is None]
    assert [a["grid_code"] for a in open_posts] == [merged_code], "one post in the merged grid, not two"
