"""A party member's service weighed in an assessment (issue 19 §4), through the whole
stack: a grid worker who is a party member logs service under two-way registration
(双报到), fulfils a resident's small wish (点亮微心愿) and signs in to their grid's service
day (网格服务日) but not to the community's, each through the gateway's own routes; a
colleague who is no party member does none of it. Scoring takes the facts from people's
events, a plan weighing them gives the numbers worked out by hand, the result's refs
name the facts, and a rebuild from people's pages gives the same facts and numbers.

Its own county (320601), one community with one grid; the period is this quarter in
Shanghai (everything happens today)."""
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from shapely.geometry import box

from common.shanghai import shanghai_date
from idnumbers import fresh_id_number

API = "/api/v1"
COUNTY, X, Y = "320601", 129.20, 39.20          # a county and a spot no other test uses
PASSWORD = "Passw0rd-2026"
PARTY_TABLES = {"party_service_facts": "id", "wish_facts": "wish_id", "service_day_facts": "id",
                "service_day_attendance_facts": "id"}


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response.json()


def account(stack, admin, **fields):
    username = f"ps{uuid.uuid4().hex[:9]}"
    ok(stack.call("POST", f"{API}/accounts", admin, {"username": username, "display_name": "党员服务测试",
                                                     "password": PASSWORD, **fields}), 201)
    return stack.login(username, PASSWORD)


def worker(stack, admin, grid, name, party_member):
    """A full-time worker posted in ``grid`` with a grid worker's account: (person id, token)."""
    person = ok(stack.call("POST", f"{API}/staff", admin, {"name": name, "party_member": party_member,
                                                           "id_number": fresh_id_number()}))
    ok(stack.call("POST", f"{API}/staff/{person['id']}/assignments", admin,
                  {"grid_code": grid, "role": "full_time_worker", "start_date": "2026-01-01"}))
    return person["id"], account(stack, admin, roles=["grid_worker"], grid_scope=grid, person_id=person["id"])


def resident(stack, admin, grid_square):
    """A resident at home in the grid, with an account of their own."""
    centre = grid_square.centroid
    place = ok(stack.call("POST", f"{API}/places", admin, {"type": "building", "name": "服务楼",
                                                           "lon": centre.x, "lat": centre.y}))
    home = ok(stack.call("POST", f"{API}/households", admin, {"place_code": place["code"], "address": "1幢101室"}))
    registered = ok(stack.call("POST", f"{API}/residents", admin, {
        "name": "服务居民", "id_number": fresh_id_number(), "household_id": home["id"]}))
    return account(stack, admin, roles=["resident"], resident_id=registered["id"])


def party_facts(stack):
    """The county's rows of the four fact tables, {table: {key: row}} without ``written_at``."""
    tables = {}
    for table, key in PARTY_TABLES.items():
        rows = stack.db_rows("scoring", f"SELECT * FROM {table} WHERE grid_code LIKE :county", county=f"{COUNTY}%")
        tables[table] = {row[key]: {k: v for k, v in row.items() if k != "written_at"} for row in rows}
    return tables


def indicators(result):
    """{indicator key: its breakdown node} of a result's one part."""
    (part,) = result["breakdown"]["children"]
    return {node["key"]: node for node in part["children"]}


def test_a_plan_weighs_a_members_service_hours_wishes_and_service_days(stack):
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "服务", X, Y)
    community = grid[:12]
    officer = account(stack, admin, roles=["community_officer"], grid_scope=community)
    member, member_token = worker(stack, admin, grid, "服务党员", party_member=True)
    colleague, _ = worker(stack, admin, grid, "服务同事", party_member=False)
    poster = resident(stack, admin, box(X, Y, X + 0.02, Y + 0.02))
    today = shanghai_date()
    period = f"{today.year}-Q{(today.month - 1) // 3 + 1}"

    # 双报到: registered with the community; 2.5 hours logged by the member, 1.5 by the community
    employer = f"ps{uuid.uuid4().hex[:6]}"
    stack.register_department(admin, employer, "服务人社局")
    registration = ok(stack.call("POST", f"{API}/party/registrations", officer, {
        "person_id": member, "employer_code": employer, "community_code": community}), 201)
    service = f"{API}/party/registrations/{registration['id']}/service"
    entries = [ok(stack.call("POST", service, token, {"activity": "入户走访独居老人", "hours": hours, "households": 2,
                                                      "day": today.isoformat()}), 201)["id"]
               for token, hours in ((member_token, 2.5), (officer, 1.5))]

    # 点亮微心愿: posted, approved, claimed and fulfilled by the member, confirmed by the resident
    wish = ok(stack.call("POST", f"{API}/wishes", poster, {"title": "帮忙更换楼道灯泡", "category": "service",
                                                           "description": "楼道灯坏了，老人晚上上楼不方便"}), 201)
    path = f"{API}/wishes/{wish['id']}"
    ok(stack.call("POST", f"{path}/approve", officer))
    ok(stack.call("POST", f"{path}/claim", member_token))
    ok(stack.call("POST", f"{path}/fulfil", member_token, {"note": "已更换灯泡"}))
    assert ok(stack.call("POST", f"{path}/confirm", poster))["status"] == "confirmed"

    # 网格服务日: the grid's day and the community's, both today; the member signs in to the grid's
    days = [ok(stack.call("POST", f"{API}/party/service-days", officer, {
        "grid_code": code, "day": today.isoformat(), "activity": activity}), 201)["id"]
        for code, activity in ((grid, "义诊义剪进网格"), (community, "社区环境清扫"))]
    signed = ok(stack.call("POST", f"{API}/party/service-days/{days[0]}/sign-in", member_token, {}), 201)
    (sign_in,) = [s for s in signed["sign_ins"] if s["person_id"] == member]

    def arrived():
        facts = party_facts(stack)
        return facts if [len(facts[table]) for table in PARTY_TABLES] == [2, 1, 2, 1] else None
    live = stack.wait_for(arrived, timeout=30)
    assert live, party_facts(stack)
    assert {row["person_id"] for row in live["party_service_facts"].values()} == {member}
    assert sorted(row["hours"] for row in live["party_service_facts"].values()) == [1.5, 2.5]
    assert live["wish_facts"][wish["id"]]["person_id"] == member, "credited to whoever fulfilled it"
    (attended,) = live["service_day_attendance_facts"].values()
    assert (attended["person_id"], attended["service_day_id"]) == (member, days[0])

    # the plan: hours against a target of 8 a quarter (40), wishes and days attended against
    # the best of the scope (20 each), the share of the days held attended (20). By hand:
    # member: 4 h of 8 = 50 x 0.4 + 100 x 0.2 + 100 x 0.2 + (1 of 2 days) 50 x 0.2 = 70
    # colleague: 0 h, no wish, no day: 0 (expected at both days: 0 of 2)
    code = f"it-party-{uuid.uuid4().hex[:6]}"
    ok(stack.call("POST", f"{API}/scoring/plans", admin, {
        "code": code, "name": {"zh": "党员服务考核（测试）", "en": "party member's service (test)"},
        "subject": "worker", "period": "quarter",
        "parts": [{"key": "service", "weight": 100, "source": "indicators", "indicators": [
            {"key": "hours", "measure": "party_service_hours", "normalise": "target", "target": 8, "weight": 40},
            {"key": "wishes", "measure": "wishes_fulfilled", "normalise": "minmax", "weight": 20},
            {"key": "days", "measure": "service_days_attended", "normalise": "minmax", "weight": 20},
            {"key": "attendance", "measure": "service_day_attendance", "normalise": "rate", "weight": 20}]}],
        "ranking": {"min_volume": 0, "prior_weight": 0, "commend_top": 1, "remind_bottom": 1},
        "bands": [{"key": "excellent", "min": 90, "zh": "优秀", "en": "excellent"},
                  {"key": "good", "min": 75, "zh": "良好", "en": "good"},
                  {"key": "pass", "min": 60, "zh": "合格", "en": "pass"},
                  {"key": "fail", "min": 0, "zh": "不合格", "en": "fail"}]}), 201)

    def assessed():
        draft = ok(stack.call("POST", f"{API}/assessments", admin, {"plan": code, "period": period,
                                                                   "scope": community}), 201)
        items = ok(stack.call("GET", f"{API}/assessments/{draft['id']}/results", admin))["items"]
        return draft, {item["subject_id"]: item for item in items}

    draft, results = assessed()
    assert set(results) == {member, colleague}
    mine = indicators(results[member])
    assert {key: (node["value"], node.get("volume", 0), node["points"]) for key, node in mine.items()} == {
        "hours": (4.0, 2, 50.0), "wishes": (1.0, 1, 100.0), "days": (1.0, 1, 100.0),
        "attendance": (0.5, 2, 50.0)}
    assert results[member]["own_score"] == pytest.approx(70) and results[member]["band"] == "pass"
    assert sorted(mine["hours"]["refs"]) == sorted(entries) and mine["wishes"]["refs"] == [wish["id"]]
    assert mine["attendance"]["refs"] == [attended["id"]]
    theirs = indicators(results[colleague])
    assert {key: node.get("value") for key, node in theirs.items()} == {
        "hours": 0.0, "wishes": 0.0, "days": 0.0, "attendance": 0.0}
    assert results[colleague]["own_score"] == 0

    refs = ok(stack.call("GET", f"{API}/assessments/{draft['id']}/refs", admin, params={"subject": member}))
    assert (sorted(refs["party_service"]), refs["wishes"], refs["service_days"]) == (
        sorted(entries), [wish["id"]], [attended["id"]])
    assert sign_in["name"] == "服务党员" and "服务党员" not in repr(live), "facts carry ids, never a name"

    # replay: a rebuild from people's pages gives the same facts, and the same numbers
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=120) as rpc:
        rebuilt = rpc.scoring.rebuild_facts()
    assert {table: rebuilt["refused"][table] for table in PARTY_TABLES} == dict.fromkeys(PARTY_TABLES, 0)
    assert party_facts(stack) == live
    _, again = assessed()
    assert {subject: (result["own_score"], indicators(result)) for subject, result in again.items()} == {
        subject: (result["own_score"], indicators(result)) for subject, result in results.items()}
