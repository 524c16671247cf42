"""Integrity on the real stack: a worker who "mediates" a run of disputes within one hour
through the API gets flagged, with the evidence; an auditor confirms it; the published
assessment does not move, and its correction (a new version with its reason) carries the
deduction as a line of its own. Honest work in the same district raises nothing. Bad
input changes nothing."""
import pytest

from common.shanghai import shanghai_date
from idnumbers import fresh_id_number

API = "/api/v1"
COUNTY = "320593"  # a county and a spot no other test uses
X, Y = 124.60, 34.60
DISPUTES = ("邻居因装修噪音发生争执，经调解双方达成谅解", "楼上漏水导致楼下墙面受损，协商赔偿事宜",
            "两户因公共走廊堆放杂物产生矛盾，已劝说清理", "宠物犬夜间吠叫扰民，调解后约定管理措施",
            "停车位占用引发口角，协调物业重新划线", "空调外机滴水至邻居阳台，协商加装接水管")


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response.json()


@pytest.fixture(scope="module")
def district(stack):
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "诚信", X, Y)
    people = {}
    for name in ("造假网格员", "认真网格员"):
        person = ok(stack.call("POST", f"{API}/staff", admin, {"name": name, "id_number": fresh_id_number()}))
        ok(stack.call("POST", f"{API}/staff/{person['id']}/assignments", admin,
                      {"grid_code": grid, "role": "full_time_worker",
                       "start_date": "2026-01-01"}))
        people[name] = {"id": person["id"], "token": stack.new_account(admin, ["grid_worker"], grid,
                                                                        person_id=person["id"])}
    return {"admin": admin, "grid": grid, "people": people,
            "auditor": stack.new_account(admin, ["auditor"], COUNTY),
            "outside_auditor": stack.new_account(admin, ["auditor"], "320508"),  # the demo district
            "leader": stack.new_account(admin, ["town_leader"], COUNTY)}


def month_and_quarter():
    today = shanghai_date()
    return f"{today.year}-{today.month:02d}", f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def work_ticket(stack, token, grid, description, category="DM01"):
    ticket = ok(stack.call("POST", f"{API}/tickets", token, {"grid_code": grid, "category": category,
                                                            "description": description}), 201)
    version = ticket["version"]
    for action, payload in (("accept", {}), ("handle", {}), ("resolve", {"outcome": "fixed"})):
        acted = ok(stack.call("POST", f"{API}/tickets/{ticket['id']}/actions", token,
                              {"action": action, "version": version, **payload}))
        version = acted["ticket"]["version"]
    return ticket["id"]


def test_a_dozen_disputes_in_an_hour_is_flagged_reviewed_and_deducted_only_through_a_correction(stack, district):
    grid, faker = district["grid"], district["people"]["造假网格员"]
    month, quarter = month_and_quarter()
    worked = [work_ticket(stack, faker["token"], grid, text) for text in DISPUTES]
    work_ticket(stack, district["people"]["认真网格员"]["token"], grid, "小区东门路灯不亮，已报修并更换灯泡", "UM07")

    def facts_arrived():
        rows = stack.db_rows("scoring", "SELECT count(*) AS n FROM ticket_facts WHERE resolved_by_person_id = :p "
                                        "AND status = 'resolved'", p=faker["id"])
        return rows[0]["n"] == len(worked)
    assert stack.wait_for(facts_arrived, timeout=30), "scoring never got the resolutions"

    # the street publishes the quarter before any review
    leader = district["leader"]
    draft = ok(stack.call("POST", f"{API}/assessments", leader, {"plan": "dianbai-indicators", "period": quarter,
                                                                "scope": grid}), 201)
    published = ok(stack.call("POST", f"{API}/assessments/{draft['id']}/publish", leader))
    before = {r["subject_id"]: r for r in ok(stack.call("GET", f"{API}/assessments/{published['id']}/results",
                                                        leader))["items"]}

    scanned = ok(stack.call("POST", f"{API}/integrity/scans", district["auditor"], {"scope": grid, "period": month}))
    assert scanned["people"] == 2 and scanned["flags_new"] >= 1, scanned
    listed = ok(stack.call("GET", f"{API}/integrity/flags?root={grid}&pattern=impossible_rate",
                           district["auditor"]))["items"]
    (flag,) = listed
    assert (flag["person_id"], flag["status"], flag["period"]) == (faker["id"], "raised", month)
    assert flag["figures"], flag
    whole = ok(stack.call("GET", f"{API}/integrity/flags/{flag['id']}", district["auditor"]))
    assert {item["id"] for item in whole["evidence"]} <= set(worked) and len(whole["evidence"]) >= 5
    assert {item["text"] for item in whole["evidence"]} <= set(DISPUTES) and whole["texts_missing"] == []
    honest = district["people"]["认真网格员"]["id"]
    everything = ok(stack.call("GET", f"{API}/integrity/flags?root={grid}", district["auditor"]))["items"]
    assert honest not in {f["person_id"] for f in everything}, "honest work was flagged"

    # the worker sees nothing until it is confirmed; an auditor elsewhere cannot see or review it
    assert ok(stack.call("GET", f"{API}/integrity/flags", faker["token"]))["items"] == []
    assert stack.call("GET", f"{API}/integrity/flags/{flag['id']}", faker["token"]).status_code == 404
    assert stack.call("POST", f"{API}/integrity/flags/{flag['id']}/review", district["outside_auditor"],
                      {"decision": "confirm", "note": "越权审核"}).status_code == 404
    refused = stack.call("POST", f"{API}/integrity/flags/{flag['id']}/review", leader,
                         {"decision": "confirm", "note": "非审计角色"})
    assert refused.status_code == 403 and refused.json()["error"] == "ROLE_FORBIDDEN"
    no_note = stack.call("POST", f"{API}/integrity/flags/{flag['id']}/review", district["auditor"],
                         {"decision": "confirm"})
    assert no_note.status_code == 400 and "note" in no_note.json()["details"]["fields"]

    confirmed = ok(stack.call("POST", f"{API}/integrity/flags/{flag['id']}/review", district["auditor"],
                              {"decision": "confirm", "note": "一小时内办结多起纠纷，回访当事人均称未经调解"}))
    assert confirmed["status"] == "confirmed" and confirmed["deduction"] == 5
    assert [r["decision"] for r in confirmed["reviews"]] == ["confirm"]
    twice = stack.call("POST", f"{API}/integrity/flags/{flag['id']}/review", district["auditor"],
                       {"decision": "dismiss", "note": "再次审核"})
    assert twice.status_code == 409 and twice.json()["error"] == "FLAG_ALREADY_REVIEWED"
    mine = ok(stack.call("GET", f"{API}/integrity/flags", faker["token"]))["items"]
    assert [f["id"] for f in mine] == [flag["id"]]

    # the published version stands; the correction carries the deduction, with its reason
    again = {r["subject_id"]: r for r in ok(stack.call("GET", f"{API}/assessments/{published['id']}/results",
                                                       leader))["items"]}
    assert again[faker["id"]]["score"] == before[faker["id"]]["score"]
    corrected = ok(stack.call("POST", f"{API}/assessments/{published['id']}/corrections", leader,
                              {"reason": "审计确认数据造假，扣减分数"}), 201)
    results = {r["subject_id"]: r for r in ok(stack.call("GET", f"{API}/assessments/{corrected['id']}/results",
                                                         leader))["items"]}
    lines = {node["key"]: node for node in results[faker["id"]]["breakdown"]["children"]}
    assert [child["key"] for child in lines["integrity"]["children"]] == [flag["id"]]
    assert results[faker["id"]]["own_score"] == pytest.approx(
        max(before[faker["id"]]["own_score"] - 5, 0), abs=0.01)
    assert "integrity" not in {node["key"] for node in results[honest]["breakdown"]["children"]}


def test_bad_integrity_input_is_refused_and_changes_nothing(stack, district):
    admin, auditor = district["admin"], district["auditor"]
    before = ok(stack.call("GET", f"{API}/integrity/thresholds", admin))
    for document, field in (({"patterns": {"impossible_rate": {"thresholds": {"window_minutes": {"value": -5}}}}},
                             "patterns"),
                            ({"patterns": {"no_such_pattern": {}}}, "patterns"),
                            ({"patterns": {"implausible_movement": {"thresholds": {"speed_gap_seconds": {
                                "value": {"min": 600, "max": 60}}}}}}, "patterns")):
        refused = stack.call("POST", f"{API}/integrity/thresholds", admin, document)
        assert refused.status_code == 400, refused.text
        assert field in refused.json()["details"]["fields"], refused.text
    assert ok(stack.call("GET", f"{API}/integrity/thresholds", admin))["version"] == before["version"]
    unknown = stack.call("GET", f"{API}/integrity/flags?pattern=made_up", auditor)
    assert unknown.status_code == 400 and "pattern" in unknown.json()["details"]["fields"]
    year = stack.call("POST", f"{API}/integrity/scans", auditor, {"scope": district["grid"], "period": "2026"})
    assert year.status_code == 400 and "period" in year.json()["details"]["fields"]
    missing = stack.call("POST", f"{API}/integrity/flags/{'0' * 8}-0000-0000-0000-{'0' * 12}/review", auditor,
                         {"decision": "confirm", "note": "不存在"})
    assert missing.status_code == 404


RATER_COUNTY, RX, RY = "320590", 125.10, 35.10  # a county and a spot no other test uses


def test_an_officer_who_gives_everyone_top_marks_is_flagged_from_the_ratings_they_gave(stack):
    """The ratings table names the staff member who rated (not only the account), so the
    "only top marks" check reads what a person gave; an outside rater's sheet typed in
    by a town leader is that rater's, not the leader's."""
    admin = stack.login()
    grid = stack.square_district(admin, RATER_COUNTY, "评分", RX, RY)
    community = grid[:12]

    def staff(name, role):
        person = ok(stack.call("POST", f"{API}/staff", admin, {"name": name, "id_number": fresh_id_number()}))
        ok(stack.call("POST", f"{API}/staff/{person['id']}/assignments", admin,
                      {"grid_code": grid, "role": role, "start_date": "2026-01-01"}))
        return person["id"]
    officer = staff("满分社区干部", "coordinator")
    fair = staff("公道社区干部", "coordinator")
    workers = [staff(f"网格员{n}", "full_time_worker") for n in range(10)]
    officer_token = stack.new_account(admin, ["community_officer"], community, person_id=officer)
    fair_token = stack.new_account(admin, ["community_officer"], community, person_id=fair)
    month, _ = month_and_quarter()
    everyone = [officer, fair, *workers]
    assert stack.wait_for(lambda: stack.db_rows(
        "scoring", "SELECT count(DISTINCT person_id) AS n FROM post_facts WHERE grid_code = :g", g=grid)[0]["n"]
        == len(everyone), timeout=30), "scoring never got the posts"
    for n, worker in enumerate(workers):
        ok(stack.call("POST", f"{API}/scoring/ratings", officer_token,
                      {"period": month, "kind": "village", "subject_person_id": worker, "score": 5}), 201)
        ok(stack.call("POST", f"{API}/scoring/ratings", fair_token,   # spread over the scale
                      {"period": month, "kind": "village", "subject_person_id": worker, "score": 3 + n % 3}), 201)
    stored = stack.db_rows("scoring", "SELECT DISTINCT rater_person_id FROM ratings WHERE subject_person_id = :w",
                           w=workers[0])
    assert {row["rater_person_id"] for row in stored} == {officer, fair}

    scanned = ok(stack.call("POST", f"{API}/integrity/scans", admin, {"scope": grid, "period": month}))
    assert scanned["people"] == 12, scanned
    flags = ok(stack.call("GET", f"{API}/integrity/flags?root={grid}", admin))["items"]
    assert [(f["person_id"], f["pattern"], f["figures"]["check"]) for f in flags] == [
        (officer, "one_sided_ratings", "top_marks_only")], flags
    assert flags[0]["figures"]["ratings"] == 10
