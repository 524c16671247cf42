"""Cross-origin requests from the CORS_ORIGINS allow-list (common.cors), and the
Retry-After of a 429 and a 503 (common.http), on the JSON web server every
component runs, in this process."""
import pytest
import requests

from common.cors import parse_origins, with_vary_origin
from common.errors import TooManyRequests, Unavailable
from common.http import http, read_json
from stack import free_port

APP = "https://oa.example.gov.cn"


class Probe:
    name = "cors_probe"

    @http("GET,POST", "/things")
    def things(self, request):
        return read_json(request) if request.method == "POST" else {"items": []}

    @http("GET", "/busy")
    def busy(self, request):
        raise TooManyRequests("Slow down.", code="RATE_LIMITED", details={"retry_after_seconds": 12.2})

    @http("GET", "/down")
    def down(self, request):
        raise Unavailable("tickets is not answering", details={"service": "tickets"})


def start(containers, **config):
    port = free_port()
    containers(Probe, {"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "AMQP_URI": "memory://", **config})
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def probe(containers):
    return start(containers, CORS_ORIGINS=f" {APP}, http://127.0.0.1:5173 ")


def preflight(url, origin, method="POST"):
    return requests.options(url, headers={"Origin": origin, "Access-Control-Request-Method": method,
                                          "Access-Control-Request-Headers": "authorization,content-type"}, timeout=10)


def test_a_preflight_from_a_listed_origin_names_the_methods_and_headers(probe):
    answer = preflight(f"{probe}/things", APP)
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == APP
    assert answer.headers["Access-Control-Allow-Methods"] == "GET, OPTIONS, POST"
    assert answer.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type, Idempotency-Key"
    assert answer.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Credentials" not in answer.headers


def test_an_answer_to_a_listed_origin_names_it_and_what_the_page_may_read(probe):
    answer = requests.post(f"{probe}/things", json={"a": 1}, headers={"Origin": APP}, timeout=10)
    assert answer.status_code == 200 and answer.json() == {"a": 1}
    assert answer.headers["Access-Control-Allow-Origin"] == APP
    assert "Retry-After" in answer.headers["Access-Control-Expose-Headers"]
    assert answer.headers["Vary"] == "Origin"
    refused = requests.get(f"{probe}/nowhere", headers={"Origin": APP}, timeout=10)
    assert refused.status_code == 404 and refused.headers["Access-Control-Allow-Origin"] == APP


@pytest.mark.parametrize("origin", ["https://evil.example.com", "https://oa.example.gov.cn.evil.com", "null",
                                    "http://oa.example.gov.cn"])
def test_an_origin_not_on_the_list_gets_no_cors_header(probe, origin):
    for answer in (preflight(f"{probe}/things", origin),
                   requests.get(f"{probe}/things", headers={"Origin": origin}, timeout=10)):
        assert not [name for name in answer.headers if name.lower().startswith("access-control-")]
        assert answer.headers["Vary"] == "Origin"


def test_a_preflight_for_a_method_the_path_does_not_take_gets_no_permission(probe):
    answer = preflight(f"{probe}/things", APP, method="DELETE")
    assert answer.status_code == 204 and answer.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert requests.options(f"{probe}/nowhere", timeout=10).status_code == 404


def test_with_no_list_nothing_is_allowed_and_nothing_varies(containers):
    url = start(containers)
    answer = preflight(f"{url}/things", APP)
    assert answer.status_code == 204 and "Access-Control-Allow-Origin" not in answer.headers
    assert "Vary" not in requests.get(f"{url}/things", headers={"Origin": APP}, timeout=10).headers


@pytest.mark.parametrize("setting", ["*", "oa.example.gov.cn", "https://oa.example.gov.cn/app", "https://*.gov.cn"])
def test_a_cors_origin_that_is_no_origin_is_refused(setting):
    with pytest.raises(ValueError, match="CORS_ORIGINS"):
        parse_origins(setting)


def test_vary_keeps_what_an_answer_varied_on_already():
    assert with_vary_origin([("Vary", "Accept-Encoding")]) == [("Vary", "Accept-Encoding, Origin")]
    assert with_vary_origin([("vary", "origin")]) == [("vary", "origin")]


def test_a_429_and_a_503_say_when_to_retry(probe):
    busy = requests.get(f"{probe}/busy", timeout=10)
    assert busy.status_code == 429 and busy.headers["Retry-After"] == "13"
    down = requests.get(f"{probe}/down", timeout=10)
    assert down.status_code == 503 and down.headers["Retry-After"] == "5"
    assert down.json()["details"] == {"service": "tickets"}
