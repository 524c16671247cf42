"""Campaign tasks (专项任务, issue 18) through the whole stack, as seed 003 tells it: the
town launches "install the anti-fraud app" over a household group, the grid worker
ticks its 55 households off one by one, and the group shows all 55 done. A scope the
launcher does not reach, a household outside the task and a closed task are refused,
and nothing is stored for them."""
import datetime as dt

from shapely.geometry import box

from common.shanghai import shanghai_date

API = "/api/v1"
COUNTY, X, Y = "320579", 125.80, 35.80          # counties and spots no other test uses
ELSEWHERE, EX, EY = "320578", 126.00, 36.00
HOUSEHOLDS = 55


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response.json()


def households(stack, admin, x, y, count, name):
    centre = box(x, y, x + 0.02, y + 0.02).centroid
    place = ok(stack.call("POST", f"{API}/places", admin, {"type": "building", "name": name,
                                                           "lon": centre.x, "lat": centre.y}))
    return [ok(stack.call("POST", f"{API}/households", admin, {"place_code": place["code"],
                                                               "address": f"{n + 1}室"}))["id"]
            for n in range(count)]


def test_a_town_task_over_a_group_is_ticked_off_household_by_household(stack):
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "反诈", X, Y)
    other_grid = stack.square_district(admin, ELSEWHERE, "别处", EX, EY)
    town = grid[:9]
    leader = stack.new_account(admin, ["town_leader"], scope=town)
    other_leader = stack.new_account(admin, ["town_leader"], scope=other_grid[:9])
    worker = ok(stack.call("POST", f"{API}/staff", admin, {"name": "反诈网格员", "birth_date": "1988-06-01"}))
    ok(stack.call("POST", f"{API}/staff/{worker['id']}/assignments", admin,
                  {"grid_code": grid, "role": "full_time_worker", "start_date": "2026-01-01"}))
    worker_token = stack.new_account(admin, ["grid_worker"], scope=grid, person_id=worker["id"])
    homes = households(stack, admin, X, Y, HOUSEHOLDS, "反诈测试楼")
    (stranger,) = households(stack, admin, EX, EY, 1, "别处楼")

    task = {"title": "安装国家反诈中心APP", "description": "每户至少一人安装并注册", "scope": grid,
            "due_date": (shanghai_date() + dt.timedelta(days=14)).isoformat()}
    refused = stack.call("POST", f"{API}/campaigns", other_leader, task)
    assert refused.status_code == 403 and refused.json()["error"] == "OUT_OF_SCOPE"
    past = stack.call("POST", f"{API}/campaigns", leader, {**task, "due_date": "2026-01-01"})
    assert past.status_code == 400 and "due_date" in past.json()["details"]["fields"]
    nowhere = stack.call("POST", f"{API}/campaigns", leader, {**task, "scope": f"{town}999"})
    assert nowhere.status_code == 404
    assert stack.call("POST", f"{API}/campaigns", worker_token, task).status_code == 403   # workers do not launch
    campaign = ok(stack.call("POST", f"{API}/campaigns", leader, task), 201)
    assert campaign["progress"] == {"part": grid, "households": HOUSEHOLDS, "done": 0, "rate": 0.0,
                                    "grids": [{"grid_code": grid, "households": HOUSEHOLDS, "done": 0, "rate": 0.0}]}
    assert len(stack.db_rows("people", "SELECT id FROM campaigns WHERE title = :t", t=task["title"])) == 1

    # the worker sees the town's task over their grid, and their list of what is left
    mine = ok(stack.call("GET", f"{API}/campaigns", worker_token))["items"]
    assert campaign["id"] in [c["id"] for c in mine]
    assert stack.call("GET", f"{API}/campaigns/{campaign['id']}", other_leader).status_code == 404
    first_page = ok(stack.call("GET", f"{API}/campaigns/{campaign['id']}/households?status=pending&limit=50",
                               worker_token))
    assert len(first_page["items"]) == 50 and first_page["next"]

    for n, home in enumerate(homes):
        ticked = stack.call("POST", f"{API}/campaigns/{campaign['id']}/ticks", worker_token,
                            {"household_id": home, "note": "已安装" if n % 2 else None})
        assert ticked.status_code == 201, ticked.text
    again = stack.call("POST", f"{API}/campaigns/{campaign['id']}/ticks", worker_token, {"household_id": homes[0]})
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["tick"]["person_id"] == worker["id"]

    # a household outside the task, or beyond the worker's reach, is refused and not stored
    outside = stack.call("POST", f"{API}/campaigns/{campaign['id']}/ticks", admin, {"household_id": stranger})
    assert outside.status_code == 400 and outside.json()["error"] == "HOUSEHOLD_NOT_IN_CAMPAIGN"
    assert outside.json()["details"]["field"] == "household_id"
    beyond = stack.call("POST", f"{API}/campaigns/{campaign['id']}/ticks", worker_token, {"household_id": stranger})
    assert beyond.status_code == 403
    done = ok(stack.call("GET", f"{API}/campaigns/{campaign['id']}", leader))
    assert (done["progress"]["households"], done["progress"]["done"], done["progress"]["rate"]) == (55, 55, 1.0)
    assert ok(stack.call("GET", f"{API}/campaigns/{campaign['id']}/households?status=pending",
                         worker_token))["items"] == []
    ticks = stack.db_rows("people", "SELECT count(*) AS n FROM campaign_ticks WHERE campaign_id = :c",
                          c=campaign["id"])
    assert ticks[0]["n"] == HOUSEHOLDS

    # closed: no more ticks, and closing twice is a conflict
    assert stack.call("POST", f"{API}/campaigns/{campaign['id']}/close", other_leader).status_code == 404
    closed = ok(stack.call("POST", f"{API}/campaigns/{campaign['id']}/close", leader))
    assert closed["status"] == "closed" and closed["closed_at"]
    late = stack.call("POST", f"{API}/campaigns/{campaign['id']}/ticks", worker_token, {"household_id": homes[1]})
    assert late.status_code == 409 and late.json()["error"] == "CAMPAIGN_CLOSED"
    twice = stack.call("POST", f"{API}/campaigns/{campaign['id']}/close", leader)
    assert twice.status_code == 409 and twice.json()["error"] == "CAMPAIGN_CLOSED"
