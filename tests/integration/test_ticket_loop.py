"""The closed loop through the gateway: one ticket from a resident's report to a
rated, closed result, with escalation, the whistle, a bad rating and a reopen."""
import uuid
from concurrent.futures import ThreadPoolExecutor

from shapely.geometry import shape

from ticket_client import Ticket

API = "/api/v1"
GRID = "320508019045002"


def account(stack, admin, roles, scope=None, department=None):
    return stack.new_account(admin, roles, scope, department, display_name="闭环测试")


def test_a_ticket_from_report_to_closed_with_whistle_and_reopen(stack):
    admin = stack.login()
    resident = account(stack, admin, ["resident"])
    worker = account(stack, admin, ["grid_worker"], GRID)
    community = account(stack, admin, ["community_officer"], GRID[:12])
    leader = account(stack, admin, ["town_leader"], GRID[:9])
    environment = account(stack, admin, ["department"], department="environment")
    urban = account(stack, admin, ["department"], department="urban_management")
    market = account(stack, admin, ["department"], department="market")

    point = shape(stack.call("GET", f"{API}/grids/{GRID}?geometry=true", admin).json()["geometry"]).representative_point()
    report = {"category": "EP01", "grade": "daily", "source": "resident_report",
              "description": "三元二村楼下饭店油烟直排，熏得无法开窗",
              "location": {"lon": point.x, "lat": point.y, "crs": "wgs84"},
              "reporter_name": "张女士", "reporter_phone": "13912345678", "attachments": ["oss://gridgov-photos/2026/11/a1.jpg"]}
    key = str(uuid.uuid4())
    first = stack.call("POST", f"{API}/tickets", resident, report, headers={"Idempotency-Key": key})
    again = stack.call("POST", f"{API}/tickets", resident, report, headers={"Idempotency-Key": key})
    assert first.status_code == 201 and again.status_code == 201, first.text
    body = first.json()
    assert again.json()["id"] == body["id"]  # a retried submission returns the first result
    assert body["grid_code"] == GRID and body["status"] == "reported" and body["reporter_phone"] == "139****5678"
    assert body["accept_due"] and body["resolve_due"]
    other = stack.call("POST", f"{API}/tickets", resident, dict(report, description="换了内容"),
                       headers={"Idempotency-Key": key})
    assert other.status_code == 409 and other.json()["error"] == "IDEMPOTENCY_KEY_REUSED"

    ticket = Ticket(stack, body)
    wrong = ticket.act(worker, "resolve", expect=409, outcome="fixed")
    assert wrong["error"] == "ACTION_NOT_ALLOWED" and "accept" in wrong["details"]["allowed"]
    ticket.act(worker, "accept")
    assert ticket.act(worker, "handle")["level"] == "grid"
    assert ticket.act(worker, "escalate", note="网格无法处置，上报社区")["level"] == "community"
    assert ticket.act(community, "escalate", note="社区协调未果，上报街道")["level"] == "town"

    assert ticket.act(environment, "sign", expect=404)["error"] == "TICKET_NOT_FOUND"  # not dispatched to it yet
    assert ticket.act(worker, "whistle", expect=403, departments=["environment"],
                      lead_department="environment")["error"] == "NOT_AUTHORISED_FOR_ACTION"
    dispatched = ticket.act(leader, "whistle", departments=["environment", "urban_management"],
                            lead_department="environment", note="街道吹哨，生态环境、城管报到")
    assert dispatched["level"] == "department" and dispatched["lead_department"] == "environment"
    assert ticket.act(market, "sign", expect=404)["error"] == "TICKET_NOT_FOUND"
    # A department account (no grid scope) lists what was dispatched to it, nothing else.
    assert [t["id"] for t in stack.call("GET", f"{API}/tickets", environment).json()["items"]] == [ticket.id]
    assert stack.call("GET", f"{API}/tickets", market).json()["items"] == []
    assert stack.call("GET", f"{API}/tickets/{ticket.id}", market).status_code == 404
    seen = stack.call("GET", f"{API}/tickets/{ticket.id}", environment).json()
    assert "sign" in seen["your_actions"] and not {"verify", "contact"} & set(seen["your_actions"])
    assert "verify" in seen["allowed_actions"]  # the state admits it; the town takes it, once reported back
    ticket.act(urban, "sign")
    ticket.act(environment, "sign")
    assert ticket.act(leader, "verify", expect=409, outcome="fixed")["error"] == "ACTION_NOT_ALLOWED"
    ticket.act(environment, "contact", note="电话联系张女士，约定次日上门查看")
    assert ticket.act(environment, "contact", expect=409, note="再次联系")["error"] == "ACTION_NOT_ALLOWED"
    ticket.act(environment, "report_back", note="已责令饭店安装油烟净化器并整改到位")
    detail = stack.call("GET", f"{API}/tickets/{ticket.id}", environment).json()
    assert {d["department"]: (bool(d["signed_at"]), bool(d["contacted_at"])) for d in detail["dispatches"]} == {
        "environment": (True, True), "urban_management": (True, False)}
    assert ticket.act(leader, "verify", outcome="fixed")["status"] == "resolved"
    ticket.act(leader, "feedback", note="电话告知张女士整改结果")
    assert "satisfaction" in ticket.act(resident, "rate", expect=400, satisfaction=6)["details"]["fields"]
    assert ticket.act(resident, "rate", satisfaction=2)["satisfaction"] == 2

    reopened = ticket.act(resident, "reopen", note="油烟仍然很大")
    assert reopened["status"] == "handling" and reopened["level"] == "town" and reopened["reopen_count"] == 1
    ticket.act(leader, "meeting", note="街道召集饭店、物业、居民代表现场会")
    ticket.act(leader, "resolve", outcome="fixed")
    ticket.act(leader, "feedback", note="上门回访")
    ticket.act(resident, "rate", satisfaction=5)
    closed = ticket.act(leader, "close")
    assert closed["status"] == "closed" and closed["closed_at"] and closed["meeting_disposal"] is True

    stale = stack.call("POST", f"{API}/tickets/{ticket.id}/actions", leader, {"action": "close", "version": 1})
    assert stale.status_code == 409 and stale.json()["error"] == "VERSION_CONFLICT"

    history = stack.call("GET", f"{API}/tickets/{ticket.id}/history", admin).json()["items"]
    assert [h["action"] for h in history] == [
        "report", "accept", "handle", "escalate", "escalate", "whistle", "sign", "sign", "contact", "report_back",
        "verify",
        "feedback", "rate", "reopen", "meeting", "resolve", "feedback", "rate", "close"]
    assert history[5]["actor_role"] == "town_leader" and history[5]["to_level"] == "department"
    assert stack.call("GET", f"{API}/tickets/{ticket.id}/verify", admin).json()["intact"] is True

    categories = stack.call("GET", f"{API}/tickets/categories", admin).json()["items"]
    assert len(categories) >= 60 and {"code": "EP01", "name": "餐饮油烟扰民"}.items() <= next(
        c for c in categories if c["code"] == "EP01").items()


def test_a_tampered_trail_is_detected(stack):
    admin = stack.login()
    created = stack.call("POST", f"{API}/tickets", admin, {"category": "UM04", "grid_code": "320508014021002",
                                                          "description": "垃圾桶满溢"}).json()
    ticket = Ticket(stack, created)
    ticket.act(admin, "accept")
    ticket.act(admin, "handle")
    assert stack.call("GET", f"{API}/tickets/{ticket.id}/verify", admin).json()["intact"] is True

    stack.db_execute("tickets", "UPDATE ticket_trail SET note = '改过' WHERE ticket_id = :id AND seq = 2", id=ticket.id)
    edited = stack.call("GET", f"{API}/tickets/{ticket.id}/verify", admin).json()
    assert edited["intact"] is False and edited["problems"][0]["seq"] == 2

    stack.db_execute("tickets", "UPDATE ticket_trail SET note = NULL WHERE ticket_id = :id AND seq = 2", id=ticket.id)
    assert stack.call("GET", f"{API}/tickets/{ticket.id}/verify", admin).json()["intact"] is True
    stack.db_execute("tickets", "DELETE FROM ticket_trail WHERE ticket_id = :id AND seq = 3", id=ticket.id)
    deleted = stack.call("GET", f"{API}/tickets/{ticket.id}/verify", admin).json()
    assert deleted["intact"] is False and "missing" in deleted["problems"][0]["problem"]


def test_bad_reports_and_actions_are_refused(stack):
    admin = stack.login()
    cases = [
        ({"category": "ZZ99", "grid_code": GRID, "description": "未知类别"}, 400, "UNKNOWN_CATEGORY"),
        ({"category": "UM01", "grade": "catastrophic", "grid_code": GRID, "description": "等级错误"}, 400,
         "VALIDATION_FAILED"),
        ({"category": "UM01", "location": {"lon": 100.0, "lat": 20.0}, "description": "境外"}, 400,
         "LOCATION_OUTSIDE_GRIDS"),
        ({"category": "UM01", "grid_code": GRID, "description": "坏电话", "reporter_phone": "110"}, 400,
         "INVALID_PHONE"),
        ({"category": "UM01", "grid_code": GRID, "description": "脚本附件", "attachments": ["javascript:alert(1)"]},
         400, "VALIDATION_FAILED"),
        ({"category": "UM01", "grid_code": GRID, "description": " \u3000 \n"}, 400, "VALIDATION_FAILED"),
    ]
    for body, status, code in cases:
        response = stack.call("POST", f"{API}/tickets", admin, body)
        assert (response.status_code, response.json()["error"]) == (status, code), (body, response.text)
    created = stack.call("POST", f"{API}/tickets", admin, {"category": "UM03", "grid_code": GRID,
                                                          "description": "违建"}).json()
    worker = account(stack, admin, ["grid_worker"], GRID)
    ticket = Ticket(stack, created)
    refused = ticket.act(worker, "accept", expect=403)  # 违法建设 is not on the grid-affairs list
    assert "grid-affairs" in refused["message"]
    ticket.act(admin, "accept")
    ticket.act(admin, "handle")
    blank = ticket.act(admin, "suspend", expect=400, note="  \u3000 ")  # a blank reason is no reason
    assert blank["details"] == {"field": "note"}
    unknown = stack.call("POST", f"{API}/tickets/{ticket.id}/actions", admin, {"action": "teleport", "version": 1})
    assert unknown.status_code == 400 and "action" in unknown.json()["details"]["fields"]


def test_statistics_for_a_subtree_and_period(stack):
    admin = stack.login()
    root = "320508014021"  # a community no other test reports tickets in by location
    made = []
    for category, grade in [("UM01", "daily"), ("UM01", "urgent"), ("SF01", "daily")]:
        made.append(stack.call("POST", f"{API}/tickets", admin, {
            "category": category, "grade": grade, "grid_code": f"{root}001", "source": "hotline_12345",
            "description": "统计用工单"}).json())
    ticket = Ticket(stack, made[0])
    for action, payload in [("accept", {}), ("handle", {}), ("resolve", {"outcome": "fixed"}),
                            ("feedback", {"note": "已回复"}), ("rate", {"satisfaction": 5})]:
        ticket.act(admin, action, **payload)
    today = stack.call("GET", f"{API}/tickets/statistics?root={root}", admin)
    assert today.status_code == 200, today.text
    stats = today.json()
    assert stats["total"] >= 3 and stats["by_category"]["UM01"] >= 2 and stats["by_source"]["hotline_12345"] >= 3
    assert stats["resolved_at_level"].get("grid", 0) >= 1 and stats["share_solved_below_department"] == 1.0
    assert stats["satisfaction_rate"] == 1.0 and stats["hours_to_resolve"]["median"] is not None
    assert 0 < stats["resolution_rate"] < 1
    empty = stack.call("GET", f"{API}/tickets/statistics?root={root}&from=2020-01-01&to=2020-01-31", admin).json()
    assert empty["total"] == 0 and empty["resolution_rate"] is None
    bad = stack.call("GET", f"{API}/tickets/statistics?from=yesterday", admin)
    assert bad.status_code == 400 and "from" in bad.json()["details"]["fields"]
    backwards = stack.call("GET", f"{API}/tickets/statistics?from=2026-02-01&to=2026-01-01", admin)
    assert backwards.status_code == 400 and "from" in backwards.json()["details"]["fields"]
    for far in ("from=0001-01-01", "to=9999-12-31", "from=2099-01-01"):  # days that overflow, or a from after today
        refused = stack.call("GET", f"{API}/tickets/statistics?{far}", admin)
        assert refused.status_code == 400 and far[:far.index("=")] in refused.json()["details"]["fields"], refused.text
    listed = stack.call("GET", f"{API}/tickets?root={root}&grade=urgent&source=hotline_12345&from=2026-01-01", admin)
    assert [t["id"] for t in listed.json()["items"]] == [made[1]["id"]]
    by_number = stack.call("GET", f"{API}/tickets/{made[1]['number']}", admin)
    assert by_number.status_code == 200 and by_number.json()["id"] == made[1]["id"]
    for wrong in ("grade=huge", "level=moon", "overdue=perhaps", "from=2026-13-01"):
        refused = stack.call("GET", f"{API}/tickets?{wrong}", admin)
        assert refused.status_code == 400 and wrong.split("=")[0] in str(refused.json()["details"]), refused.text
    mistyped = stack.call("GET", f"{API}/tickets/statistics?root=320508014999", admin)
    assert mistyped.status_code == 404 and mistyped.json()["error"] == "GRID_NOT_FOUND", "not zeros posing as data"
    assert stack.call("GET", f"{API}/scoring/tickets-reported?root=320508014999", admin).status_code == 404


def test_duplicates_suspension_recategorising_and_the_trail_check_command(stack):
    import subprocess
    import sys

    admin = stack.login()
    point = shape(stack.call("GET", f"{API}/grids/320508019044003?geometry=true", admin).json()["geometry"]
                  ).representative_point()
    near = {"lon": point.x, "lat": point.y + 0.0003}  # about 33 m away
    first = stack.call("POST", f"{API}/tickets", admin, {"category": "UM07", "description": "路灯不亮",
                                                        "location": {"lon": point.x, "lat": point.y}}).json()
    second = stack.call("POST", f"{API}/tickets", admin, {"category": "UM07", "description": "这条路的路灯坏了",
                                                         "location": near}).json()
    other = stack.call("POST", f"{API}/tickets", admin, {"category": "UM04", "description": "垃圾",
                                                        "location": near}).json()
    assert second["likely_duplicate_of"] == first["id"] and other["likely_duplicate_of"] is None
    duplicate = Ticket(stack, second)
    merged = duplicate.act(admin, "merge", into=first["id"])
    assert merged["status"] == "merged" and merged["duplicate_of"] == first["id"] and merged["outcome"] == "duplicate"
    later = duplicate.act(admin, "accept", expect=409)
    assert later["error"] == "TICKET_MERGED" and later["details"]["duplicate_of"] == first["id"]
    folded = stack.call("GET", f"{API}/tickets/{first['id']}/history", admin).json()["items"][-1]
    assert folded["action"] == "merged_in" and folded["data"] == {"ticket_id": second["id"], "number": second["number"]}
    reloaded = stack.call("GET", f"{API}/tickets/{first['id']}", admin).json()
    assert reloaded["version"] == first["version"] + 1, "whoever holds the original finds the merge on reloading"

    original = Ticket(stack, reloaded)
    original.act(admin, "accept")
    original.act(admin, "handle")
    due_before = stack.call("GET", f"{API}/tickets/{original.id}", admin).json()["resolve_due"]
    assert original.act(admin, "suspend", expect=400)["details"]["field"] == "note"
    original.act(admin, "suspend", note="等待供电公司更换线路")
    blocked = original.act(admin, "resolve", expect=409, outcome="fixed")
    assert blocked["details"]["allowed"] == ["resume"]
    import time
    time.sleep(1.2)
    original.act(admin, "resume", note="线路已更换")
    due_after = stack.call("GET", f"{API}/tickets/{original.id}", admin).json()["resolve_due"]
    assert due_after > due_before  # the clock stopped while suspended

    recategorised = original.act(admin, "recategorise", category="MU02", note="实为停电")
    assert recategorised["category"] == "MU02" and recategorised["level"] == "community"  # not grid affairs
    assert original.act(admin, "recategorise", expect=400, category="NOPE")["error"] == "UNKNOWN_CATEGORY"
    follows = stack.call("GET", f"{API}/tickets/{second['id']}", admin).json()["original"]
    assert follows["id"] == first["id"] and follows["status"] == "handling" and follows["level"] == "community"
    assert "reporter_name" not in follows and "reporter_phone" not in follows

    command = subprocess.run([sys.executable, "-m", "tickets.verify"], env=stack.env, capture_output=True,
                             text=True, timeout=120)
    summary = command.stdout.splitlines()[0]
    assert '"checked"' in summary
    broken_before = [line for line in command.stdout.splitlines()[1:]]
    stack.db_execute("tickets", "UPDATE ticket_trail SET actor_username = 'mallory' WHERE ticket_id = :id AND seq = 1",
                     id=original.id)
    tampered = subprocess.run([sys.executable, "-m", "tickets.verify"], env=stack.env, capture_output=True,
                              text=True, timeout=120)
    assert tampered.returncode == 1
    assert original.id in tampered.stdout and len(tampered.stdout.splitlines()[1:]) == len(broken_before) + 1


def test_open_tickets_follow_a_grid_split(stack):
    admin = stack.login()
    x, y = 121.40, 31.40
    grid = stack.square_district(admin, "320504", "重划", x, y)
    east = stack.call("POST", f"{API}/tickets", admin, {"category": "UM05", "description": "东侧道路破损",
                                                       "location": {"lon": x + 0.015, "lat": y + 0.01}}).json()
    assert east["grid_code"] == grid == "320504001001001"
    assert stack.split_in_halves(admin, grid, x, y).status_code == 201

    def rehomed():
        return stack.call("GET", f"{API}/tickets/{east['id']}", admin).json()["grid_code"] == "320504001001003"
    assert stack.wait_for(rehomed)
    moved = stack.call("GET", f"{API}/tickets/{east['id']}/history", admin).json()["items"][-1]
    assert moved["action"] == "rehome" and moved["actor_username"] == "system"
    assert moved["data"] == {"from_grid": grid, "to_grid": "320504001001003", "located": True,
                             "responsible_person_id": None}  # nobody is posted in the new grid
    assert stack.call("GET", f"{API}/tickets/{east['id']}/verify", admin).json()["intact"] is True


def test_ticket_lists_filter_by_state_and_page_with_a_cursor(stack):
    admin = stack.login()
    resident = account(stack, admin, ["resident"])
    made = [stack.call("POST", f"{API}/tickets", resident, {"category": "UM06", "grid_code": GRID,
                                                            "description": f"井盖缺失第{i}处"}).json() for i in range(3)]
    Ticket(stack, made[0]).act(admin, "withdraw", note="误报")
    first = stack.call("GET", f"{API}/tickets?status=open&limit=1", resident).json()
    second = stack.call("GET", f"{API}/tickets?status=open&limit=1&before={first['next']}", resident).json()
    assert [t["id"] for t in first["items"] + second["items"]] == [made[2]["id"], made[1]["id"]]
    assert second["next"] is None
    bad = stack.call("GET", f"{API}/tickets?status=lost", resident)
    assert bad.status_code == 400 and "status" in bad.json()["details"]["fields"], bad.text


def test_retries_racing_with_one_idempotency_key_make_one_ticket(stack):
    admin = stack.login()
    key, body = str(uuid.uuid4()), {"category": "UM02", "grid_code": GRID, "description": "网络抖动，客户端并发重试"}
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: stack.call("POST", f"{API}/tickets", admin, body,
                                                     headers={"Idempotency-Key": key}), range(6)))
    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers if a.status_code != 201]
    assert len({a.json()["number"] for a in answers}) == 1


def test_a_whistle_summons_a_department_people_registered_beyond_the_catalogue(stack):
    admin = stack.login()
    code = f"sanitation_{uuid.uuid4().hex[:6]}"
    registered = stack.call("POST", f"{API}/departments", admin,
                            {"code": code, "name": "姑苏区环卫所", "kind": "functional_department"})
    assert registered.status_code == 201, registered.text
    leader = account(stack, admin, ["town_leader"], GRID[:9])
    sanitation = account(stack, admin, ["department"], department=code)
    ticket = Ticket(stack, stack.call("POST", f"{API}/tickets", admin, {
        "category": "UM04", "grid_code": GRID, "description": "垃圾中转站异味"}).json())
    ticket.act(leader, "accept")
    assert ticket.act(leader, "handle")["level"] == "town"
    made_up = ticket.act(leader, "whistle", expect=400, departments=[code, "no_such_office"], lead_department=code)
    assert made_up["error"] == "UNKNOWN_DEPARTMENT" and made_up["details"]["unknown"] == ["no_such_office"]
    ticket.act(leader, "whistle", departments=[code], lead_department=code, note="街道吹哨，环卫所报到")
    assert ticket.act(sanitation, "sign")["lead_department"] == code
