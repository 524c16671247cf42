"""Request ids across the platform, and no personal data in any component's log."""
import re
import uuid

import requests
from idnumbers import fresh_id_number
from shapely.geometry import shape

API = "/api/v1"
COMPONENTS = ("gateway", "grid", "people", "tickets", "scoring")


def lines_with(stack, name, text):
    return [line for line in stack.log(name).splitlines() if text in line]


def test_every_component_answers_with_a_request_id(stack):
    for name in COMPONENTS:
        url = stack.processes[name].url
        mine = stack.call("GET", "/healthz", headers={"X-Request-ID": f"probe-{name}"})  # the gateway's
        assert mine.headers["X-Request-ID"] == f"probe-{name}"
        fresh = requests.get(f"{url}/healthz", timeout=10)
        assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["X-Request-ID"]), name
        kept = requests.get(f"{url}/metrics", headers={"X-Request-ID": f"m.{name}"}, timeout=10)
        assert kept.headers["X-Request-ID"] == f"m.{name}"
        bad = requests.get(f"{url}/no-such-path", headers={"X-Request-ID": "no spaces please"}, timeout=10)
        assert bad.status_code == 404 and re.fullmatch(r"[0-9a-f]{32}", bad.headers["X-Request-ID"])


def test_the_request_id_travels_through_every_service_called_and_marks_their_log_lines(stack):
    token = stack.login()
    request_id = f"trace-{uuid.uuid4().hex[:12]}"
    # Out in the sea: the gateway calls tickets, which calls grid, which finds no grid there.
    answer = stack.call("POST", f"{API}/tickets", token, {
        "category": "UM02", "description": "海上的报告", "location": {"lon": 150.0, "lat": -40.0, "crs": "wgs84"}},
        headers={"X-Request-ID": request_id})
    assert answer.status_code == 400 and answer.json()["error"] == "LOCATION_OUTSIDE_GRIDS", answer.text
    assert answer.headers["X-Request-ID"] == request_id

    def logged_everywhere():
        return all(lines_with(stack, name, request_id) for name in ("gateway", "tickets", "grid"))

    assert stack.wait_for(logged_everywhere, timeout=5), {
        name: lines_with(stack, name, request_id) for name in ("gateway", "tickets", "grid")}
    access = [line for line in lines_with(stack, "gateway", request_id) if "gridgov.access" in line]
    assert len(access) == 1 and f"POST {API}/tickets 400" in access[0], access
    assert any("POINT_OUTSIDE_GRIDS" in line for line in lines_with(stack, "grid", request_id))
    assert not lines_with(stack, "people", request_id) and not lines_with(stack, "scoring", request_id)


def test_no_id_or_phone_number_reaches_any_log(stack):
    token = stack.login()
    geometry = stack.call("GET", f"{API}/grids/320508014021002?geometry=true", token).json()["geometry"]
    point = shape(geometry).representative_point()
    place = stack.call("POST", f"{API}/places", token, {"type": "building", "name": "日志测试楼",
                                                      "lon": point.x, "lat": point.y}).json()
    household = stack.call("POST", f"{API}/households", token, {"place_code": place["code"], "address": "2单元"})
    assert household.status_code == 201, household.text
    number = fresh_id_number("19520704")
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    full_width = phone.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    created = stack.call("POST", f"{API}/residents", token, {
        "name": "日志测试", "id_number": number, "phone": phone, "household_id": household.json()["id"]})
    assert created.status_code == 201, created.text
    resident = created.json()
    assert number not in resident["id_number"] and phone not in resident["phone"]  # answered masked
    spellings = {number, number.lower(), phone, full_width, *_percent_encoded(full_width),
                 resident["id_number"], resident["phone"]}

    for params in ({"id_number": number}, {"phone": phone}, {"phone": full_width}, {"id_number": number.lower()},
                   {"id_number": number, "phone": phone, "root": "320508014021"}):
        found = stack.call("GET", f"{API}/residents", token, params=params)
        assert found.status_code == 200 and [r["id"] for r in found.json()["items"]] == [resident["id"]], params
    # requests that fail: a duplicate, a malformed phone and ID number, a search that is not allowed
    duplicate = stack.call("POST", f"{API}/residents", token, {"name": "重复", "id_number": number, "phone": phone,
                                                               "household_id": household.json()["id"]})
    assert duplicate.status_code == 409, duplicate.text
    wrong_check = number[:-1] + ("1" if number[-1] == "0" else "0")
    malformed = stack.call("POST", f"{API}/residents", token, {"name": "错号", "id_number": wrong_check,
                                                               "phone": phone + "9"})
    assert malformed.status_code == 400, malformed.text
    spellings.add(wrong_check)
    worker = stack.new_account(token, ["grid_worker"], scope="320508019044001")
    refused = stack.call("GET", f"{API}/residents", worker, params={"id_number": number, "phone": phone})
    assert refused.status_code in (200, 403), refused.text
    bad_search = stack.call("GET", f"{API}/residents", token, params={"phone": phone, "limit": "many"})
    assert bad_search.status_code in (200, 400), bad_search.text

    for name in COMPONENTS:
        text = stack.log(name)
        leaked = sorted(s for s in spellings if s in text)
        assert not leaked, (name, leaked, [line for line in text.splitlines() if any(s in line for s in leaked)][:5])
    assert "id_number=***" in stack.log("gateway")  # the searches were logged, masked


def _percent_encoded(text):
    from urllib.parse import quote

    return {quote(text), quote(text).lower()}
