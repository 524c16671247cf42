"""The load driver (devtools.load) against a small HTTP server that fails on purpose:
retries keep their Idempotency-Key until acknowledged, a keyless request is never
retried, and the report counts 503s by code. The audit of what was stored (chaos and
cluster test). Also the soak's growth rule."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.soak import growth_failures
from devtools.load import Client, Intake, LoadDriver, audit_intakes, intake_description, parse_mix


class FlakyGateway(BaseHTTPRequestHandler):
    """Answers the first ``failures`` requests with a 503 (BROKER_UNAVAILABLE), then 201."""
    failures = 2
    seen = []

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        FlakyGateway.seen.append(self.headers.get("Idempotency-Key"))
        failing = len(FlakyGateway.seen) <= FlakyGateway.failures
        body = {"error": "BROKER_UNAVAILABLE"} if failing else {"id": "t1", "version": 1}
        payload = json.dumps(body).encode()
        self.send_response(503 if failing else 201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    FlakyGateway.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_keyed_request_is_retried_with_its_key_until_acknowledged(gateway):
    driver = LoadDriver(gateway, retry_seconds=10)
    status, body, attempts, outcomes = Client(driver).until_acknowledged(
        "intake", "POST", "/api/v1/tickets", "token", {"x": 1}, "key-1")
    assert (status, attempts, outcomes) == (201, 3, [503, 503, 201]) and body["id"] == "t1"
    assert FlakyGateway.seen == ["key-1"] * 3
    report = driver.report()
    assert report["kinds"]["intake"]["failed_503"] == {"BROKER_UNAVAILABLE": 2}
    assert report["requests_sent"] == 3 and report["requests_ok"] == 1 and report["requests_failed_503"] == 2


def test_a_keyless_request_is_not_retried(gateway):
    driver = LoadDriver(gateway, retry_seconds=10)
    status, _, attempts, _ = Client(driver).until_acknowledged("intake_keyless", "POST", "/api/v1/tickets",
                                                               "token", {"x": 1}, None)
    assert (status, attempts) == (503, 1) and FlakyGateway.seen == [None]


def test_a_gateway_that_does_not_answer_is_a_connection_error():
    driver = LoadDriver("http://127.0.0.1:9", retry_seconds=0.1)  # the discard port: nothing listens
    status, _, _, _ = Client(driver).until_acknowledged("intake", "POST", "/x", "token", {}, "k")
    assert status is None
    assert {a.outcome for a in driver.attempts()} == {"connection_error"}


def test_the_mix_names_its_kinds_and_weights():
    assert parse_mix("intake=3, read=1") == {"intake": 3, "intake_keyless": 0, "action": 0, "read": 1,
                                             "statistics": 0}
    for bad in ("intake=x", "writes=3", "intake=0"):
        with pytest.raises(ValueError, match="LOAD_MIX"):
            parse_mix(bad)


def test_the_audit_finds_lost_doubled_and_unsent_tickets():
    keyed = Intake("load:r:1", "k1", acknowledged=True)
    keyless = Intake("load:r:2", None, acknowledged=True)
    given_up = Intake("load:r:3", "k3")  # a 503: stored or not, both are fine
    intakes = [keyed, keyless, given_up]
    clean = audit_intakes(intakes, [intake_description(i.marker) for i in (keyed, keyless, given_up)])
    assert clean.failures == [] and clean.stored == 3
    assert audit_intakes(intakes, [intake_description(keyed.marker)]).lost == ["load:r:2"]
    bad = audit_intakes(intakes, [intake_description(keyed.marker)] * 2 + [intake_description(keyless.marker),
                                                                           "楼道垃圾桶满溢 load:other:9"])
    assert (bad.lost, bad.doubled, bad.unknown) == ([], {"load:r:1": 2}, {"楼道垃圾桶满溢 load:other:9"})
    assert len(bad.failures) == 2


def test_the_soak_fails_a_component_that_grew_over_the_bound():
    start = {"grid": 100, "tickets": 100}
    assert growth_failures(start, {"grid": 110, "tickets": 111}, 0.10) == {"tickets": pytest.approx(0.11)}
    assert growth_failures(start, {"grid": 100, "tickets": 90}, 0.10) == {}
