"""The edges of HTTP at every component, and the inputs that were 500s at the gateway."""
import json
import re
import uuid

import pytest
import requests

API = "/api/v1"
COMPONENTS = ("gateway", "grid", "people", "tickets", "scoring")


def assert_json_error(answer, status, code):
    assert answer.status_code == status, (answer.status_code, answer.content[:300])
    assert answer.headers["Content-Type"] == "application/json"
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])
    body = answer.json()
    assert body["error"] == code and body["message"] and isinstance(body["details"], dict)
    return body


def test_too_long_a_request_line_or_too_large_headers_get_the_json_shape_at_every_component(stack):
    for name in COMPONENTS:
        url = stack.processes[name].url
        assert_json_error(requests.get(f"{url}/healthz?pad=" + "a" * 10_000, timeout=10), 414, "URI_TOO_LONG")
        assert_json_error(requests.get(f"{url}/healthz", headers={"X-Big": "b" * (1024 * 1024)}, timeout=20),
                          431, "HEADERS_TOO_LARGE")
        assert_json_error(requests.get(f"{url}/healthz", headers={f"X-H{i}": "c" * 4000 for i in range(20)},
                                       timeout=10), 431, "HEADERS_TOO_LARGE")
        assert requests.get(f"{url}/healthz", timeout=10).status_code == 200  # and it still serves


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_json_body_without_its_media_type_is_a_415(stack, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    # a username of its own: a wrong password must never count against a real account
    answer = stack.call("POST", f"{API}/auth/login", headers=headers,
                        data=json.dumps({"username": f"u{uuid.uuid4().hex[:10]}", "password": "x"}))
    body = assert_json_error(answer, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert body["details"] == {"content_type": content_type, "required": "application/json"}
    token = stack.login()
    report = stack.call("POST", f"{API}/tickets", token, headers=dict(headers),
                        data=json.dumps({"category": "UM02", "grid_code": "320508019044001", "description": "表单"}))
    assert_json_error(report, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_a_lone_surrogate_is_a_400_naming_the_field_even_before_sign_in(stack):
    stranger = f"u{uuid.uuid4().hex[:10]}"
    for raw in ('{"username": "\\ud800", "password": "x"}', '{"username": "%s", "password": "a\\udfffb"}' % stranger):
        answer = stack.call("POST", f"{API}/auth/login", data=raw, headers={"Content-Type": "application/json"})
        body = assert_json_error(answer, 400, "VALIDATION_FAILED")
        assert list(body["details"]["fields"].values()) == [["must not contain lone UTF-16 surrogates"]]
    token = stack.login()
    answer = stack.call("POST", f"{API}/tickets", token, headers={"Content-Type": "application/json"},
                        data='{"category": "UM02", "grid_code": "320508019044001", "description": "x\\ud800"}')
    assert assert_json_error(answer, 400, "VALIDATION_FAILED")["details"]["fields"] == {
        "description": ["must not contain lone UTF-16 surrogates"]}
    emoji = stack.call("POST", f"{API}/tickets", token, headers={"Content-Type": "application/json"},
                       data='{"category": "UM02", "grid_code": "320508019044001", "description": "井盖缺失\\ud83d\\ude27"}')
    assert emoji.status_code == 201, emoji.text


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00", "1999-12-31T23:59:59+00:00"])
def test_an_extreme_date_to_locate_is_a_400_naming_at(stack, at):
    token = stack.login()
    answer = stack.call("GET", f"{API}/grids/locate", token, params={"lon": 120.6, "lat": 31.3, "at": at})
    body = assert_json_error(answer, 400, "VALIDATION_FAILED")
    assert list(body["details"]["fields"]) == ["at"]


def test_locate_still_answers_for_a_moment_in_range(stack):
    token = stack.login()
    answer = stack.call("GET", f"{API}/grids/locate", token,
                        params={"lon": 120.6, "lat": 31.3, "at": "2099-12-31T23:59:59+08:00"})
    assert answer.status_code in (200, 404), answer.text  # a grid or none; never a 500


def test_no_error_body_grows_with_its_input(stack):
    token = stack.login()
    long = "测" * 1_000_000
    for path, body in ((f"{API}/tickets", {"category": long, "grid_code": "320508019044001", "description": "回声"}),
                       (f"{API}/accounts", {"username": "echo_test", "display_name": "x", "password": "Passw0rd-2026",
                                            "roles": [long]}),
                       (f"{API}/grids/merge", {"codes": [long, long], "name": long})):
        answer = stack.call("POST", path, token, body, timeout=30)
        assert 400 <= answer.status_code < 500, (path, answer.status_code)
        assert len(answer.content) < 8000, (path, len(answer.content))
