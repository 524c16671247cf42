"""Every declared route x every role (and no token), inside and outside scope, against
the real services: each gets the answer the route table documents, and every 2xx
answer matches the route's documented schema.

The matrix is read from the route table: a route declared without an example below
fails ``test_every_route_has_an_example``, so a new route is covered the day it is
declared. Its own district (320598) has two streets, A and B; every target lies in
grid A1, and each grid-scoped role has an account in A and one in B."""
import datetime as dt
import json
import uuid

import pytest
import requests
from openapi_schema_validator import OAS30Validator
from shapely.geometry import box, mapping

from common.roles import DISTRICT_WIDE, GRID_SCOPED, ROLES, UNSCOPED
from common.shanghai import shanghai_date
from gateway.openapi import build
from gateway.routes import ROUTES
from idnumbers import fresh_id_number
from people.targets import DEFAULT_FILE as DEFAULT_TARGETS
from stack import JWT_SECRET  # noqa: F401 (the stack signs with it)

API = "/api/v1"
COUNTY = "320598"
X, Y = 123.00, 33.00
TOWN_A, TOWN_B = f"{COUNTY}001", f"{COUNTY}002"
COMMUNITY_A, COMMUNITY_B = f"{TOWN_A}001", f"{TOWN_B}001"
A1, A2, A3, A4 = (f"{COMMUNITY_A}00{n}" for n in range(1, 5))
B1 = f"{COMMUNITY_B}001"
PASSWORD = "Passw0rd-2026"
ROSTER_HEADER = "姓名,性别,身份证号码,手机号码,政治面貌,是否会用智能手机,网格编码,岗位,任职开始日期"
# The scope each grid-scoped role works in, in street A and in street B.
SCOPES = {"town_leader": (TOWN_A, TOWN_B), "community_officer": (COMMUNITY_A, COMMUNITY_B),
          "grid_chief": (A1, B1), "grid_worker": (A1, B1), "auditor": (TOWN_A, TOWN_B)}


def _feature(code, name, geometry, parent=None):
    return {"type": "Feature", "geometry": mapping(geometry),
            "properties": {"code": code, "name": name, "parent_code": parent, "households": 40}}


def _district():
    """The county split into streets A (west) and B (east); community A into 2 x 2 grids."""
    size = 0.02
    west, east = box(X, Y, X + size, Y + size), box(X + size, Y, X + 2 * size, Y + size)
    half = size / 2
    quarters = [box(X, Y + half, X + half, Y + size), box(X + half, Y + half, X + size, Y + size),
                box(X, Y, X + half, Y + half), box(X + half, Y, X + size, Y + half)]
    features = [_feature(COUNTY, "矩阵区", box(X, Y, X + 2 * size, Y + size)),
                _feature(TOWN_A, "甲街道", west, COUNTY), _feature(TOWN_B, "乙街道", east, COUNTY),
                _feature(COMMUNITY_A, "甲社区", west, TOWN_A), _feature(COMMUNITY_B, "乙社区", east, TOWN_B),
                _feature(B1, "乙一网格", east, COMMUNITY_B)]
    features += [_feature(code, f"甲{n}网格", quarter, COMMUNITY_A)
                 for n, (code, quarter) in enumerate(zip((A1, A2, A3, A4), quarters), start=1)]
    return {"type": "FeatureCollection", "features": features}, quarters


class Caller:
    def __init__(self, label, role, position, token=None, person_id=None, relogin=None):
        self.label, self.role, self.position, self.token, self.person_id = label, role, position, token, person_id
        self.relogin = relogin  # a fresh token, once a route ended this one (sign-out)


def _ok(response, context):
    assert response.status_code < 300, f"{context}: {response.status_code} {response.text[:300]}"
    return response.json()


@pytest.fixture(scope="module")
def world(stack):
    """The district, an account per role and position, and a record of each kind in A1."""
    admin = stack.login()
    collection, quarters = _district()
    _ok(stack.call("POST", f"{API}/grids/import", admin, collection), "import")
    callers = []

    def call(method, path, body=None, token=None):
        """As the admin: the admin caller's token once there is one (a sign-out renews it)."""
        token = token or (callers[0].token if callers else admin)
        return _ok(stack.call(method, path, token, body), path)
    department = f"mx{uuid.uuid4().hex[:6]}"
    call("POST", f"{API}/departments", {"code": department, "name": "矩阵测试局", "kind": "functional_department"})

    def person(name, grid=A1, role="full_time_worker"):
        created = call("POST", f"{API}/staff", {"name": name, "id_number": fresh_id_number()})
        post = call("POST", f"{API}/staff/{created['id']}/assignments",
                    {"grid_code": grid, "role": role, "start_date": "2026-01-01"}) if grid else None
        return created["id"], post and post["id"]

    worker, _ = person("甲一专职")
    colleague, colleague_post = person("甲一兼职", role="part_time_worker")
    unposted, _ = person("待岗人员", grid=None)

    usernames = {}

    def account(role, scope=None, person_id=None, department_code=None):
        username = f"mx{uuid.uuid4().hex[:10]}"
        made = call("POST", f"{API}/accounts", {"username": username, "display_name": f"矩阵 {role}",
                                                "password": PASSWORD, "roles": [role], "grid_scope": scope,
                                                "person_id": person_id, "department_code": department_code})
        token = stack.login(username, PASSWORD)
        usernames[token] = (username, made["id"])
        return token

    def caller(label, role, position, token, person_id=None):
        username = usernames[token][0]
        return Caller(label, role, position, token, person_id, relogin=lambda: stack.login(username, PASSWORD))

    callers += [Caller("admin", "admin", "district", admin, relogin=stack.login),
                caller("district_officer", "district_officer", "district", account("district_officer"))]
    for role, (inside, outside) in SCOPES.items():
        linked = worker if role == "grid_worker" else None  # the worker's own account: self routes
        callers.append(caller(f"{role}@A", role, "inside", account(role, inside, linked), linked))
        callers.append(caller(f"{role}@B", role, "outside", account(role, outside)))
    callers.append(caller("resident", "resident", "unscoped", account("resident")))
    callers.append(caller("department", "department", "unscoped", account("department", department_code=department)))
    callers.append(Caller("no token", None, "anonymous"))

    def fresh_account():
        """(username, id) of a new resident account, for a route that changes the one it names."""
        return usernames[account("resident")]

    def fresh_key():
        return call("POST", f"{API}/api-keys", {"department_code": department, "name": "矩阵系统"})["id"]

    def fresh_webhook():
        return call("POST", f"{API}/webhooks", {"url": "https://hooks.example.org/gridgov", "department_code": department,
                                                "events": ["ticket_dispatched"]})["id"]
    login = f"mx{uuid.uuid4().hex[:10]}"
    call("POST", f"{API}/accounts", {"username": login, "display_name": "矩阵登录", "password": PASSWORD,
                                     "roles": ["resident"]})

    a1_point = quarters[0].centroid
    place = call("POST", f"{API}/places", {"type": "building", "name": "甲一1号楼", "lon": a1_point.x,
                                          "lat": a1_point.y})
    other_place = call("POST", f"{API}/places", {"type": "building", "name": "甲一2号楼", "lon": a1_point.x + 0.001,
                                                "lat": a1_point.y + 0.001})
    household = call("POST", f"{API}/households", {"place_code": place["code"], "address": "101室"})
    moving = call("POST", f"{API}/households", {"place_code": place["code"], "address": "102室"})
    resident = call("POST", f"{API}/residents", {"name": "甲一居民", "id_number": fresh_id_number(),
                                                 "household_id": household["id"]})
    ticket = call("POST", f"{API}/tickets", {"category": "UM02", "grid_code": A1, "description": "矩阵测试：楼道堆物"})
    acted = call("POST", f"{API}/tickets", {"category": "UM02", "grid_code": A1, "description": "矩阵测试：待处理"})
    broadcast = call("POST", f"{API}/broadcasts", {"title": "矩阵通知", "body": "测试", "scope_grid": A1})
    sentiment = call("POST", f"{API}/sentiments", {"person_id": worker, "client_id": f"mx-{uuid.uuid4().hex[:8]}",
                                                   "grid_code": A1, "household_id": household["id"],
                                                   "category": "livelihood", "source": "home_visit",
                                                   "content": "矩阵：居民反映楼道灯坏了"})["sentiment"]
    organisation = call("POST", f"{API}/organisations", {"kind": "enterprise", "name": "矩阵商贸有限公司",
                                                         "grid_code": A1})
    signup, rejected_signup = (_ok(stack.call("POST", f"{API}/public/sign-ups", None, {   # an address of its own:
        "username": f"su{uuid.uuid4().hex[:10]}", "password": PASSWORD, "name": name,     # the fuzz run may have
        "phone": "13900002222", "address": "甲一1号楼102室", "grid_code": A1},           # used 127.0.0.1's limit
        headers={"X-Forwarded-For": f"10.77.{n}.{uuid.uuid4().int % 250}"}), "sign-up")
        for n, name in enumerate(("矩阵申请人", "矩阵被拒申请人")))
    job = _ok(stack.call("POST", f"{API}/grids/import", admin, {"type": "FeatureCollection", "features": []},
                         headers={"Prefer": "respond-async"}), "import job")
    card_report = _ok(stack.call("POST", f"{API}/public/grids/{A1}/reports", None, {"description": "矩阵：扫码反映路灯不亮"},
                                 headers={"X-Forwarded-For": f"10.78.{uuid.uuid4().int % 250}.1"}), "card report")
    campaign = call("POST", f"{API}/campaigns", {"title": "矩阵专项任务", "scope": A1})
    closing = call("POST", f"{API}/campaigns", {"title": "矩阵待结束任务", "scope": A1})
    wishes = _wishes(stack, call, household, worker, next(c.token for c in callers if c.label == "grid_worker@A"))

    def party_member(name):
        return call("POST", f"{API}/staff", {"name": name, "id_number": fresh_id_number(), "party_member": True})["id"]
    secretary, party_joiner, party_leaver, in_service, newcomer = (party_member(f"矩阵党员{n}") for n in range(5))
    branch = call("POST", f"{API}/party/branches", {"name": "矩阵网格党支部", "grid_code": A1,
                                                   "secretary_id": secretary})
    call("POST", f"{API}/party/branches/{branch['id']}/members", {"person_id": party_leaver})
    registration = call("POST", f"{API}/party/registrations", {"person_id": in_service, "employer_code": department,
                                                                "community_code": COMMUNITY_A})
    service_day = call("POST", f"{API}/party/service-days", {"grid_code": A1, "day": shanghai_date().isoformat(),
                                                              "activity": "矩阵服务日"})
    party_home = call("POST", f"{API}/households", {"place_code": place["code"], "address": "103室"})
    call("POST", f"{API}/party/members/{secretary}/households", {"household_id": party_home["id"]})
    carried_home = call("POST", f"{API}/households", {"place_code": place["code"], "address": "104室"})
    call("POST", f"{API}/party/members/{worker}/households", {"household_id": carried_home["id"]})  # a member
    reward = f"R{uuid.uuid4().hex[:6]}"
    call("POST", f"{API}/points/rewards", {"code": reward, "name": "矩阵奖品", "cost": 1})
    call("POST", f"{API}/points/earn", {"person_id": worker, "points": 5, "activity": "矩阵志愿服务"})
    plan_document = call("GET", f"{API}/scoring/plans/dianbai-indicators")["items"][-1]["document"]
    plan_document = dict(plan_document, code=f"mx-{uuid.uuid4().hex[:8]}")
    assessment = _assessment_when_scoring_has_the_posts(stack, admin)
    flag_confirmed, flag_raised = _flags(stack, worker)
    return {
        "flag_confirmed": flag_confirmed, "flag_raised": flag_raised,
        "callers": callers, "login": login, "worker": worker, "plan_document": plan_document,
        "fresh_account": fresh_account, "fresh_key": fresh_key, "fresh_webhook": fresh_webhook,
        "assessment": assessment, "colleague_post": colleague_post, "unposted": unposted,
        "place": place, "other_place": other_place, "household": household, "moving": moving,
        "resident": resident, "ticket": ticket, "acted": acted, "broadcast": broadcast, "reward": reward,
        "sentiment": sentiment, "campaign": campaign, "closing": closing, "organisation": organisation,
        "signup": signup, "rejected_signup": rejected_signup, "wishes": wishes, "card_report": card_report, "job": job,
        "branch": branch, "party_joiner": party_joiner, "party_leaver": party_leaver, "secretary": secretary,
        "registration": registration, "service_day": service_day, "newcomer": newcomer, "party_home": party_home,
        "carried_home": carried_home,
        "department": department, "a1_point": (a1_point.x, a1_point.y), "quarters": quarters,
    }


def _wishes(stack, call, household, worker, worker_token):
    """Small wishes of a resident of A1's household, one at each step a route takes it
    from: the grid worker, a party member, claims them (the matrix's resident caller is
    no poster; the world's resident stays without an account, for a sign-up to link)."""
    resident = call("POST", f"{API}/residents", {"name": "甲一心愿居民", "id_number": fresh_id_number(),
                                                 "household_id": household["id"]})
    username = f"mx{uuid.uuid4().hex[:10]}"
    call("POST", f"{API}/accounts", {"username": username, "display_name": "矩阵心愿居民", "password": PASSWORD,
                                     "roles": ["resident"], "resident_id": resident["id"]})
    poster = stack.login(username, PASSWORD)
    call("PATCH", f"{API}/staff/{worker}", {"party_member": True})

    def wish(*steps):
        made = call("POST", f"{API}/wishes", {"title": "矩阵微心愿", "description": "想借一辆轮椅",
                                              "category": "goods"}, poster)
        for step, body, token in steps:
            call("POST", f"{API}/wishes/{made['id']}/{step}", body, token)
        return made

    approved, claimed = ("approve", None, stack.login()), ("claim", None, worker_token)
    fulfilled = ("fulfil", {"note": "矩阵：轮椅已送到"}, worker_token)
    return {"to_approve": wish(), "to_reject": wish(), "to_withdraw": wish(), "open": wish(approved),
            "shown": wish(approved), "claimed": wish(approved, claimed),
            "fulfilled": wish(approved, claimed, fulfilled)}


def _assessment_when_scoring_has_the_posts(stack, admin):
    """A draft assessment of A1 for 2026-Q3, once scoring's facts hold the posts made above."""
    def ran():
        response = stack.call("POST", f"{API}/assessments", admin,
                              {"plan": "dianbai-indicators", "period": "2026-Q3", "scope": A1})
        return response.json() if response.status_code == 201 else None
    assessment = stack.wait_for(ran, timeout=30, interval=0.5)
    assert assessment, "scoring never saw A1's posts"
    return assessment


def _flags(stack, person):
    """Two integrity flags on the worker's record in A1, as a scan stores them: one an
    auditor confirmed (the worker reads it), one raised and waiting for review."""
    ids = []
    for status in ("confirmed", "raised"):
        flag_id = str(uuid.uuid4())
        stack.db_execute("scoring", """
            INSERT INTO integrity_flags (id, pattern, person_id, grid_code, period, fingerprint, status, evidence,
                                         figures, raised_at, deduction)
            VALUES (:id, 'self_dealing', :person, :grid, '2026-07', :fingerprint, :status, :evidence, :figures,
                    :raised_at, :deduction)""", id=flag_id, person=person, grid=A1, fingerprint=uuid.uuid4().hex,
                         status=status, evidence=[{"kind": "ticket", "id": "t-matrix", "at": "2026-07-01T01:00:00+00:00"}],
                         figures={"tickets": 6}, raised_at=dt.datetime(2026, 7, 31, 12, tzinfo=dt.timezone.utc),
                         deduction=3.0 if status == "confirmed" else 0.0)
        ids.append(flag_id)
    return ids


def _roster(w):
    row = f"矩阵导入,,{fresh_id_number()},,,是,{A1},志愿者,2026-02-01"
    return {"data": f"{ROSTER_HEADER}\n{row}\n".encode("utf-8"), "content_type": "text/csv"}


# route name -> (world) -> request parts: path (values), query, body, or data + content_type
EXAMPLES = {
    "login": lambda w: {"body": {"username": w["login"], "password": PASSWORD}},
    "me": lambda w: {},
    "change_password": lambda w: {"body": {"username": w["fresh_account"]()[0], "current_password": PASSWORD,
                                           "new_password": "Xinmima-2026x"}},
    "sign_out": lambda w: {"signs_out": True},   # the caller signs in again after it
    "disable_account": lambda w: {"path": {"account_id": w["fresh_account"]()[1]}, "body": {"reason": "矩阵停用"}},
    "enable_account": lambda w: {"path": {"account_id": w["fresh_account"]()[1]}},
    "reset_password": lambda w: {"path": {"account_id": w["fresh_account"]()[1]}},
    "unlock_account": lambda w: {"path": {"account_id": w["fresh_account"]()[1]}},
    "revoke_account_tokens": lambda w: {"path": {"account_id": w["fresh_account"]()[1]}},
    "account_events": lambda w: {"path": {"account_id": w["fresh_account"]()[1]}},
    "create_api_key": lambda w: {"body": {"department_code": w["department"], "name": "矩阵新系统"}},
    "list_api_keys": lambda w: {"query": {"department_code": w["department"]}},
    "rotate_api_key": lambda w: {"path": {"key_id": w["fresh_key"]()}},
    "subscribe_webhook": lambda w: {"body": {"url": "https://hooks.example.org/matrix", "events": ["sla_breached"],
                                             "department_code": w["department"]}},
    "list_webhooks": lambda w: {},
    "get_job": lambda w: {"path": {"job_id": w["job"]["id"]}},
    "deactivate_webhook": lambda w: {"path": {"subscription_id": w["fresh_webhook"]()}},
    "webhook_deliveries": lambda w: {"path": {"subscription_id": w["fresh_webhook"]()}},
    "replay_webhook_delivery": lambda w: {"path": {"delivery_id": str(uuid.uuid4())}},
    "revoke_api_key": lambda w: {"path": {"key_id": w["fresh_key"]()}},
    "list_accounts": lambda w: {},
    "create_account": lambda w: {"body": {"username": f"mx{uuid.uuid4().hex[:10]}", "display_name": "矩阵新账号",
                                          "password": PASSWORD, "roles": ["resident"]}},
    "list_grids": lambda w: {"query": {"parent": COMMUNITY_A}},
    "locate": lambda w: {"query": {"lon": w["a1_point"][0], "lat": w["a1_point"][1]}},
    "export_grids": lambda w: {"query": {"root": A1}},
    "create_grid": lambda w: {"body": {"name": "矩阵新网格", "parent_code": COMMUNITY_B}},
    "import_grids": lambda w: {"body": {"type": "FeatureCollection", "features": [
        _feature(f"{COUNTY}00{n}", "矩阵", box(X + 0.05 + n * 0.01, Y, X + 0.055 + n * 0.01, Y + 0.005), COUNTY)
        for n in (3,)]}},
    "merge_grids": lambda w: {"body": {"codes": [A2, A3], "name": "甲合并网格"}},
    "get_grid": lambda w: {"path": {"code": A1}},
    "split_grid": lambda w: {"path": {"code": A4}, "body": {"parts": [
        {"name": "西", "geometry": mapping(box(*_halves(w["quarters"][3])[0]))},
        {"name": "东", "geometry": mapping(box(*_halves(w["quarters"][3])[1]))}]}},
    "grid_history": lambda w: {"path": {"code": A1}},
    "grid_summary": lambda w: {"path": {"code": A1}},
    "grid_coverage": lambda w: {"path": {"code": A1}},
    "grid_sizing": lambda w: {"path": {"code": A1}},
    "grid_overview": lambda w: {"path": {"code": A1}},
    "grid_measures": lambda w: {"path": {"code": A1}, "query": {"measure": "open_tickets", "level": "leaf"}},
    "grid_shapes": lambda w: {"path": {"code": A1}, "query": {"zoom": 15}},
    "portal_home": lambda w: {},
    "portal_home_bare": lambda w: {},
    "portal_index": lambda w: {},
    "portal_config": lambda w: {},
    "portal_file": lambda w: {"path": {"name": "manifest.webmanifest"}},
    "portal_asset": lambda w: {"path": {"name": "nothing-here.js"}},
    "add_place": lambda w: {"body": {"type": "shop", "name": "甲一商铺", "lon": w["a1_point"][0] - 0.001,
                                     "lat": w["a1_point"][1]}},
    "list_places": lambda w: {"query": {"root": A1}},
    "edit_grid_card": lambda w: {"path": {"code": A1}, "body": {"duty_phone": "0512-65123456",
                                                              "service_hours": "工作日 8:30-17:30"}},
    "public_grid_card": lambda w: {"path": {"code": A1}},
    "public_grid_qr_svg": lambda w: {"path": {"code": A1}},
    "public_grid_qr_png": lambda w: {"path": {"code": A1}},
    "public_grid_card_page": lambda w: {"path": {"code": A1}},
    "public_grid_report_form": lambda w: {"path": {"code": A1}},
    # each caller's from 127.0.0.1: past CARD_REPORTS_PER_HOUR a 429, which is no refusal by role
    "public_grid_report_form_send": lambda w: {"path": {"code": A1}, "data": {"description": "矩阵：表单反映井盖缺失"},
                                               "content_type": "application/x-www-form-urlencoded"},
    "public_card_report": lambda w: {"path": {"code": A1}, "body": {"description": "矩阵：扫码反映井盖缺失"}},
    "public_card_report_progress": lambda w: {"path": {"tracking_code": w["card_report"]["tracking_code"]}},
    "public_track_page": lambda w: {"query": {"code": w["card_report"]["tracking_code"]}},
    "public_sign_up": lambda w: {"body": {"username": f"su{uuid.uuid4().hex[:10]}", "password": PASSWORD,
                                          "name": "矩阵居民", "phone": "13900001111", "address": "甲一1号楼101室",
                                          "grid_code": A1}},
    "list_signups": lambda w: {"query": {"root": A1}},
    "approve_signup": lambda w: {"path": {"signup_id": w["signup"]["id"]}, "body": {"resident_id": w["resident"]["id"]}},
    "reject_signup": lambda w: {"path": {"signup_id": w["rejected_signup"]["id"]}, "body": {"reason": "信息不实"}},
    "mark_group_rental": lambda w: {"path": {"code": w["other_place"]["code"]}, "body": {"group_rental": True}},
    "create_person": lambda w: {"body": {"name": "矩阵新人", "id_number": fresh_id_number()}},
    "import_roster": _roster,
    "get_person": lambda w: {"path": {"person_id": w["worker"]}},
    "edit_person": lambda w: {"path": {"person_id": w["worker"]}, "body": {"party_member": True}},
    "person_changes": lambda w: {"path": {"person_id": w["worker"]}},
    "person_eligibility": lambda w: {"path": {"person_id": w["worker"]}},
    "assign_person": lambda w: {"path": {"person_id": w["unposted"]},
                                "body": {"grid_code": A1, "role": "volunteer", "start_date": "2026-03-01"}},
    "end_assignment": lambda w: {"path": {"assignment_id": w["colleague_post"]}, "body": {"end_date": "2026-12-31"}},
    "list_assignments": lambda w: {"query": {"root": A1}},
    "staffing_gaps": lambda w: {"query": {"root": A1}},
    "create_department": lambda w: {"body": {"code": f"mx{uuid.uuid4().hex[:6]}", "name": "矩阵部门",
                                             "kind": "functional_department"}},
    "list_departments": lambda w: {},
    "register_household": lambda w: {"body": {"place_code": w["place"]["code"], "address": "201室"}},
    "move_household": lambda w: {"path": {"household_id": w["moving"]["id"]},
                                 "body": {"place_code": w["other_place"]["code"]}},
    "list_households": lambda w: {"query": {"root": A1}},
    "register_resident": lambda w: {"body": {"name": "矩阵居民", "id_number": fresh_id_number(),
                                             "household_id": w["household"]["id"]}},
    "list_residents": lambda w: {"query": {"root": A1}},
    "search_residents": lambda w: {"body": {"root": A1, "household_id": w["household"]["id"]}},
    "get_resident": lambda w: {"path": {"resident_id": w["resident"]["id"]}},
    "log_patrol": lambda w: {"body": {"person_id": w["worker"], "client_id": f"mx-{uuid.uuid4().hex[:8]}",
                                      "lon": w["a1_point"][0], "lat": w["a1_point"][1]}},
    "list_patrols": lambda w: {"query": {"root": A1}},
    "list_visits": lambda w: {"query": {"root": A1}},
    "coverage_targets": lambda w: {},
    # the shipped default again: the platform's targets end as they started
    "save_coverage_targets": lambda w: {"body": json.loads(DEFAULT_TARGETS.read_text(encoding="utf-8"))},
    "coverage_report": lambda w: {"query": {"root": A1, "period": "2026-Q3"}},
    "follow_ups_overdue": lambda w: {"query": {"root": A1}},
    "register_organisation": lambda w: {"body": {"kind": "social_organisation", "name": "矩阵志愿者协会",
                                                 "grid_code": A1}},
    "list_organisations": lambda w: {"query": {"root": A1}},
    "get_organisation": lambda w: {"path": {"organisation_id": w["organisation"]["id"]}},
    "edit_organisation": lambda w: {"path": {"organisation_id": w["organisation"]["id"]}, "body": {"employees": 12}},
    "launch_campaign": lambda w: {"body": {"title": "矩阵新任务", "scope": A1}},
    "list_campaigns": lambda w: {"query": {"root": A1}},
    "get_campaign": lambda w: {"path": {"campaign_id": w["campaign"]["id"]}},
    "campaign_households": lambda w: {"path": {"campaign_id": w["campaign"]["id"]}, "query": {"status": "pending"}},
    "tick_campaign": lambda w: {"path": {"campaign_id": w["campaign"]["id"]},
                                "body": {"household_id": w["household"]["id"], "note": "已安装"}},
    "close_campaign": lambda w: {"path": {"campaign_id": w["closing"]["id"]}},
    "post_wish": lambda w: {"body": {"title": "矩阵心愿", "description": "帮忙填一张表", "category": "paperwork"}},
    "list_wishes": lambda w: {"query": {"root": A1}},
    "wish_summary": lambda w: {"query": {"root": A1}},
    "get_wish": lambda w: {"path": {"wish_id": w["wishes"]["shown"]["id"]}},
    "approve_wish": lambda w: {"path": {"wish_id": w["wishes"]["to_approve"]["id"]}},
    "reject_wish": lambda w: {"path": {"wish_id": w["wishes"]["to_reject"]["id"]},
                              "body": {"reason": "矩阵：请到社区服务站当面办理"}},
    # the grid worker, a party member, claims it; staff who are neither are 403 NOT_A_VOLUNTEER
    "claim_wish": lambda w: {"path": {"wish_id": w["wishes"]["open"]["id"]}},
    "fulfil_wish": lambda w: {"path": {"wish_id": w["wishes"]["claimed"]["id"]}, "body": {"note": "矩阵：已办好"}},
    # the poster's own routes: the matrix's resident caller posted none of them (404)
    "confirm_wish": lambda w: {"path": {"wish_id": w["wishes"]["fulfilled"]["id"]}},
    "withdraw_wish": lambda w: {"path": {"wish_id": w["wishes"]["to_withdraw"]["id"]}},
    "found_branch": lambda w: {"body": {"kind": "group", "name": "矩阵党小组", "grid_code": A1,
                                        "secretary_id": w["secretary"]}},
    "list_branches": lambda w: {"query": {"root": A1}},
    "get_branch": lambda w: {"path": {"branch_id": w["branch"]["id"]}},
    "add_branch_member": lambda w: {"path": {"branch_id": w["branch"]["id"]}, "body": {"person_id": w["party_joiner"]}},
    "leave_branch": lambda w: {"path": {"branch_id": w["branch"]["id"], "person_id": w["party_leaver"]}},
    "party_coverage": lambda w: {"query": {"root": A1}},
    "register_party_member": lambda w: {"body": {"person_id": w["newcomer"], "employer_code": w["department"],
                                                 "community_code": COMMUNITY_A}},
    "list_registrations": lambda w: {"query": {"root": A1}},
    "log_party_service": lambda w: {"path": {"registration_id": w["registration"]["id"]},
                                    "body": {"activity": "矩阵入户走访", "hours": 1.5, "households": 2,
                                             "day": shanghai_date().isoformat()}},
    "party_service_report": lambda w: {"path": {"registration_id": w["registration"]["id"]}},
    "hold_service_day": lambda w: {"body": {"grid_code": A2, "day": shanghai_date().isoformat(),
                                            "activity": "矩阵新服务日"}},
    "sign_in_service_day": lambda w: {"path": {"service_day_id": w["service_day"]["id"]},
                                      "body": {"person_id": w["party_joiner"]}},
    "list_service_days": lambda w: {"query": {"root": A1}},
    "link_party_household": lambda w: {"path": {"person_id": w["secretary"]},
                                       "body": {"household_id": w["household"]["id"]}},
    "unlink_party_household": lambda w: {"path": {"person_id": w["secretary"],
                                                  "household_id": w["party_home"]["id"]}},
    "party_households": lambda w: {"path": {"person_id": w["secretary"]}},
    # the worker, a party member linked to the household, carries it up; anyone else is 403 NOT_THE_MEMBER
    "carry_up_problem": lambda w: {"path": {"person_id": w["worker"], "household_id": w["carried_home"]["id"]},
                                   "body": {"category": "UM02", "description": "矩阵：中心户楼道灯坏了"}},
    "party_household_tickets": lambda w: {"path": {"person_id": w["worker"]}, "query": {"status": "open"}},
    "log_visit": lambda w: {"body": {"person_id": w["worker"], "household_id": w["household"]["id"],
                                     "client_id": f"mx-{uuid.uuid4().hex[:8]}", "notes": "入户走访"}},
    "sentiment_catalogue": lambda w: {},
    "record_sentiment": lambda w: {"body": {"person_id": w["worker"], "client_id": f"mx-{uuid.uuid4().hex[:8]}",
                                            "grid_code": A1, "category": "suggestion", "source": "meeting",
                                            "content": "矩阵：建议增设健身器材"}},
    "list_sentiments": lambda w: {"query": {"root": A1}},
    "get_sentiment": lambda w: {"path": {"sentiment_id": w["sentiment"]["id"]}},
    "follow_up_sentiment": lambda w: {"path": {"sentiment_id": w["sentiment"]["id"]},
                                      "body": {"client_id": f"mx-{uuid.uuid4().hex[:8]}", "note": "矩阵：已回访"}},
    # the first caller let in reports it; the others are answered its ticket (200)
    "ticket_sentiment": lambda w: {"path": {"sentiment_id": w["sentiment"]["id"]}, "body": {}},
    "send_broadcast": lambda w: {"body": {"title": "矩阵", "body": "通知", "scope_grid": A1}},
    "broadcast_read_rate": lambda w: {"path": {"broadcast_id": w["broadcast"]["id"]}},
    "send_notice": lambda w: {"body": {"title": "矩阵居民通知", "body": "本周六停水", "scope_grid": A1}},
    "notice_read_rate": lambda w: {"path": {"broadcast_id": w["broadcast"]["id"]}},
    "inbox": lambda w: {},
    "mark_read": lambda w: {"path": {"broadcast_id": w["broadcast"]["id"]}},
    "earn_points": lambda w: {"body": {"person_id": w["worker"], "points": 1, "activity": "清扫楼道"}},
    "redeem_points": lambda w: {"body": {"person_id": w["worker"], "reward_code": w["reward"]}},
    "add_reward": lambda w: {"body": {"code": f"R{uuid.uuid4().hex[:6]}", "name": "矩阵奖品", "cost": 2}},
    "points_statement": lambda w: {"path": {"person_id": w["worker"]}},
    "ticket_categories": lambda w: {},
    "report_ticket": lambda w: {"body": {"category": "UM02", "grid_code": A1, "description": "矩阵：路灯不亮"}},
    "list_tickets": lambda w: {"query": {"root": A1}},
    "ticket_statistics": lambda w: {"query": {"root": A1}},
    "export_ticket_statistics": lambda w: {"query": {"root": A1, "format": "csv"}},
    "export_tickets": lambda w: {"query": {"root": A1, "lang": "en"}},
    "get_ticket": lambda w: {"path": {"ticket_id": w["ticket"]["id"]}},
    "act_on_ticket": lambda w: {"path": {"ticket_id": w["acted"]["id"]}, "body": {"action": "accept", "version": 1}},
    "ticket_history": lambda w: {"path": {"ticket_id": w["ticket"]["id"]}},
    "verify_ticket": lambda w: {"path": {"ticket_id": w["ticket"]["number"]}},
    "tickets_reported": lambda w: {"query": {"root": A1}},
    "list_plans": lambda w: {},
    "plan_versions": lambda w: {"path": {"code": "dianbai-indicators"}},
    "save_plan": lambda w: {"body": w["plan_document"]},
    "enter_self_assessment": lambda w: {"body": {"month": "2026-07", "grid_code": A1, "items": [
        {"name": "民情日志", "points": 9, "max_points": 10}]}},
    "enter_street_items": lambda w: {"body": {"period": "2026-Q3", "subject_id": w["worker"], "items": [
        {"name": "街道检查", "points": 8, "max_points": 10}]}},
    "rate": lambda w: {"body": {"period": "2026-Q3", "kind": "village", "subject_person_id": w["worker"],
                                "score": 4}},
    "run_assessment": lambda w: {"body": {"plan": "dianbai-indicators", "period": "2026-Q3", "scope": A1}},
    "list_assessments": lambda w: {"query": {"scope": A1}},
    "get_assessment": lambda w: {"path": {"assessment_id": w["assessment"]["id"]}},
    "publish_assessment": lambda w: {"path": {"assessment_id": w["assessment"]["id"]}},
    "correct_assessment": lambda w: {"path": {"assessment_id": w["assessment"]["id"]},
                                     "body": {"reason": "矩阵更正"}},
    "assessment_results": lambda w: {"path": {"assessment_id": w["assessment"]["id"]}},
    "result_refs": lambda w: {"path": {"assessment_id": w["assessment"]["id"]}, "query": {"subject": w["worker"]}},
    "export_assessment": lambda w: {"path": {"assessment_id": w["assessment"]["id"]}, "query": {"format": "csv"}},
    "ranking": lambda w: {"query": {"plan": "dianbai-indicators", "period": "2026-Q3", "scope": A1}},
    "consequences": lambda w: {"query": {"plan": "dianbai-indicators", "year": 2026, "scope": A1}},
    "integrity_thresholds": lambda w: {},
    "save_integrity_thresholds": lambda w: {"body": {"deductions": {"cap_per_period": 15}}},
    "scan_integrity": lambda w: {"body": {"scope": A1, "period": "2026-07"}},
    "list_flags": lambda w: {"query": {"root": A1}},
    "get_flag": lambda w: {"path": {"flag_id": w["flag_confirmed"]}},
    "review_flag": lambda w: {"path": {"flag_id": w["flag_raised"]}, "body": {"decision": "dismiss",
                                                                              "note": "矩阵审核：记录属实"}},
    # Open311: reads are public; a department posts a form as civic apps do (here with its account's token)
    "open311_discovery": lambda w: {"path": {"format": "json"}},
    "open311_services": lambda w: {"path": {"format": "xml"}, "query": {"jurisdiction_id": COUNTY}},
    "open311_service_definition": lambda w: {"path": {"service_code": "UM02", "format": "json"}},
    "open311_requests": lambda w: {"path": {"format": "json"}, "query": {"service_code": "UM02", "status": "open"}},
    "open311_post_request": lambda w: {"path": {"format": "json"}, "content_type": "application/x-www-form-urlencoded",
                                       "data": {"jurisdiction_id": COUNTY, "service_code": "UM02",
                                                "lat": w["a1_point"][1], "long": w["a1_point"][0],
                                                "description": "矩阵：Open311 报来楼道堆物"}},
    "open311_request": lambda w: {"path": {"service_request_id": w["ticket"]["number"], "format": "xml"}},
    "open311_token": lambda w: {"path": {"token": w["ticket"]["id"], "format": "json"}},
    "openapi_document": lambda w: {},
    "docs_page": lambda w: {},
    "docs_asset": lambda w: {"path": {"name": "swagger-ui.css"}},
    "healthz": lambda w: {},
    "prometheus_metrics": lambda w: {},
}


def _halves(quarter):
    x0, y0, x1, y1 = quarter.bounds
    middle = (x0 + x1) / 2
    return (x0, y0, middle, y1), (middle, y0, x1, y1)


def test_every_route_has_an_example():
    assert sorted(set(route.name for route in ROUTES) - set(EXAMPLES)) == []
    assert sorted(set(EXAMPLES) - set(route.name for route in ROUTES)) == []


def expected(route, caller, example):
    """'allowed', or (status, code) as the route table documents it for this caller."""
    if route.public:
        return "allowed"
    if caller.role is None:
        return (401, "AUTH_REQUIRED")
    is_self = route.self_param and caller.person_id and example.get("path", {}).get(route.self_param) == \
        caller.person_id
    if caller.role not in route.roles and not is_self:
        return (403, "ROLE_FORBIDDEN")
    if caller.position in ("district", "inside") or route.scope.kind == "none" or is_self:
        return "allowed"
    if caller.position == "unscoped" and route.scope.unscoped_anywhere:
        return "allowed"
    return route.scope.outside_answer


def _send(stack, route, caller, example):
    path = route.full_path
    for name, value in example.get("path", {}).items():
        path = path.replace("{" + name + "}", str(value))
    headers = {"Authorization": f"Bearer {caller.token}"} if caller.token else {}
    if "data" in example:
        headers["Content-Type"] = example["content_type"]
        return requests.request(route.method, stack.gateway + path, params=example.get("query"),
                                data=example["data"], headers=headers, timeout=30, allow_redirects=False)
    # a redirect is the route's own answer (/ leads to /portal/), not the page it leads to
    return requests.request(route.method, stack.gateway + path, params=example.get("query"),
                            json=example.get("body"), headers=headers, timeout=30, allow_redirects=False)


REFUSALS = ("AUTH_REQUIRED", "INVALID_TOKEN", "TOKEN_EXPIRED", "ROLE_FORBIDDEN", "OUT_OF_SCOPE")


class SchemaCheck:
    """A 2xx answer against the route's documented schema (refs inlined)."""

    def __init__(self):
        self.document = build(ROUTES)

    def _inline(self, schema):
        if isinstance(schema, dict):
            if "$ref" in schema:
                return self._inline(self.document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]])
            return {key: self._inline(value) for key, value in schema.items()}
        if isinstance(schema, list):
            return [self._inline(item) for item in schema]
        return schema

    def errors(self, route, response):
        answer = self.document["paths"][route.full_path][route.method.lower()]["responses"].get(
            str(response.status_code))
        if answer is None:
            return [f"status {response.status_code} is not documented"]
        content = answer.get("content", {}).get("application/json")
        if content is None or not response.headers.get("Content-Type", "").startswith("application/json"):
            return []
        validator = OAS30Validator(self._inline(content["schema"]))
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(response.json())]


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_each_route_answers_each_role_as_documented(stack, world, route):
    checker = SchemaCheck()
    wrong = Findings()
    for caller in world["callers"]:
        example = EXAMPLES[route.name](world)
        want = expected(route, caller, example)
        response = _send(stack, route, caller, example)
        if example.get("signs_out") and caller.token:
            caller.token = caller.relogin()
        body = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
        if isinstance(body, list) and body and isinstance(body[0], dict) and set(body[0]) == {"code", "description"}:
            code, _, message = body[0]["description"].partition(": ")  # Open311's errors: "CODE: message"
            body = {"error": code, "message": message}
        code = body.get("error") if isinstance(body, dict) else None
        got = f"{response.status_code} {code or ''}".strip()
        if response.status_code >= 500:
            wrong.add(caller, f"{got} {response.text[:200]}")
        elif want == "allowed":
            refused = code in REFUSALS or (route.scope.hidden and response.status_code == 404)
            if refused:
                wrong.add(caller, f"expected to be let in, got {got}: {body.get('message')}")
        elif (response.status_code, code if want[1] else None) != want:
            wrong.add(caller, f"expected {want}, got {got}: {body.get('message') if body else ''}")
        if response.status_code < 300:
            for error in checker.errors(route, response):
                wrong.add(caller, f"schema: {error}")
    assert not wrong.found, f"{route.method} {route.full_path}:\n{wrong}"


class Findings:
    """What went wrong, each once, with the callers it went wrong for."""

    def __init__(self):
        self.found = {}

    def add(self, caller, text):
        self.found.setdefault(text, []).append(caller.label)

    def __str__(self):
        return "\n".join(f"  {text}  [{', '.join(callers)}]" for text, callers in self.found.items())


def test_the_callers_hold_every_role_and_both_positions(world):
    callers = world["callers"]
    assert {caller.role for caller in callers} == set(ROLES) | {None}
    for role in GRID_SCOPED:
        assert {c.position for c in callers if c.role == role} == {"inside", "outside"}
    assert {c.position for c in callers if c.role in DISTRICT_WIDE} == {"district"}
    assert {c.position for c in callers if c.role in UNSCOPED} == {"unscoped"}
