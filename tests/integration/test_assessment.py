"""Assessment through the gateway, on the real broker and database, with numbers worked
out by hand: 20/80 with bound chief-and-worker results, Pinggu's 4:2:3:1 from real
tickets and ratings, a small-volume grid not topping a ranking, publication immutable,
corrections as versions, and the posted sheet opening in openpyxl with Chinese headers.

Its own district (320594): street 001 > community 001 > grids 001, 002, 003 side by
side, and community 002 > grid 001 for Pinggu's example (its own scope, so no other
test's tickets reach its worker). Periods are the current quarter in Shanghai (tickets
are rated today)."""
import copy
import io
import uuid

import pytest
from openpyxl import load_workbook
from shapely.geometry import box, mapping

from common.shanghai import shanghai_date
from idnumbers import fresh_id_number
from ticket_client import Ticket

API = "/api/v1"
COUNTY = "320594"
STREET, COMMUNITY = f"{COUNTY}001", f"{COUNTY}001001"
GRIDS = [f"{COMMUNITY}00{n}" for n in (1, 2, 3)]
COMMUNITY2 = f"{STREET}002"
PINGGU_GRID = f"{COMMUNITY2}001"
X, Y, SIZE = 124.00, 34.00, 0.01
PASSWORD = "Passw0rd-2026"
BANDS = [{"key": "excellent", "min": 90, "zh": "优秀", "en": "excellent"},
         {"key": "good", "min": 75, "zh": "良好", "en": "good"},
         {"key": "pass", "min": 60, "zh": "合格", "en": "pass"},
         {"key": "fail", "min": 0, "zh": "不合格", "en": "fail"}]


def quarter():
    today = shanghai_date()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}", [
        f"{today.year}-{month:02d}" for month in range(3 * ((today.month - 1) // 3) + 1, today.month + 1)]


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response.json()


@pytest.fixture(scope="module")
def district(stack):
    """Three grids, each with a grid chief and a full-time worker (accounts linked to
    them), a community officer, a town leader, residents with homes in each grid."""
    admin = stack.login()
    squares = [box(X + n * SIZE, Y, X + (n + 1) * SIZE, Y + SIZE) for n in range(4)]
    whole, first = box(X, Y, X + 4 * SIZE, Y + SIZE), box(X, Y, X + 3 * SIZE, Y + SIZE)

    def feature(code, name, geometry, parent):
        return {"type": "Feature", "geometry": mapping(geometry),
                "properties": {"code": code, "name": name, "parent_code": parent, "households": 40}}

    ok(stack.call("POST", f"{API}/grids/import", admin, {"type": "FeatureCollection", "features": [
        feature(COUNTY, "考核区", whole, None), feature(STREET, "考核街道", whole, COUNTY),
        feature(COMMUNITY, "考核社区", first, STREET), feature(COMMUNITY2, "平谷社区", squares[3], STREET),
        feature(PINGGU_GRID, "平谷网格", squares[3], COMMUNITY2)] + [
        feature(code, f"考核{n}网格", square, COMMUNITY) for n, (code, square) in enumerate(zip(GRIDS, squares), 1)]}))
    people = {}
    for n, grid in enumerate(GRIDS + [PINGGU_GRID], start=1):
        for role, title in (("grid_chief", "网格长"), ("full_time_worker", "专职网格员")):
            person = ok(stack.call("POST", f"{API}/staff", admin, {"name": f"{n}号{title}",
                                                                  "id_number": fresh_id_number()}))
            ok(stack.call("POST", f"{API}/staff/{person['id']}/assignments", admin,
                          {"grid_code": grid, "role": role, "start_date": "2026-01-01"}))
            username = f"as{uuid.uuid4().hex[:9]}"
            ok(stack.call("POST", f"{API}/accounts", admin, {
                "username": username, "display_name": title, "password": PASSWORD,
                "roles": ["grid_chief" if role == "grid_chief" else "grid_worker"], "grid_scope": grid,
                "person_id": person["id"]}))
            people[(grid, role)] = {"id": person["id"], "token": stack.login(username, PASSWORD),
                                    "name": f"{n}号{title}"}
    officer = stack.new_account(admin, ["community_officer"], scope=COMMUNITY)
    officer2 = stack.new_account(admin, ["community_officer"], scope=COMMUNITY2)
    leader = stack.new_account(admin, ["town_leader"], scope=STREET)
    residents = {}
    for grid, square in zip(GRIDS + [PINGGU_GRID], squares):
        point = square.centroid
        place = ok(stack.call("POST", f"{API}/places", admin, {"type": "building", "name": "考核楼",
                                                             "lon": point.x, "lat": point.y}))
        household = ok(stack.call("POST", f"{API}/households", admin, {"place_code": place["code"]}))
        resident = ok(stack.call("POST", f"{API}/residents", admin, {"name": "考核居民", "id_number": fresh_id_number(),
                                                                   "household_id": household["id"]}))
        username = f"ar{uuid.uuid4().hex[:9]}"
        ok(stack.call("POST", f"{API}/accounts", admin, {"username": username, "display_name": "居民",
                                                         "password": PASSWORD, "roles": ["resident"],
                                                         "resident_id": resident["id"]}))
        residents[grid] = stack.login(username, PASSWORD)
    return {"admin": admin, "people": people, "officer": officer, "officer2": officer2, "leader": leader,
            "residents": residents}


def wait_until_scoring_has(stack, admin, plan, period, scope=COMMUNITY):
    """Run a draft as soon as scoring's facts hold the district's posts."""
    def ran():
        response = stack.call("POST", f"{API}/assessments", admin, {"plan": plan, "period": period, "scope": scope})
        return response.json() if response.status_code == 201 else None
    assessment = stack.wait_for(ran, timeout=30, interval=0.5)
    assert assessment, "scoring never saw the district's posts"
    return assessment


def results_of(stack, token, assessment_id):
    return {r["subject_id"]: r for r in ok(stack.call("GET", f"{API}/assessments/{assessment_id}/results", token))["items"]}


def test_twenty_eighty_with_bound_chief_and_worker_results_as_worked_out_by_hand(stack, district):
    """A plan of the village's self-assessment (20) and the street's items (80), chiefs
    and workers bound (0.3 / 0.2). Grid 1: the village entered 18/20 and 9/10 (90 each
    month: 90); the street gave the chief 9/10 (90) and the worker 7/10 (70).
    own: chief 0.2 x 90 + 0.8 x 90 = 90; worker 0.2 x 90 + 0.8 x 70 = 74.
    bound: chief 0.7 x 90 + 0.3 x 74 = 85.2; worker 0.8 x 74 + 0.2 x (90 + 74) / 2 = 75.6."""
    admin, leader, officer = district["admin"], district["leader"], district["officer"]
    period, months = quarter()
    code = f"it-{uuid.uuid4().hex[:8]}"
    saved = ok(stack.call("POST", f"{API}/scoring/plans", admin, {
        "code": code, "name": {"zh": "二八考核（测试）", "en": "20/80 (test)"}, "subject": "worker", "period": "quarter",
        "parts": [{"key": "village_self", "weight": 20, "source": "self_assessments"},
                  {"key": "street", "weight": 80, "source": "items"}],
        "bound": {"chief_takes_workers": 0.3, "worker_takes_grid": 0.2},
        "ranking": {"min_volume": 0, "prior_weight": 0, "commend_top": 1, "remind_bottom": 1}, "bands": BANDS}), 201)
    assert saved["version"] == 1
    for month, (points, top) in zip(months[:2], ((18, 20), (9, 10))):
        ok(stack.call("POST", f"{API}/scoring/self-assessments", officer, {"month": month, "grid_code": GRIDS[0],
                                                                         "items": [{"name": "月度自考",
                                                                                    "points": points,
                                                                                    "max_points": top}]}), 201)
    chief, worker = district["people"][(GRIDS[0], "grid_chief")], district["people"][(GRIDS[0], "full_time_worker")]
    for person, points in ((chief, 9), (worker, 7)):
        ok(stack.call("POST", f"{API}/scoring/items", leader, {"period": period, "subject_id": person["id"],
                                                               "items": [{"name": "街道检查", "points": points,
                                                                          "max_points": 10}]}), 201)
    assessment = wait_until_scoring_has(stack, admin, code, period)
    results = results_of(stack, leader, assessment["id"])
    # (early in a quarter only its first month is entered: 90 all the same)
    assert results[chief["id"]]["own_score"] == pytest.approx(90)
    assert results[worker["id"]]["own_score"] == pytest.approx(74)
    assert results[chief["id"]]["score"] == pytest.approx(85.2)
    assert results[worker["id"]]["score"] == pytest.approx(75.6)
    assert results[chief["id"]]["rank"] == 1 and results[chief["id"]]["commended"]

    # the worker reads their own breakdown, and no one else's
    own = ok(stack.call("GET", f"{API}/assessments/{assessment['id']}/results", worker["token"]))["items"]
    assert [r["subject_id"] for r in own] == [worker["id"]]
    assert (own[0]["name"], own[0]["grid_name"]) == (worker["name"], "考核1网格")
    assert own[0]["breakdown"]["children"][1]["key"] == "street"
    other = stack.call("GET", f"{API}/assessments/{assessment['id']}/results?subject={chief['id']}", worker["token"])
    assert other.status_code == 403 and other.json()["error"] == "NOT_YOUR_RESULT"

    # published: immutable; a correction is version 2 with its reason, version 1 stays readable
    published = ok(stack.call("POST", f"{API}/assessments/{assessment['id']}/publish", leader))
    assert published["status"] == "published"
    again = stack.call("POST", f"{API}/assessments", admin, {"plan": code, "period": period, "scope": COMMUNITY})
    assert again.status_code == 409 and again.json()["error"] == "ASSESSMENT_PUBLISHED"
    assert stack.call("POST", f"{API}/assessments/{assessment['id']}/publish", leader).status_code == 409
    ok(stack.call("POST", f"{API}/scoring/items", leader, {"period": period, "subject_id": worker["id"],
                                                           "items": [{"name": "街道检查", "points": 8,
                                                                      "max_points": 10}]}), 201)
    assert results_of(stack, leader, assessment["id"])[worker["id"]]["score"] == pytest.approx(75.6)
    no_reason = stack.call("POST", f"{API}/assessments/{assessment['id']}/corrections", leader, {})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["details"]["fields"]
    corrected = ok(stack.call("POST", f"{API}/assessments/{assessment['id']}/corrections", leader,
                              {"reason": "街道检查复核：补计整改分"}), 201)
    assert corrected["version"] == 2 and corrected["status"] == "draft" and corrected["reason"] == "街道检查复核：补计整改分"
    ok(stack.call("POST", f"{API}/assessments/{corrected['id']}/publish", leader))
    assert ok(stack.call("GET", f"{API}/assessments/{assessment['id']}", leader))["status"] == "superseded"
    ranking = ok(stack.call("GET", f"{API}/rankings?plan={code}&period={period}&scope={COMMUNITY}", worker["token"]))
    assert ranking["assessment"]["id"] == corrected["id"]
    # worker own 0.2 x 90 + 0.8 x 80 = 82; bound 0.8 x 82 + 0.2 x (90 + 82) / 2 = 82.8
    assert {r["subject_id"]: r["score"] for r in ranking["items"]}[worker["id"]] == pytest.approx(82.8)
    assert {r["subject_id"]: r["name"] for r in ranking["items"]}[chief["id"]] == chief["name"]

    # the posted sheet
    sheet = stack.call("GET", f"{API}/assessments/{corrected['id']}/export?format=xlsx", worker["token"])
    assert sheet.status_code == 200 and "spreadsheetml" in sheet.headers["Content-Type"]
    page = load_workbook(io.BytesIO(sheet.content)).active
    header = [cell.value for cell in page[2]]
    assert header[:8] == ["排名", "网格编码", "网格名称", "姓名", "得分", "排名得分", "等次", "绩效档次"]
    lines = {row[3]: row for row in page.iter_rows(min_row=3, values_only=True)}
    assert lines[chief["name"]][1] == GRIDS[0] and lines[chief["name"]][2] == "考核1网格"
    assert lines[worker["name"]][4] == pytest.approx(82.8)
    csv_sheet = stack.call("GET", f"{API}/assessments/{corrected['id']}/export?format=csv", leader)
    assert csv_sheet.status_code == 200 and csv_sheet.content.decode("utf-8-sig").splitlines()[1].startswith("排名,")


def rated_ticket(stack, district, grid, satisfaction):
    """A resident's report in ``grid`` taken by the grid's worker, resolved, rated."""
    resident, worker = district["residents"][grid], district["people"][(grid, "full_time_worker")]["token"]
    ticket = Ticket(stack, ok(stack.call("POST", f"{API}/tickets", resident, {
        "category": "UM02", "grid_code": grid, "description": "考核测试：楼道堆物"}), 201))
    ticket.act(worker, "accept")
    ticket.act(worker, "handle")
    ticket.act(worker, "resolve", outcome="fixed")
    ticket.act(worker, "feedback", note="已清理")
    ticket.act(resident, "rate", satisfaction=satisfaction)
    return ticket


def test_a_small_volume_grid_does_not_top_the_ranking(stack, district):
    """A grid plan on ticket satisfaction (prior weight 5, at least 3 rated tickets to be
    eligible). Grid 1: five tickets rated 5, 5, 4, 5, 4 (4.6: 92); grid 2: one rated 5
    (100); grid 3: three rated 3 (60). Mean 84. Ranked: grid 1 (5 x 92 + 5 x 84) / 10 =
    88; grid 2 (1 x 100 + 5 x 84) / 6 = 86.67; grid 3 (3 x 60 + 5 x 84) / 8 = 75. Grid 2
    had the best raw score and is second, and not eligible for commendation."""
    admin = district["admin"]
    period, _ = quarter()
    for grid, ratings in zip(GRIDS, ((5, 5, 4, 5, 4), (5,), (3, 3, 3))):
        for satisfaction in ratings:
            rated_ticket(stack, district, grid, satisfaction)
    code = f"it-{uuid.uuid4().hex[:8]}"
    ok(stack.call("POST", f"{API}/scoring/plans", admin, {
        "code": code, "name": {"zh": "网格满意度排名（测试）", "en": "grid satisfaction (test)"}, "subject": "grid",
        "period": "quarter",
        "parts": [{"key": "satisfaction", "weight": 100, "source": "indicators", "indicators": [
            {"key": "satisfaction", "measure": "satisfaction", "direction": "higher", "normalise": "rate",
             "weight": 100}]}],
        "ranking": {"min_volume": 3, "prior_weight": 5, "commend_top": 1, "remind_bottom": 1}, "bands": BANDS}), 201)

    def settled():  # every rating has reached scoring's facts
        draft = wait_until_scoring_has(stack, admin, code, period)
        items = results_of(stack, admin, draft["id"])
        return items if items.get(GRIDS[2], {}).get("volume") == 3 and items.get(GRIDS[0], {}).get("volume") == 5 \
            else None
    results = stack.wait_for(settled, timeout=30, interval=1)
    assert results, "scoring did not see every rating"
    first, lucky, low = results[GRIDS[0]], results[GRIDS[1]], results[GRIDS[2]]
    assert (first["score"], lucky["score"], low["score"]) == (pytest.approx(92), pytest.approx(100), pytest.approx(60))
    assert first["ranked_score"] == pytest.approx(88) and lucky["ranked_score"] == pytest.approx(86.67, abs=0.01)
    assert (first["rank"], lucky["rank"], low["rank"]) == (1, 2, 3)
    assert first["commended"] and not lucky["eligible"] and not lucky["commended"]


def test_four_two_three_one_from_real_tickets_and_ratings(stack, district):
    """Pinggu's 4:2:3:1 for the worker of community 002's grid, everything through the
    API. A resident of that grid reports; the ticket goes up to the town, which whistles to a department; the
    department reports back, the town verifies, the resident rates 5 (100). Residents'
    survey: 4 (80). Residents: (100 + 80) / 2 = 90. The department that handled it
    rates 3 (60), the village 5 (100), the worker themself 4 (80).
    0.4 x 90 + 0.2 x 60 + 0.3 x 100 + 0.1 x 80 = 36 + 12 + 30 + 8 = 86."""
    admin, leader, officer = district["admin"], district["leader"], district["officer2"]
    period, _ = quarter()
    grid = PINGGU_GRID
    resident = district["residents"][grid]
    worker = district["people"][(grid, "full_time_worker")]
    department_code = f"ad{uuid.uuid4().hex[:6]}"
    department = stack.new_account(admin, ["department"], department=department_code)
    other_department = stack.new_account(admin, ["department"], department=f"ad{uuid.uuid4().hex[:6]}")
    ticket = Ticket(stack, ok(stack.call("POST", f"{API}/tickets", resident, {
        "category": "EP01", "grid_code": grid, "description": "考核测试：饭店油烟直排"}), 201))
    ticket.act(worker["token"], "accept")
    ticket.act(worker["token"], "handle")
    ticket.act(worker["token"], "escalate", note="上报社区")
    ticket.act(officer, "escalate", note="上报街道")
    ticket.act(leader, "whistle", departments=[department_code], lead_department=department_code)
    ticket.act(department, "sign")
    ticket.act(department, "report_back", note="已整改")
    ticket.act(leader, "verify", outcome="fixed")
    ticket.act(leader, "feedback", note="回访居民")
    ticket.act(resident, "rate", satisfaction=5)

    def rate(token, kind, score, expect=201):
        response = stack.call("POST", f"{API}/scoring/ratings", token, {
            "period": period, "kind": kind, "subject_person_id": worker["id"], "score": score})
        assert response.status_code == expect, (kind, response.text)
        return response.json()

    rate(resident, "resident", 4)
    assert rate(resident, "resident", 5, expect=409)["error"] == "RATING_EXISTS"
    elsewhere = district["residents"][GRIDS[0]]  # a resident of grid 1 rating grid 3's worker
    assert rate(elsewhere, "resident", 5, expect=403)["error"] == "NOT_YOURS_TO_RATE"
    assert rate(other_department, "department", 5, expect=403)["error"] == "NOT_YOURS_TO_RATE"
    assert rate(department, "department", 6, expect=400)["details"]["fields"]["score"]
    rate(department, "department", 3)
    rate(officer, "village", 5)
    rate(worker["token"], "self", 4)
    assert rate(district["people"][(GRIDS[0], "full_time_worker")]["token"], "self", 5,
                expect=403)["error"] == "NOT_YOURS_TO_RATE"

    def settled():
        draft = wait_until_scoring_has(stack, admin, "pinggu-360", period, scope=COMMUNITY2)
        result = results_of(stack, admin, draft["id"]).get(worker["id"])
        return result if result and result["breakdown"]["children"][0]["points"] > 50 else None
    result = stack.wait_for(settled, timeout=30, interval=1)
    assert result, "scoring did not see the rated ticket"
    parts = {part["key"]: part for part in result["breakdown"]["children"]}
    assert parts["residents"]["points"] == pytest.approx(90)
    assert (parts["departments"]["points"], parts["village"]["points"], parts["self"]["points"]) == \
        (pytest.approx(60), pytest.approx(100), pytest.approx(80))
    assert result["own_score"] == pytest.approx(86)


def test_bad_assessment_input_is_refused_and_nothing_stored(stack, district):
    admin, leader = district["admin"], district["leader"]
    period, _ = quarter()
    cases = [
        ({"plan": "no-such-plan", "period": period, "scope": COMMUNITY}, 404, "PLAN_NOT_FOUND"),
        ({"plan": "pinggu-360", "period": "2026-Q5", "scope": COMMUNITY}, 400, "VALIDATION_FAILED"),
        ({"plan": "pinggu-360", "period": period, "scope": "32059"}, 400, "VALIDATION_FAILED"),
        ({"plan": "pinggu-360", "period": period, "scope": "999999001"}, 400, "NOTHING_TO_ASSESS"),
    ]
    for body, status, code in cases:
        response = stack.call("POST", f"{API}/assessments", admin, body)
        assert (response.status_code, response.json()["error"]) == (status, code), (body, response.text)
    outside = stack.new_account(admin, ["town_leader"], scope="320508019")
    refused = stack.call("POST", f"{API}/assessments", outside, {"plan": "pinggu-360", "period": period,
                                                                "scope": COMMUNITY})
    assert refused.status_code == 403 and refused.json()["error"] == "OUT_OF_SCOPE"
    plan = ok(stack.call("GET", f"{API}/scoring/plans/pinggu-360", leader))["items"][-1]["document"]
    unbalanced = copy.deepcopy(plan)
    unbalanced["code"] = f"it-{uuid.uuid4().hex[:8]}"
    unbalanced["parts"][0]["weight"] = 45
    refused = stack.call("POST", f"{API}/scoring/plans", admin, unbalanced)
    assert refused.status_code == 400 and refused.json()["error"] == "VALIDATION_FAILED", refused.text
    assert stack.call("GET", f"{API}/scoring/plans/{unbalanced['code']}", leader).status_code == 404
    listed = ok(stack.call("GET", f"{API}/assessments?scope=999999001", admin))["items"]
    assert listed == []
