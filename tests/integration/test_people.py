"""People through the gateway: staff, assignments, the staffing standard, residents
with protected personal data."""
import uuid

from idnumbers import fresh_id_number as id_number
from shapely.geometry import shape

API = "/api/v1"


def test_staff_assignments_and_the_staffing_standard(stack):
    token = stack.login()
    grid = "320508019045001"
    before = stack.call("GET", f"{API}/staffing/gaps?root=320508019045", token).json()
    gap = next(g for g in before["gaps"] if g["code"] == grid)
    assert gap["missing"] == {"grid_chief": 1, "grid_police": 1, "full_time_worker": 1, "part_time_worker": 2}
    people = []
    for name, role in [("周建华", "grid_chief"), ("吴警官", "grid_police"), ("郑丽", "full_time_worker"),
                       ("王芳", "part_time_worker"), ("冯涛", "part_time_worker")]:
        person = stack.call("POST", f"{API}/staff", token, {"name": name, "phone": "13800138000",
                                                            "id_number": id_number()})
        assert person.status_code == 201, person.text
        body = person.json()
        assert body["phone"] == "138****8000" and "*" in body["id_number"]
        assigned = stack.call("POST", f"{API}/staff/{body['id']}/assignments", token,
                              {"grid_code": grid, "role": role, "start_date": "2026-01-01"})
        assert assigned.status_code == 201, assigned.text
        people.append((body["id"], assigned.json()["id"]))
    after = stack.call("GET", f"{API}/staffing/gaps?root=320508019045", token).json()
    assert grid not in [g["code"] for g in after["gaps"]]
    assert after["by_community"]["320508019045"]["grids"] == 2

    duplicate = stack.call("POST", f"{API}/staff/{people[0][0]}/assignments", token,
                           {"grid_code": grid, "role": "grid_chief", "start_date": "2026-06-01"})
    assert duplicate.status_code == 409 and duplicate.json()["error"] == "OVERLAPPING_ASSIGNMENT"
    nowhere = stack.call("POST", f"{API}/staff/{people[0][0]}/assignments", token,
                         {"grid_code": "320508019045999", "role": "grid_chief"})
    assert nowhere.status_code == 400 and nowhere.json()["error"] == "UNKNOWN_GRID"
    bad_role = stack.call("POST", f"{API}/staff/{people[0][0]}/assignments", token,
                          {"grid_code": grid, "role": "mayor"})
    assert bad_role.status_code == 400 and "role" in bad_role.json()["details"]["fields"]

    ended = stack.call("POST", f"{API}/assignments/{people[4][1]}/end", token, {"end_date": "2026-03-31"})
    assert ended.status_code == 200 and ended.json()["end_date"] == "2026-03-31"
    history = stack.call("GET", f"{API}/assignments?person_id={people[4][0]}", token).json()["items"]
    assert [(a["role_label"], a["end_date"]) for a in history] == [("兼职网格员", "2026-03-31")]
    again = stack.call("GET", f"{API}/staffing/gaps?root=320508019045", token).json()
    assert next(g for g in again["gaps"] if g["code"] == grid)["missing"] == {"part_time_worker": 1}


def test_recruitment_eligibility_says_why(stack):
    token = stack.login()
    old = stack.call("POST", f"{API}/staff", token, {"name": "老李", "id_number": id_number("19600101"),
                                                     "smartphone_user": False}).json()
    verdict = stack.call("GET", f"{API}/staff/{old['id']}/eligibility", token).json()
    assert verdict["eligible"] is False
    assert {r["rule"] for r in verdict["reasons"] if not r["passed"]} == {"max_age", "smartphone"}
    wrong = stack.call("POST", f"{API}/staff", token, {"name": "错号", "id_number": "110105194912310021"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "INVALID_ID_NUMBER"
    assert "check digit" in wrong.json()["message"]


def test_recruitment_rules_are_enforced_at_posting_with_a_district_officers_logged_override(stack):
    """Seed 003: the town recruits grid workers generally 55 or under, with a smartphone
    and no violation on record. A full-time post goes to someone who fails that only
    with a district officer's reason, which is kept; a staff record can be edited, and
    its edits (field names) are kept."""
    admin = stack.login()
    grid, community = "320508014021002", "320508014021"
    officer = stack.new_account(admin, ["community_officer"], community)
    worker = stack.new_account(admin, ["grid_worker"], grid)
    old = stack.call("POST", f"{API}/staff", admin, {"name": "老周", "id_number": id_number("19600101")}).json()
    post = {"grid_code": grid, "role": "full_time_worker", "start_date": "2026-06-01"}

    refused = stack.call("POST", f"{API}/staff/{old['id']}/assignments", officer, post)
    assert refused.status_code == 409 and refused.json()["error"] == "NOT_ELIGIBLE"
    assert refused.json()["details"]["failed"] == ["max_age"]
    not_theirs = stack.call("POST", f"{API}/staff/{old['id']}/assignments", officer,
                            {**post, "override_reason": "本村唯一熟悉情况的人选"})
    assert not_theirs.status_code == 403 and not_theirs.json()["error"] == "OVERRIDE_FORBIDDEN"
    assert stack.call("GET", f"{API}/assignments?person_id={old['id']}", admin).json()["items"] == [], "nothing stored"
    part_time = stack.call("POST", f"{API}/staff/{old['id']}/assignments", officer,
                           {**post, "role": "part_time_worker"})
    assert part_time.status_code == 201, part_time.text    # the rules cover full-time posts
    overridden = stack.call("POST", f"{API}/staff/{old['id']}/assignments", admin,
                            {**post, "override_reason": "本村唯一熟悉情况的人选，镇街报批同意"})
    assert overridden.status_code == 201, overridden.text
    changes = stack.call("GET", f"{API}/staff/{old['id']}/changes", officer).json()
    (override,) = changes["overrides"]
    assert (override["assignment_id"], override["failed"], override["by"]) == (
        overridden.json()["id"], ["max_age"], "admin")
    stored = stack.db_rows("people", "SELECT reason FROM recruitment_overrides WHERE person_id = :p", p=old["id"])
    assert stored == [{"reason": "本村唯一熟悉情况的人选，镇街报批同意"}]
    needless = stack.call("POST", f"{API}/staff/{old['id']}/assignments", admin,
                          {**post, "role": "grid_chief", "override_reason": "不需要的理由"})
    assert needless.status_code == 400 and "override_reason" in needless.json()["details"]["fields"]

    # a record edited: a violation on record refuses the next full-time post
    young = stack.call("POST", f"{API}/staff", admin, {"name": "小吴", "id_number": id_number("19900101")}).json()
    ok_post = stack.call("POST", f"{API}/staff/{young['id']}/assignments", officer, {**post, "role": "grid_chief"})
    assert ok_post.status_code == 201, ok_post.text
    assert stack.call("PATCH", f"{API}/staff/{young['id']}", worker, {"violation_recorded": True}).status_code == 403
    empty = stack.call("PATCH", f"{API}/staff/{young['id']}", officer, {})
    assert empty.status_code == 400
    edited = stack.call("PATCH", f"{API}/staff/{young['id']}", officer,
                        {"violation_recorded": True, "phone": "13800001234", "party_member": False})
    assert edited.status_code == 200, edited.text
    assert edited.json()["violation_recorded"] is True and edited.json()["phone"] == "138****1234"
    (edit,) = stack.call("GET", f"{API}/staff/{young['id']}/changes", officer).json()["edits"]
    assert sorted(edit["fields"]) == ["phone", "violation_recorded"]     # party_member was already false
    again = stack.call("POST", f"{API}/staff/{young['id']}/assignments", officer, post)
    assert again.status_code == 409 and again.json()["details"]["failed"] == ["no_violation"]


def test_residents_are_protected_and_searchable(stack):
    token = stack.login()
    geometry = stack.call("GET", f"{API}/grids/320508014021001?geometry=true", token).json()["geometry"]
    point = shape(geometry).representative_point()
    place = stack.call("POST", f"{API}/places", token, {"type": "building", "name": "定慧寺巷1号楼",
                                                      "lon": point.x, "lat": point.y}).json()
    household = stack.call("POST", f"{API}/households", token, {"place_code": place["code"], "address": "1号楼101室"})
    assert household.status_code == 201, household.text
    number = id_number("19400315")
    created = stack.call("POST", f"{API}/residents", token, {
        "name": "陈阿婆", "id_number": number, "phone": "13912345678",
        "household_id": household.json()["id"], "tags": ["elderly_alone"]})
    assert created.status_code == 201, created.text
    resident = created.json()
    assert resident["id_number"] == f"{number[:6]}********{number[-4:]}" and resident["masked"] is True
    assert resident["grid_code"] == "320508014021001" and resident["tag_labels"] == {"elderly_alone": "独居老人"}

    found = stack.call("GET", f"{API}/residents", token, params={"id_number": number.lower()}).json()["items"]
    assert [r["id"] for r in found] == [resident["id"]]
    clear = stack.call("GET", f"{API}/residents/{resident['id']}?reveal=true", token).json()
    assert clear["id_number"] == number and clear["phone"] == "13912345678" and clear["masked"] is False
    log = stack.db_rows("people", "SELECT viewer_username, subject_id FROM pii_access_log WHERE subject_id = :id",
                        id=resident["id"])
    assert log == [{"viewer_username": "admin", "subject_id": resident["id"]}]

    stored = repr(stack.db_rows("people", "SELECT * FROM residents WHERE id = :id", id=resident["id"]))
    assert resident["id"] in stored  # the row is there ...
    events = repr(stack.db_rows("people", "SELECT payload FROM outbox_events"))
    for dump in (stored, events):  # ... but neither it nor any event holds the numbers in clear
        assert number not in dump and number.lower() not in dump and "13912345678" not in dump
    duplicate = stack.call("POST", f"{API}/residents", token, {"name": "重复", "id_number": number})
    assert duplicate.status_code == 409 and duplicate.json()["error"] == "DUPLICATE_ID_NUMBER"
    bad = stack.call("POST", f"{API}/residents", token, {"name": "\u3000 ", "id_number": "123", "tags": ["vip"]})
    assert bad.status_code == 400 and set(bad.json()["details"]["fields"]) == {"name", "tags"}

    username = f"w{uuid.uuid4().hex[:8]}"
    stack.call("POST", f"{API}/accounts", token, {"username": username, "display_name": "网格员",
                                                  "password": "Passw0rd-2026", "roles": ["grid_worker"],
                                                  "grid_scope": "320508014021001"})
    worker = stack.login(username, "Passw0rd-2026")
    assert stack.call("GET", f"{API}/residents/{resident['id']}", worker).json()["masked"] is True
    denied = stack.call("GET", f"{API}/residents/{resident['id']}?reveal=true", worker)
    assert denied.status_code == 403 and denied.json()["error"] == "CLEAR_PERSONAL_DATA_FORBIDDEN"

    def counted():
        events = stack.call("GET", f"{API}/grids/320508014021001/summary", token).json()["from_events"]
        return events.get("households_registered", 0) >= 1 and events.get("residents_registered", 0) >= 1
    assert stack.wait_for(counted)


def test_departments_and_household_moves(stack):
    token = stack.login()
    liaison = stack.call("POST", f"{API}/staff", token, {"name": "城管联络员", "birth_date": "1988-06-01"}).json()
    code = f"cgj-{uuid.uuid4().hex[:6]}"
    department = stack.call("POST", f"{API}/departments", token, {
        "code": code, "name": "区城市管理局", "kind": "functional_department", "liaison_ids": [liaison["id"]]})
    assert department.status_code == 201, department.text
    listed = stack.call("GET", f"{API}/departments?kind=functional_department", token).json()["items"]
    assert {"code": code, "name": "区城市管理局", "liaison_ids": [liaison["id"]]}.items() <= next(
        d for d in listed if d["code"] == code).items()
    assert stack.call("POST", f"{API}/departments", token, {"code": "x1", "name": "坏", "kind": "bank"}).status_code == 400
    nobody = stack.call("POST", f"{API}/departments", token, {"code": "x2", "name": "无人", "kind": "town",
                                                             "liaison_ids": ["missing"]})
    assert nobody.status_code == 404

    def place(grid):
        geometry = stack.call("GET", f"{API}/grids/{grid}?geometry=true", token).json()["geometry"]
        p = shape(geometry).representative_point()
        return stack.call("POST", f"{API}/places", token, {"type": "building", "name": f"{grid}楼",
                                                          "lon": p.x, "lat": p.y}).json()["code"]

    household = stack.call("POST", f"{API}/households", token, {"place_code": place("320508019044003")}).json()
    stack.call("POST", f"{API}/residents", token, {"name": "搬家户", "id_number": id_number(),
                                                  "household_id": household["id"]})
    moved = stack.call("POST", f"{API}/households/{household['id']}/move", token,
                       {"place_code": place("320508019045002")})
    assert moved.status_code == 200 and moved.json()["grid_code"] == "320508019045002"
    members = stack.call("GET", f"{API}/residents?household_id={household['id']}", token).json()["items"]
    assert [m["grid_code"] for m in members] == ["320508019045002"]

    def left():
        events = stack.call("GET", f"{API}/grids/320508019044003/summary", token).json()["from_events"]
        return events.get("households_registered") == 0 and events.get("residents_registered") == 0
    assert stack.wait_for(left)
    nowhere = stack.call("POST", f"{API}/households/{household['id']}/move", token, {"place_code": "3205080190449"})
    assert nowhere.status_code == 400 and nowhere.json()["error"] == "UNKNOWN_PLACE"


def test_a_community_changes_households_residents_and_posts_only_within_its_scope(stack):
    admin = stack.login()
    officer = stack.new_account(admin, ["community_officer"], scope="320508019044")

    def place(grid):
        geometry = stack.call("GET", f"{API}/grids/{grid}?geometry=true", admin).json()["geometry"]
        p = shape(geometry).representative_point()
        return stack.call("POST", f"{API}/places", admin, {"type": "building", "name": f"{grid}号楼",
                                                          "lon": p.x, "lat": p.y}).json()["code"]

    home, away = place("320508019044002"), place("320508014021002")
    refused = stack.call("POST", f"{API}/households", officer, {"place_code": away})
    assert refused.status_code == 403 and refused.json()["error"] == "OUT_OF_SCOPE"
    ours = stack.call("POST", f"{API}/households", officer, {"place_code": home})
    assert ours.status_code == 201, ours.text
    theirs = stack.call("POST", f"{API}/households", admin, {"place_code": away}).json()

    number = id_number("19520704")
    intruder = stack.call("POST", f"{API}/residents", officer, {"name": "外来", "id_number": number,
                                                               "household_id": theirs["id"]})
    assert intruder.status_code == 403
    assert stack.call("GET", f"{API}/residents", admin, params={"id_number": number}).json()["items"] == [], \
        "nothing stored"
    taken = stack.call("POST", f"{API}/households/{theirs['id']}/move", officer, {"place_code": home})
    assert taken.status_code == 403
    stayed = stack.call("GET", f"{API}/households?root=320508014021002", admin).json()["items"]
    assert theirs["id"] in {h["id"] for h in stayed}, "the household stayed where it was"
    moved_out = stack.call("POST", f"{API}/households/{ours.json()['id']}/move", officer, {"place_code": away})
    assert moved_out.status_code == 200 and moved_out.json()["grid_code"] == "320508014021002"

    worker = stack.call("POST", f"{API}/staff", admin, {"name": "别处网格员", "birth_date": "1988-06-01"}).json()
    post = stack.call("POST", f"{API}/staff/{worker['id']}/assignments", admin, {
        "grid_code": "320508014021002", "role": "part_time_worker", "start_date": "2026-01-01"}).json()
    ended = stack.call("POST", f"{API}/assignments/{post['id']}/end", officer, {"end_date": "2026-11-01"})
    assert ended.status_code == 403 and ended.json()["error"] == "OUT_OF_SCOPE"
    posts = stack.call("GET", f"{API}/assignments?person_id={worker['id']}", admin).json()["items"]
    assert [p["end_date"] for p in posts] == [None]


def test_staff_records_and_points_are_read_and_changed_only_within_reach(stack):
    admin = stack.login()
    person = stack.call("POST", f"{API}/staff", admin, {"name": "远处网格员", "id_number": id_number()}).json()
    stack.call("POST", f"{API}/staff/{person['id']}/assignments", admin, {
        "grid_code": "320508014021001", "role": "volunteer", "start_date": "2026-01-01"})
    officer = stack.new_account(admin, ["community_officer"], scope="320508019044")
    resident = stack.new_account(admin, ["resident"])
    himself = stack.new_account(admin, ["grid_worker"], scope="320508014021001", person_id=person["id"])
    for token, code in ((officer, "OUT_OF_SCOPE"), (resident, "ROLE_FORBIDDEN")):
        for path in (f"/staff/{person['id']}", f"/points/{person['id']}"):
            refused = stack.call("GET", f"{API}{path}", token)
            assert refused.status_code == 403 and refused.json()["error"] == code, (path, refused.text)
    assert stack.call("GET", f"{API}/staff/{person['id']}", himself).json()["name"] == "远处网格员"
    assert stack.call("GET", f"{API}/points/{person['id']}", himself).json()["balance"] == 0
    earn = {"person_id": person["id"], "points": 5, "activity": "环境整治志愿服务"}
    assert stack.call("POST", f"{API}/points/earn", officer, earn).status_code == 403
    local_chief = stack.new_account(admin, ["grid_chief"], scope="320508014021")
    assert stack.call("POST", f"{API}/points/earn", local_chief, earn).status_code == 201
    assert stack.call("GET", f"{API}/points/{person['id']}", himself).json()["balance"] == 5
    assert stack.call("GET", f"{API}/staff/no-such-person", officer).status_code == 404


def test_a_post_that_ended_gives_no_power_over_the_person(stack):
    """李娜 left 彩香 two years ago and works in 虎丘 now: 彩香's officer no longer reads
    her record, checks her eligibility, awards or reads her points, or logs her rounds."""
    admin = stack.login()
    person = stack.call("POST", f"{API}/staff", admin, {"name": "调走的网格员", "id_number": id_number()}).json()
    for grid, start, end in (("320508019044001", "2020-01-01", "2024-06-30"), ("320508014021001", "2024-07-01", None)):
        posted = stack.call("POST", f"{API}/staff/{person['id']}/assignments", admin, {
            "grid_code": grid, "role": "full_time_worker", "start_date": start, "end_date": end})
        assert posted.status_code == 201, posted.text
    old = stack.new_account(admin, ["community_officer"], scope="320508019044")
    new = stack.new_account(admin, ["community_officer"], scope="320508014021")
    earn = {"person_id": person["id"], "points": 5, "activity": "环境整治志愿服务"}
    patrol = {"person_id": person["id"], "client_id": f"left-{uuid.uuid4().hex[:6]}", "lon": 120.6, "lat": 31.3}
    for method, path, body in (("GET", f"/staff/{person['id']}", None),
                               ("GET", f"/staff/{person['id']}/eligibility", None),
                               ("GET", f"/points/{person['id']}", None),
                               ("POST", "/points/earn", earn),
                               ("POST", "/patrols", patrol)):
        refused = stack.call(method, f"{API}{path}", old, body)
        assert refused.status_code == 403 and refused.json()["error"] == "OUT_OF_SCOPE", (path, refused.text)
        assert "320508014021" not in refused.text, "where the person works now is not the old community's to learn"
        assert stack.call(method, f"{API}{path}", new, body).status_code in (200, 201), path
    assert stack.call("GET", f"{API}/points/{person['id']}", admin).json()["balance"] == 5
