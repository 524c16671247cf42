"""Sentiment records (社情民意) on the real stack: a worker records what residents said in
their grid, supervisors and auditors read it, the recorder follows it up and reports it
as a ticket (once, and nothing stored while tickets is down), bad input is refused naming
its field with nothing stored, the text never leaves people, and scoring's sentiment
index counts the records."""
import time
import uuid

import pytest
from shapely.geometry import box, mapping

from common.shanghai import shanghai_date

API = "/api/v1"
COUNTY = "320589"  # a county and a spot no other test uses
X, Y = 125.40, 35.40
SIZE = 0.02
TOWN, COMMUNITY = f"{COUNTY}001", f"{COUNTY}001001"
WEST, EAST = f"{COMMUNITY}001", f"{COMMUNITY}002"


def _ok(response, status=None):
    assert response.status_code < 300 if status is None else response.status_code == status, response.text
    return response.json()


def _feature(code, name, geometry, parent):
    return {"type": "Feature", "geometry": mapping(geometry),
            "properties": {"code": code, "name": name, "parent_code": parent, "households": 40}}


@pytest.fixture(scope="module")
def town(stack):
    """A community of two grids (west, east); a worker and a colleague posted in the
    west, an outsider in the east; accounts for them, a chief, an auditor; a household
    in each grid."""
    admin = stack.login()
    whole, west, east = box(X, Y, X + SIZE, Y + SIZE), box(X, Y, X + SIZE / 2, Y + SIZE), \
        box(X + SIZE / 2, Y, X + SIZE, Y + SIZE)
    _ok(stack.call("POST", f"{API}/grids/import", admin, {"type": "FeatureCollection", "features": [
        _feature(COUNTY, "民情区", whole, None), _feature(TOWN, "民情街道", whole, COUNTY),
        _feature(COMMUNITY, "民情社区", whole, TOWN), _feature(WEST, "民情西网格", west, COMMUNITY),
        _feature(EAST, "民情东网格", east, COMMUNITY)]}), 201)

    def person(name, grid, role="full_time_worker"):
        created = _ok(stack.call("POST", f"{API}/staff", admin, {"name": name, "birth_date": "1988-06-01"}), 201)
        _ok(stack.call("POST", f"{API}/staff/{created['id']}/assignments", admin,
                       {"grid_code": grid, "role": role, "start_date": "2026-01-01"}), 201)
        return created["id"]

    worker, colleague, outsider = person("民情专职", WEST), person("民情兼职", WEST, "part_time_worker"), \
        person("东格专职", EAST)

    def household(grid_box, name):
        point = grid_box.centroid
        place = _ok(stack.call("POST", f"{API}/places", admin, {"type": "building", "name": name, "lon": point.x,
                                                                "lat": point.y}), 201)
        return _ok(stack.call("POST", f"{API}/households", admin, {"place_code": place["code"]}), 201)["id"]

    return {
        "admin": admin, "worker": worker, "outsider_person": outsider,
        "as_worker": stack.new_account(admin, ["grid_worker"], WEST, person_id=worker),
        "as_colleague": stack.new_account(admin, ["grid_worker"], WEST, person_id=colleague),
        "as_outsider": stack.new_account(admin, ["grid_worker"], EAST, person_id=outsider),
        "as_chief": stack.new_account(admin, ["grid_chief"], WEST),
        "as_auditor": stack.new_account(admin, ["auditor"], COMMUNITY),
        "west_home": household(west, "民情西楼"), "east_home": household(east, "民情东楼"),
    }


def record(stack, token, **fields):
    body = {"client_id": f"s-{uuid.uuid4().hex[:10]}", "grid_code": WEST, "category": "livelihood",
            "source": "home_visit", "content": f"居民反映楼道灯坏了 {uuid.uuid4().hex[:6]}"}
    body.update(fields)
    return stack.call("POST", f"{API}/sentiments", token, body)


def stored(stack, sql, **params):
    return stack.db_rows("people", sql, **params)


def test_a_worker_records_what_residents_said_once_and_scope_decides_who_reads_it(stack, town):
    content = f"独居老人反映天然气灶打不着火，担心安全 {uuid.uuid4().hex[:6]}"
    made = record(stack, town["as_worker"], client_id="phone-1", household_id=town["west_home"],
                  category="safety_hazard", source="home_visit", content=content)
    assert made.status_code == 201, made.text
    entry = made.json()["sentiment"]
    assert (entry["person_id"], entry["grid_code"], entry["status"], entry["content"]) == (
        town["worker"], WEST, "open", content)
    assert entry["category_label"] == {"zh": "安全隐患", "en": "safety hazard"}
    again = record(stack, town["as_worker"], client_id="phone-1", household_id=town["west_home"],
                   category="safety_hazard", content=content)
    assert again.status_code == 200 and again.json() == {"sentiment": entry, "duplicate": True}

    def read(token):
        return stack.call("GET", f"{API}/sentiments/{entry['id']}", token)
    for who in ("as_worker", "as_chief", "as_auditor", "admin"):
        shown = _ok(read(town[who]), 200)
        assert (shown["content"], shown["content_shown"], shown["follow_ups"]) == (content, True, []), who
    colleague = _ok(read(town["as_colleague"]), 200)
    assert (colleague["content"], colleague["content_shown"], colleague["category"]) == (None, False,
                                                                                         "safety_hazard")
    assert read(town["as_outsider"]).status_code == 404, "another grid's record is no record to an outsider"
    assert stack.call("GET", f"{API}/sentiments?root={WEST}", town["as_outsider"]).status_code == 403

    listed = _ok(stack.call("GET", f"{API}/sentiments?root={COMMUNITY}&category=safety_hazard",
                            town["as_auditor"]), 200)
    assert entry["id"] in [item["id"] for item in listed["items"]]
    assert all(item["category"] == "safety_hazard" for item in listed["items"])
    own = _ok(stack.call("GET", f"{API}/sentiments", town["as_worker"]), 200)  # default: the caller's scope
    assert entry["id"] in [item["id"] for item in own["items"]]
    pages, after = [], None
    while True:
        query = f"{API}/sentiments?root={WEST}&limit=1" + (f"&after={after}" if after else "")
        page = _ok(stack.call("GET", query, town["as_chief"]), 200)
        pages += [item["id"] for item in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert entry["id"] in pages and len(pages) == len(set(pages))

    # the text stays in people: not in the event, not in a log line
    (event,) = stored(stack, "SELECT payload FROM outbox_events WHERE event_type = 'sentiment_recorded' "
                             "AND CAST(payload AS TEXT) LIKE :id", id=f"%{entry['id']}%")
    assert content not in str(event["payload"]) and "content_sig" in str(event["payload"])
    assert content not in stack.log("people") + stack.log("gateway")


@pytest.mark.parametrize("change, status, code, field", [
    ({"category": "gossip"}, 400, "VALIDATION_FAILED", "category"),
    ({"source": "rumour"}, 400, "VALIDATION_FAILED", "source"),
    ({"content": ""}, 400, "VALIDATION_FAILED", "content"),
    ({"content": "长" * 2001}, 400, "VALIDATION_FAILED", "content"),
    ({"household_id": "east"}, 400, "HOUSEHOLD_OUTSIDE_GRID", "household_id"),
    ({"grid_code": EAST}, 403, "OUT_OF_SCOPE", None),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(stack, town, change, status, code, field):
    if change.get("household_id") == "east":
        change = {"household_id": town["east_home"]}
    client_id = f"bad-{uuid.uuid4().hex[:8]}"
    refused = record(stack, town["as_worker"], client_id=client_id, **change)
    assert refused.status_code == status, refused.text
    body = refused.json()
    assert body["error"] == code
    if field:
        named = body["details"].get("field") or next(iter(body["details"].get("fields", {})), None)
        assert named == field, body
    assert stored(stack, "SELECT id FROM sentiment_records WHERE client_id = :c", c=client_id) == []


def test_a_grid_the_recorder_was_not_posted_in_is_refused(stack, town):
    refused = record(stack, town["admin"], person_id=town["worker"], grid_code=EAST)
    assert refused.status_code == 400 and refused.json()["error"] == "NOT_ASSIGNED", refused.text
    assert refused.json()["details"]["field"] == "grid_code"


def test_follow_ups_move_the_record_to_closed_and_a_closed_record_takes_no_more(stack, town):
    entry = _ok(record(stack, town["as_worker"], category="dispute_sign", source="walk_in"), 201)["sentiment"]
    path = f"{API}/sentiments/{entry['id']}/follow-ups"
    refused = stack.call("POST", path, town["as_colleague"], {"client_id": "f-0", "note": "我来看看"})
    assert refused.status_code == 403 and refused.json()["error"] == "NOT_YOUR_RECORD", refused.text
    assert stack.call("POST", path, town["as_outsider"], {"client_id": "f-0", "note": "看看"}).status_code == 404
    first = stack.call("POST", path, town["as_worker"], {"client_id": "f-1", "note": "已约双方到社区调解"})
    assert first.status_code == 201, first.text
    assert (first.json()["sentiment"]["status"], first.json()["follow_up"]["status"]) == ("followed_up",
                                                                                        "followed_up")
    replay = stack.call("POST", path, town["as_worker"], {"client_id": "f-1", "note": "已约双方到社区调解"})
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert replay.json()["follow_up"]["id"] == first.json()["follow_up"]["id"]
    closed = _ok(stack.call("POST", path, town["as_chief"], {"client_id": "f-2", "note": "调解成功，双方签字",
                                                             "status": "closed"}), 201)
    assert closed["sentiment"]["status"] == "closed" and closed["sentiment"]["closed_at"]
    assert [f["client_id"] for f in closed["sentiment"]["follow_ups"]] == ["f-1", "f-2"]

    late = stack.call("POST", path, town["as_worker"], {"client_id": "f-3", "note": "回访"})
    assert late.status_code == 409, late.text
    assert late.json()["error"] == "SENTIMENT_CLOSED" and late.json()["details"]["field"] == "status"
    assert len(stored(stack, "SELECT id FROM sentiment_follow_ups WHERE sentiment_id = :s", s=entry["id"])) == 2
    ticket = stack.call("POST", f"{API}/sentiments/{entry['id']}/ticket", town["as_worker"], {})
    assert ticket.status_code == 409 and ticket.json()["error"] == "SENTIMENT_CLOSED", ticket.text
    listed = _ok(stack.call("GET", f"{API}/sentiments?root={WEST}&status=closed", town["as_chief"]), 200)
    assert entry["id"] in [item["id"] for item in listed["items"]]


def test_a_record_is_reported_as_a_ticket_once(stack, town):
    content = f"居民反映邻里因漏水争吵多次，需要协调 {uuid.uuid4().hex[:6]}"
    entry = _ok(record(stack, town["as_worker"], category="dispute_sign", content=content), 201)["sentiment"]
    path = f"{API}/sentiments/{entry['id']}/ticket"
    assert stack.call("POST", path, town["as_colleague"], {}).json()["error"] == "NOT_YOUR_RECORD"
    reported = stack.call("POST", path, town["as_worker"], {})
    assert reported.status_code == 201, reported.text
    ticketed = reported.json()["sentiment"]
    assert reported.json()["created"] is True and ticketed["ticket_id"] and ticketed["ticket_number"]
    assert ticketed["status"] == "followed_up" and ticketed["follow_ups"][0]["ticket_id"] == ticketed["ticket_id"]
    ticket = _ok(stack.call("GET", f"{API}/tickets/{ticketed['ticket_id']}", town["as_worker"]), 200)
    assert (ticket["grid_code"], ticket["category"], ticket["description"], ticket["source"]) == (
        WEST, "DM01", content, "grid_patrol")
    again = stack.call("POST", path, town["as_chief"], {"category": "DM04"})
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["sentiment"]["ticket_id"] == ticketed["ticket_id"]
    tickets = _ok(stack.call("GET", f"{API}/tickets?root={WEST}&limit=200", town["admin"]), 200)["items"]
    assert [t["id"] for t in tickets if t["description"] == content] == [ticketed["ticket_id"]]


def test_tickets_down_answers_a_fast_503_and_stores_nothing(stack, town):
    content = f"居民反映小区门口积水严重 {uuid.uuid4().hex[:6]}"
    entry = _ok(record(stack, town["as_worker"], content=content), 201)["sentiment"]
    path = f"{API}/sentiments/{entry['id']}/ticket"
    stack.processes["tickets"].stop()
    try:
        started = time.monotonic()
        response = stack.call("POST", path, town["as_worker"], {"category": "MU03"})
        elapsed = time.monotonic() - started
        assert response.status_code == 503, response.text
        assert elapsed < 5, f"took {elapsed:.1f}s"
        assert response.json()["details"] == {"service": "tickets"}
    finally:
        stack.restart("tickets")
    (row,) = stored(stack, "SELECT status, ticket_id, follow_up_count, version FROM sentiment_records WHERE id = :i",
                    i=entry["id"])
    assert (row["status"], row["ticket_id"], row["follow_up_count"], row["version"]) == ("open", None, 0, 1)
    assert stored(stack, "SELECT id FROM sentiment_follow_ups WHERE sentiment_id = :s", s=entry["id"]) == []
    assert stored(stack, "SELECT event_id FROM outbox_events WHERE event_type = 'sentiment_followed_up' "
                         "AND CAST(payload AS TEXT) LIKE :id", id=f"%{entry['id']}%") == []
    time.sleep(2)  # the request expired in the queue: the restarted tickets must not carry it out
    listed = _ok(stack.call("GET", f"{API}/tickets?root={WEST}&limit=200", town["admin"]), 200)["items"]
    assert content not in [t["description"] for t in listed]

    retried = stack.call("POST", path, town["as_worker"], {"category": "MU03"})
    assert retried.status_code == 201, retried.text
    listed = _ok(stack.call("GET", f"{API}/tickets?root={WEST}&limit=200", town["admin"]), 200)["items"]
    assert [(t["id"], t["category"]) for t in listed if t["description"] == content] == [
        (retried.json()["sentiment"]["ticket_id"], "MU03")]


def test_scoring_counts_the_records_into_the_sentiment_index(stack, town):
    """The outsider's records in the east grid this quarter: three, one followed up."""
    token = town["as_outsider"]
    made = [_ok(record(stack, token, grid_code=EAST), 201)["sentiment"] for _ in range(3)]
    _ok(stack.call("POST", f"{API}/sentiments/{made[0]['id']}/follow-ups", token,
                   {"client_id": "f-1", "note": "已答复"}), 201)

    def facts():
        rows = stack.db_rows("scoring", "SELECT id, status, version FROM sentiment_facts WHERE person_id = :p",
                             p=town["outsider_person"])
        return rows if {row["id"]: row["status"] for row in rows} == {
            made[0]["id"]: "followed_up", made[1]["id"]: "open", made[2]["id"]: "open"} else None
    rows = stack.wait_for(facts, timeout=30)
    assert rows, "scoring never got the records and the follow-up"
    assert {row["id"]: row["version"] for row in rows}[made[0]["id"]] == 2

    today = shanghai_date()
    period = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    draft = _ok(stack.call("POST", f"{API}/assessments", town["admin"],
                           {"plan": "dianbai-indicators", "period": period, "scope": EAST}), 201)
    results = _ok(stack.call("GET", f"{API}/assessments/{draft['id']}/results", town["admin"]), 200)["items"]
    (mine,) = [item for item in results if item["subject_id"] == town["outsider_person"]]
    (indicators,) = mine["breakdown"]["children"]
    by_key = {child["key"]: child for child in indicators["children"]}
    assert (by_key["sentiment_records"]["value"], by_key["sentiment_records"]["volume"]) == (3, 3)
    assert by_key["sentiment"]["value"] == pytest.approx(1 / 3, abs=0.005)  # shown to two places
    assert by_key["sentiment"]["points"] == pytest.approx(100 / 3, abs=0.005)
    assert sorted(by_key["sentiment"]["refs"]) == sorted(entry["id"] for entry in made)
