"""Duties through the whole stack (issue 18): visits listed in and out of scope with
their notes for those who may read them, the targets refused whole when a target is
negative or not a number, and the coverage report of a small district whose gaps are
known: who visited which household when, who walked how often."""
import json
import uuid

import pytest
from shapely.geometry import box

from people.targets import DEFAULT_FILE

API = "/api/v1"
LISTED_COUNTY, LISTED_X, LISTED_Y = "320595", 125.00, 35.00    # counties and spots no other test uses
COVERED_COUNTY, COVERED_X, COVERED_Y = "320596", 125.20, 35.20
DEFAULT_TARGETS = json.loads(DEFAULT_FILE.read_text(encoding="utf-8"))


def _ok(response, status=(200, 201)):
    assert response.status_code in status, response.text
    return response.json()


def _centre(x, y):
    point = box(x, y, x + 0.02, y + 0.02).centroid
    return point.x, point.y


def _worker(stack, admin, grid, name, role="full_time_worker"):
    person = _ok(stack.call("POST", f"{API}/staff", admin, {"name": name, "birth_date": "1988-06-01"}))
    _ok(stack.call("POST", f"{API}/staff/{person['id']}/assignments", admin,
                   {"grid_code": grid, "role": role, "start_date": "2026-01-01"}))
    return person["id"]


def _households(stack, admin, x, y, count):
    lon, lat = _centre(x, y)
    place = _ok(stack.call("POST", f"{API}/places", admin, {"type": "building", "name": "走访测试楼",
                                                            "lon": lon, "lat": lat}))
    return [_ok(stack.call("POST", f"{API}/households", admin, {"place_code": place["code"],
                                                                "address": f"{n + 1}01室"}))["id"]
            for n in range(count)]


@pytest.fixture
def default_targets_after(stack):
    """The shipped default in force again when the test ends, whatever it saved."""
    yield
    _ok(stack.call("POST", f"{API}/targets", stack.login(), DEFAULT_TARGETS), (201,))


def test_visits_are_listed_newest_first_in_scope_with_notes_for_those_who_may_read_them(stack):
    admin = stack.login()
    grid = stack.square_district(admin, LISTED_COUNTY, "走访", LISTED_X, LISTED_Y)
    community = grid[:12]
    jia, yi = _worker(stack, admin, grid, "走访员甲"), _worker(stack, admin, grid, "走访员乙", "part_time_worker")
    jia_token = stack.new_account(admin, ["grid_worker"], scope=grid, person_id=jia)
    yi_token = stack.new_account(admin, ["grid_worker"], scope=grid, person_id=yi)
    officer = stack.new_account(admin, ["community_officer"], scope=community)
    auditor = stack.new_account(admin, ["auditor"], scope=community)
    elsewhere = stack.new_account(admin, ["community_officer"], scope="320508019044")
    homes = _households(stack, admin, LISTED_X, LISTED_Y, 2)
    for n, when in enumerate(("2026-11-02T09:00:00+08:00", "2026-11-03T09:00:00+08:00", "2026-11-04T09:00:00+08:00")):
        _ok(stack.call("POST", f"{API}/visits", jia_token, {
            "household_id": homes[n % 2], "client_id": f"jia-{n}", "occurred_at": when,
            "notes": f"第{n + 1}次走访，老人身体好，儿子电话13912345678"}), (201,))
    _ok(stack.call("POST", f"{API}/visits", yi_token, {"household_id": homes[0], "client_id": "yi-0",
                                                       "occurred_at": "2026-11-05T10:00:00+08:00",
                                                       "notes": "了解低保申请进展"}), (201,))

    as_officer = _ok(stack.call("GET", f"{API}/visits?root={community}", officer))
    assert [v["occurred_at"][:10] for v in as_officer["items"]] == ["2026-11-05", "2026-11-04", "2026-11-03",
                                                                    "2026-11-02"]
    assert as_officer["next"] is None and all(v["grid_code"] == grid for v in as_officer["items"])
    assert as_officer["items"][1]["notes"] == "第3次走访，老人身体好，儿子电话139****5678", "numbers stay masked"
    assert "13912345678" not in json.dumps(_ok(stack.call("GET", f"{API}/visits", auditor)), ensure_ascii=False)
    assert all(v["notes_shown"] for v in _ok(stack.call("GET", f"{API}/visits", auditor))["items"])

    as_yi = _ok(stack.call("GET", f"{API}/visits", yi_token))["items"]  # default root: 乙's own grid
    assert len(as_yi) == 4
    assert [v["notes"] for v in as_yi if v["person_id"] == yi] == ["了解低保申请进展"]
    assert all(v["notes"] is None and v["notes_shown"] is False for v in as_yi if v["person_id"] == jia), \
        "a colleague sees that 甲 visited, not what was said"

    first = _ok(stack.call("GET", f"{API}/visits?person_id={jia}&limit=2", officer))
    second = _ok(stack.call("GET", f"{API}/visits?person_id={jia}&limit=2&after={first['next']}", officer))
    assert [len(first["items"]), len(second["items"]), second["next"]] == [2, 1, None]
    assert {v["person_id"] for v in first["items"] + second["items"]} == {jia}
    since = _ok(stack.call("GET", f"{API}/visits", officer, params={"since": "2026-11-04T00:00:00+08:00"}))
    assert len(since["items"]) == 2

    outside = stack.call("GET", f"{API}/visits?root={community}", elsewhere)
    assert outside.status_code == 403 and outside.json()["error"] == "OUT_OF_SCOPE"
    assert all(v["grid_code"].startswith("320508019044")
               for v in _ok(stack.call("GET", f"{API}/visits", elsewhere))["items"]), "its own scope only"
    assert stack.call("GET", f"{API}/visits", stack.new_account(admin, ["resident"])).status_code == 403
    wrong_page = stack.call("GET", f"{API}/visits?after=no-such-visit", officer)
    assert wrong_page.status_code == 400 and "after" in wrong_page.json()["details"]["fields"]


@pytest.mark.parametrize("target, field", [
    ({"patrols": {"per_week": -2}}, "per_week"),
    ({"patrols": {"per_week": "five"}}, "per_week"),
    ({"visits": {"share": -1, "every_months": 3}}, "share"),
    ({"visits": {"share": 1, "every_months": "quarterly"}}, "every_months"),
])
def test_a_negative_or_non_numeric_target_is_refused_and_nothing_stored(stack, target, field):
    admin = stack.login()
    district = stack.new_account(admin, ["district_officer"])
    before = _ok(stack.call("GET", f"{API}/targets", district))
    document = {"roles": {"full_time_worker": {"basic": {"patrols": {"per_week": 5}}},
                          "grid_chief": {"basic": target}}}
    refused = stack.call("POST", f"{API}/targets", district, document)
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["error"] == "VALIDATION_FAILED"
    assert field in body["details"]["fields"]["roles"]["grid_chief"]["basic"][next(iter(target))]
    assert f"roles.grid_chief.basic.{next(iter(target))}.{field}" in body["message"]
    assert _ok(stack.call("GET", f"{API}/targets", district)) == before, "nothing stored"


def test_targets_are_versions_saved_by_district_wide_roles(stack, default_targets_after):
    admin = stack.login()
    town = stack.new_account(admin, ["town_leader"], scope="320508019")
    worker = stack.new_account(admin, ["grid_worker"], scope="320508019044001")
    before = _ok(stack.call("GET", f"{API}/targets", worker))
    assert {row["role"] for row in before["rows"]} >= {"full_time_worker", "part_time_worker", "grid_chief"}
    document = {"why": "测试", "roles": {"full_time_worker": {"basic": {"patrols": {"per_week": 4}}}}}
    refused = stack.call("POST", f"{API}/targets", town, document)
    assert refused.status_code == 403 and refused.json()["error"] == "ROLE_FORBIDDEN"
    saved = _ok(stack.call("POST", f"{API}/targets", admin, document), (201,))
    assert saved["version"] == before["version"] + 1 and saved["created_by"] == "admin"
    assert saved["document"]["roles"] == {"full_time_worker": {"basic": {"patrols": {"per_week": 4}}}}
    assert [(row["role"], row["target"], row["value"]) for row in saved["rows"]] == [
        ("full_time_worker", "patrols", "4 a week")]
    assert _ok(stack.call("GET", f"{API}/targets", worker))["version"] == saved["version"]


def test_the_coverage_report_of_a_small_district_names_its_known_gaps(stack, default_targets_after):
    """One grid, three households, two workers, 2026-Q3 (92 days). Targets: a full-time
    worker visits every household once a quarter and patrols twice a week (27 rounds
    in Q3); a part-timer patrols once a week (14). 甲 (full-time) visits two of the
    three households in Q3 and the third in Q2 only, and walks 27 rounds; 乙
    (part-time) walks 5."""
    admin = stack.login()
    _ok(stack.call("POST", f"{API}/targets", admin, {"roles": {
        "full_time_worker": {"basic": {"visits": {"share": 1, "every_months": 3}, "patrols": {"per_week": 2}}},
        "part_time_worker": {"basic": {"patrols": {"per_week": 1}}}}}), (201,))
    grid = stack.square_district(admin, COVERED_COUNTY, "覆盖", COVERED_X, COVERED_Y)
    community, town = grid[:12], grid[:9]
    jia, yi = _worker(stack, admin, grid, "覆盖员甲"), _worker(stack, admin, grid, "覆盖员乙", "part_time_worker")
    homes = _households(stack, admin, COVERED_X, COVERED_Y, 3)
    for home, when in ((homes[0], "2026-08-10T10:00:00+08:00"), (homes[1], "2026-09-01T10:00:00+08:00"),
                       (homes[0], "2026-09-20T10:00:00+08:00"), (homes[2], "2026-06-01T10:00:00+08:00")):
        _ok(stack.call("POST", f"{API}/visits", admin, {"person_id": jia, "household_id": home,
                                                        "client_id": str(uuid.uuid4()), "occurred_at": when,
                                                        "notes": "入户走访"}), (201,))
    lon, lat = _centre(COVERED_X, COVERED_Y)
    for person, rounds in ((jia, 27), (yi, 5)):
        for n in range(rounds):
            _ok(stack.call("POST", f"{API}/patrols", admin, {
                "person_id": person, "client_id": str(uuid.uuid4()), "lon": lon, "lat": lat,
                "occurred_at": f"2026-{7 + n // 28:02d}-{1 + n % 28:02d}T09:00:00+08:00"}), (201,))

    district = stack.new_account(admin, ["district_officer"])
    report = _ok(stack.call("GET", f"{API}/coverage?root={COVERED_COUNTY}&period=2026-Q3", district))
    assert (report["period"], report["start"], report["end"], report["days_so_far"]) == (
        "2026-Q3", "2026-07-01", "2026-09-30", 92)
    expected_total = {"households": 3, "visited": 2, "not_visited": 1, "coverage": 0.6667, "visits": 3,
                      "patrols": 32, "workers": 2, "workers_below_target": 2}
    assert report["total"] == expected_total
    assert report["by_town"] == {town: expected_total} and report["by_community"] == {community: expected_total}
    assert report["by_grid"] == {grid: {**expected_total, "name": "覆盖网格", "kind": "basic"}}
    below = {worker["person_id"]: worker for worker in report["workers_below_target"]}
    assert set(below) == {jia, yi}
    assert below[jia]["name"] == "覆盖员甲" and below[jia]["below"] == ["visits"]
    assert (below[jia]["households"], below[jia]["households_visited"], below[jia]["households_needed"]) == (3, 2, 3)
    assert (below[jia]["patrols"], below[jia]["patrols_needed"], below[jia]["patrols_per_week_target"]) == (27, 27, 2)
    assert below[yi]["below"] == ["patrols"] and (below[yi]["patrols"], below[yi]["patrols_needed"]) == (5, 14)
    assert below[yi]["households_needed"] == 0, "no visit target for a part-timer in these targets"
    missed = report["households_not_visited"]
    assert [h["household_id"] for h in missed["items"]] == [homes[2]] and missed["next"] is None
    assert missed["items"][0]["last_visited_at"].startswith("2026-06-01") and missed["items"][0]["address"] == "301室"

    own = _ok(stack.call("GET", f"{API}/coverage?period=2026-Q3",
                         stack.new_account(admin, ["grid_worker"], scope=grid, person_id=yi)))
    assert own["root"] == grid and [w["person_id"] for w in own["workers_below_target"]] == [yi], \
        "a worker reads their own line; the totals count everyone"
    assert own["total"]["workers_below_target"] == 2

    q4 = [_ok(stack.call("GET", f"{API}/coverage?root={community}&period=2026-Q4&limit=2", district))]
    q4.append(_ok(stack.call("GET", f"{API}/coverage?root={community}&period=2026-Q4&limit=2&after="
                             f"{q4[0]['households_not_visited']['next']}", district)))
    pages = [[h["household_id"] for h in page["households_not_visited"]["items"]] for page in q4]
    assert sorted(pages[0] + pages[1]) == sorted(homes) and q4[1]["households_not_visited"]["next"] is None
    assert q4[0]["days_so_far"] < 92, "a quarter under way counts its days so far"

    for path, status, code in ((f"/coverage?root={COVERED_COUNTY}&period=2026-Q5", 400, "VALIDATION_FAILED"),
                               (f"/coverage?root={COVERED_COUNTY}", 400, "VALIDATION_FAILED"),
                               (f"/coverage?root={COVERED_COUNTY}999&period=2026-Q3", 404, "GRID_NOT_FOUND"),
                               ("/coverage?period=2026-Q3", 400, "VALIDATION_FAILED")):
        answer = stack.call("GET", API + path, district)
        assert (answer.status_code, answer.json()["error"]) == (status, code), (path, answer.text)
    outside = stack.call("GET", f"{API}/coverage?root={COVERED_COUNTY}&period=2026-Q3",
                         stack.new_account(admin, ["community_officer"], scope="320508019044"))
    assert outside.status_code == 403 and outside.json()["error"] == "OUT_OF_SCOPE"
