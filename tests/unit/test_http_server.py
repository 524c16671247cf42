"""The JSON web server every component runs (common.http), in this process: request
ids, the access line, errors in the JSON shape at the edges of HTTP (414, 431, a bad
Content-Length), the media type a JSON body must carry, lone surrogates, echo caps."""
import json
import logging
import re
import socket

import pytest
import requests

from common.errors import InvalidInput
from common.http import http, read_json
from common.logs import RequestIdFilter, RequestIds, WorkerErrorFilter
from stack import free_port

log = logging.getLogger("tests.probe")
ID_NUMBER, PHONE = "110105194912310025", "13912345678"


class Probe:
    name = "probe"
    request_ids = RequestIds()

    @http("POST", "/echo")
    def echo(self, request):
        body = read_json(request)
        log.info("echo handled")
        return body

    @http("GET", "/boom")
    def boom(self, request):
        log.info("about to fail")
        raise RuntimeError(f"the value {ID_NUMBER} broke it")

    @http("POST", "/refuse")
    def refuse(self, request):
        value = read_json(request)["value"]
        raise InvalidInput(f"Cannot take {value}.", details={"value": value, "fields": {value: [value]}})


@pytest.fixture
def probe(containers, caplog):
    port = free_port()
    containers(Probe, {"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "AMQP_URI": "memory://",
                       "MAX_REQUEST_BYTES": 4 * 1024 * 1024})
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())
    workers = logging.getLogger("nameko.containers")
    worker_errors = WorkerErrorFilter()  # as deploy/config installs it
    workers.addFilter(worker_errors)
    yield f"http://127.0.0.1:{port}"
    workers.removeFilter(worker_errors)


def post(url, raw, content_type="application/json", **headers):
    if content_type:
        headers["Content-Type"] = content_type
    return requests.post(url, data=raw, headers=headers, timeout=10)


def records(caplog, text):
    return [r for r in caplog.records if text in r.getMessage()]


# --- request ids ---------------------------------------------------------------------

def test_a_sane_request_id_is_kept_and_marks_every_log_line_of_the_request(probe, caplog):
    answer = post(f"{probe}/echo", '{"a": 1}', **{"X-Request-ID": "portal:42.a-b_c"})
    assert answer.status_code == 200 and answer.headers["X-Request-ID"] == "portal:42.a-b_c"
    assert [r.request_id for r in records(caplog, "echo handled")] == ["portal:42.a-b_c"]
    access = [r for r in caplog.records if r.name == "gridgov.access"]
    assert access and access[-1].request_id == "portal:42.a-b_c"


@pytest.mark.parametrize("given", ["", "x" * 129, "a b", "id\u00e9", "<script>", "a/b", "a;b"])
def test_an_insane_request_id_is_replaced_by_a_new_one(probe, given):
    answer = requests.get(f"{probe}/no-such-path", headers={"X-Request-ID": given.encode("utf-8")}, timeout=10)
    assert answer.status_code == 404
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])


def test_every_answer_has_a_request_id_even_routing_errors(probe):
    ids = set()
    for method, path in (("GET", "/no-such-path"), ("DELETE", "/echo"), ("GET", "/boom"), ("POST", "/echo")):
        answer = requests.request(method, f"{probe}{path}", timeout=10)
        ids.add(answer.headers["X-Request-ID"])
    assert len(ids) == 4  # a new one each time


def test_a_500_names_its_request_id_and_logs_the_type_and_traceback_but_not_the_values(probe, caplog):
    answer = requests.get(f"{probe}/boom", headers={"X-Request-ID": "complaint-7"}, timeout=10)
    assert answer.status_code == 500
    assert answer.json() == {"error": "INTERNAL_ERROR", "message": "An unexpected error occurred.",
                             "details": {"request_id": "complaint-7"}}
    assert [r.request_id for r in records(caplog, "about to fail")] == ["complaint-7"]
    unexpected = records(caplog, "unexpected error")
    assert unexpected and unexpected[0].request_id == "complaint-7"
    text = unexpected[0].getMessage()
    assert "RuntimeError" in text and "in boom" in text  # the type and the frames
    assert ID_NUMBER not in text and unexpected[0].exc_info is None
    failed = [r for r in records(caplog, "[probe.boom] at") if " failed: " in r.getMessage()]  # nameko's own line for the worker
    assert failed and failed[0].request_id == "complaint-7" and "RuntimeError" in failed[0].getMessage()
    assert all(ID_NUMBER not in r.getMessage() and not r.exc_info for r in caplog.records)


def test_an_expected_error_is_one_line_with_its_code(probe, caplog):
    answer = post(f"{probe}/refuse", '{"value": "13912345678"}', **{"X-Request-ID": "expected-1"})
    assert answer.status_code == 400
    [line] = [r for r in records(caplog, "[probe.refuse] at") if " answered " in r.getMessage()]
    assert line.getMessage().endswith("answered INVALID_INPUT") and line.levelname == "INFO"
    assert line.request_id == "expected-1" and line.exc_info is None


def test_a_chunked_body_past_the_limit_is_the_clients_error_not_ours(probe, caplog):
    chunks = iter([b'{"a": "' + b"x" * (1024 * 1024)] * 5 + [b'"}'])
    answer = requests.post(f"{probe}/echo", data=chunks, headers={"Content-Type": "application/json"}, timeout=20)
    assert answer.status_code == 413 and answer.json()["error"] == "PAYLOAD_TOO_LARGE"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r for r in records(caplog, "[probe.echo] at") if r.getMessage().endswith("answered 413")]


# --- the access line ---------------------------------------------------------------------

def test_the_access_line_masks_every_query_value_but_the_listed_ones(probe, caplog):
    query = f"id_number={ID_NUMBER}&phone={PHONE}&root=3205&limit=5&status=open,handling&{PHONE}=1&name=%E9%99%88"
    answer = requests.get(f"{probe}/boom?{query}", headers={"X-Request-ID": "access-1"}, timeout=10)
    assert answer.status_code == 500
    line = [r for r in caplog.records if r.name == "gridgov.access"][-1]
    text = line.getMessage()
    assert text.startswith("GET /boom?") and " 500 " in text, text
    assert "root=3205" in text and "limit=5" in text and "status=open,handling" in text
    assert "id_number=***" in text and "phone=***" in text and "name=***" in text
    assert ID_NUMBER not in text and PHONE not in text and "%E9%99%88" not in text
    assert line.request_id == "access-1" and line.status == 500 and line.path == "/boom"
    assert all(ID_NUMBER not in r.getMessage() and PHONE not in r.getMessage() for r in caplog.records)


# --- the media type of a JSON body ---------------------------------------------------------

@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/xml", "application/jsonx"])
def test_a_json_body_must_say_it_is_json(probe, content_type):
    answer = post(f"{probe}/echo", '{"a": 1}', content_type)
    assert answer.status_code == 415, answer.text
    body = answer.json()
    assert body["error"] == "UNSUPPORTED_MEDIA_TYPE"
    assert body["details"] == {"content_type": content_type.split(";")[0] if content_type else None,
                               "required": "application/json"}
    assert "application/json" in body["message"]


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "Application/JSON", "application/geo+json", "application/problem+json"])
def test_json_and_its_suffixed_types_are_taken(probe, content_type):
    answer = post(f"{probe}/echo", '{"a": 1}', content_type)
    assert answer.status_code == 200 and answer.json() == {"a": 1}


# --- lone surrogates -----------------------------------------------------------------------

@pytest.mark.parametrize("raw, where", [
    ('{"name": "a\\ud800b"}', "name"),
    ('{"name": "\\uDFFF"}', "name"),
    ('{"list": ["ok", {"deep": "\\udc00"}]}', "list.1.deep"),
    ('{"\\ud83d": 1}', "\\ud83d"),
])
def test_a_lone_surrogate_is_a_400_naming_where_it_is(probe, raw, where):
    answer = post(f"{probe}/echo", raw)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error"] == "VALIDATION_FAILED"
    [(field, messages)] = body["details"]["fields"].items()
    assert field.encode("utf-8", "backslashreplace").decode() == where
    assert messages == ["must not contain lone UTF-16 surrogates"]


def test_a_surrogate_pair_is_one_character_and_welcome(probe):
    answer = post(f"{probe}/echo", '{"name": "\\ud83d\\ude00 \\\\ud800"}')
    assert answer.status_code == 200 and answer.json() == {"name": "\U0001F600 \\ud800"}


def test_a_nul_is_still_refused_in_the_same_walk(probe):
    answer = post(f"{probe}/echo", '{"a": ["\\ud83d\\ude00", "x\\u0000"]}')
    assert answer.status_code == 400
    assert answer.json()["details"]["fields"] == {"a.1": ["must not contain NUL characters"]}


def test_an_error_echoing_a_surrogate_still_has_a_json_body():
    from common.http import json_response

    response = json_response({"error": "X", "message": "bad \ud800", "details": {"\udfff": "\ud800"}}, 400)
    assert json.loads(response.get_data()) == {"error": "X", "message": "bad \ud800", "details": {"\udfff": "\ud800"}}


# --- echoes --------------------------------------------------------------------------------

def test_no_error_body_grows_with_its_input(probe):
    value = "长" * 1_000_000
    answer = post(f"{probe}/refuse", json.dumps({"value": value}, ensure_ascii=False).encode())
    assert answer.status_code == 400
    assert len(answer.content) < 4000
    body = answer.json()
    assert len(body["message"]) <= 500 and body["message"].endswith("…")
    assert len(body["details"]["value"]) <= 200 and body["details"]["value"].endswith("…")
    [(key, [message])] = body["details"]["fields"].items()
    assert len(key) <= 200 and len(message) <= 200


# --- the edges of HTTP ---------------------------------------------------------------------

def raw_exchange(url, request_bytes, read_timeout=10):
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=read_timeout) as sock:
        sock.sendall(request_bytes)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    headers = dict(line.split(": ", 1) for line in head.decode("latin-1").split("\r\n")[1:])
    return status, headers, body


def assert_json_error(status, headers, body, expected_status, code):
    assert status == expected_status, (status, body)
    assert headers["Content-Type"] == "application/json"
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])
    payload = json.loads(body)
    assert payload["error"] == code and payload["message"] and isinstance(payload["details"], dict)
    return payload


def test_a_request_line_too_long_is_a_json_414(probe, caplog):
    answer = requests.get(f"{probe}/echo?phone={PHONE}&pad=" + "a" * 10_000, timeout=10)
    payload = assert_json_error(answer.status_code, answer.headers, answer.content, 414, "URI_TOO_LONG")
    assert payload["details"] == {"max_bytes": 8192}
    access = [r for r in caplog.records if r.name == "gridgov.access"][-1]
    assert access.status == 414 and PHONE not in access.getMessage()


@pytest.mark.parametrize("headers", [
    {"X-Big": "a" * (1024 * 1024)},  # one header of 1 MB
    {f"X-H{i}": "b" * 4000 for i in range(20)},  # 80 KB of headers, none too long alone
    {f"X-N{i}": "c" for i in range(120)},  # more headers than http.server takes
])
def test_headers_too_large_are_a_json_431(probe, headers):
    answer = requests.get(f"{probe}/echo", headers=headers, timeout=20)
    assert_json_error(answer.status_code, answer.headers, answer.content, 431, "HEADERS_TOO_LARGE")


@pytest.mark.parametrize("extra, code", [
    (b"Content-Length: -5\r\n", "INVALID_CONTENT_LENGTH"),
    (b"Content-Length: ten\r\n", "INVALID_CONTENT_LENGTH"),
    (b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n", "BAD_REQUEST"),
])
def test_a_malformed_request_is_a_json_400(probe, extra, code):
    status, headers, body = raw_exchange(probe, b"POST /echo HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n{}")
    assert_json_error(status, headers, body, 400, code)


def test_a_request_http_server_cannot_parse_is_a_json_400(probe):
    status, headers, body = raw_exchange(probe, b"GET /echo HTTP/9.x\r\nHost: x\r\n\r\n")
    assert_json_error(status, headers, body, 400, "BAD_REQUEST")
