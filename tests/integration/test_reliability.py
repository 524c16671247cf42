"""The four reliability guarantees of the foundation, on real processes, the real
broker and the real databases."""
import time
import uuid

from kombu import Connection, Exchange, Producer

from common.events import make_envelope

API = "/api/v1"


def count_in(stack, token, grid):
    response = stack.call("GET", f"{API}/scoring/tickets-reported?root={grid}", token)
    assert response.status_code == 200, response.text
    return response.json()["tickets_reported"]


def processed(stack, event_id):
    return stack.db_rows("scoring", "SELECT consumer FROM processed_events WHERE event_id = :id", id=event_id)


def outbox_row(stack, ticket_id):
    rows = stack.db_rows(
        "tickets", "SELECT event_id, published_at FROM outbox_events WHERE CAST(payload AS TEXT) LIKE :id",
        id=f"%{ticket_id}%")
    assert len(rows) == 1, rows
    return rows[0]


def test_a_event_committed_before_a_sigkill_is_delivered_once_after_restart(stack):
    grid = "320508014202001"
    token = stack.login()
    before = count_in(stack, token, grid)

    # tickets runs with its relay off: the change commits, its event stays in the outbox
    stack.restart("tickets", OUTBOX_RELAY_ENABLED="false")
    created = stack.call("POST", f"{API}/tickets", token, {"grid_code": grid, "category": "EP03", "description": "新庄村河道垃圾漂浮"})
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]
    row = outbox_row(stack, ticket_id)
    assert row["published_at"] is None
    time.sleep(1.5)
    assert count_in(stack, token, grid) == before, "the event must not be relayed yet"

    stack.kill("tickets")  # SIGKILL: no chance to clean up
    assert not stack.processes["tickets"].alive()
    assert outbox_row(stack, ticket_id)["published_at"] is None

    stack.restart("tickets")  # relay on again
    assert stack.wait_for(lambda: count_in(stack, token, grid) == before + 1), "event never delivered"
    assert outbox_row(stack, ticket_id)["published_at"] is not None
    time.sleep(2)  # a second delivery would land by now
    assert count_in(stack, token, grid) == before + 1
    assert len(processed(stack, row["event_id"])) == 1


def test_b_the_same_event_delivered_twice_is_applied_once(stack):
    grid = "320508019045002"
    token = stack.login()
    before = count_in(stack, token, grid)
    envelope = make_envelope("tickets", "ticket_reported", {
        "ticket_id": str(uuid.uuid4()), "number": "20261123-99999", "grid_code": grid,
        "source": "hotline_12345", "status": "reported", "reported_at": "2026-11-23T08:00:00+08:00",
    })
    exchange = Exchange("tickets.events", type="topic", durable=True)
    with Connection(stack.env["AMQP_URI"]) as connection:
        producer = Producer(connection.channel(), exchange=exchange, serializer="json")
        for _ in range(2):  # what a relay that died before marking the row would do
            producer.publish(envelope, routing_key="ticket_reported", message_id=envelope["event_id"],
                             delivery_mode=2, mandatory=True)
    assert stack.wait_for(lambda: len(processed(stack, envelope["event_id"])) == 1)
    time.sleep(2)
    assert count_in(stack, token, grid) == before + 1
    assert len(processed(stack, envelope["event_id"])) == 1
    metrics = __import__("requests").get(f"{stack.processes['scoring'].url}/metrics", timeout=5).text
    assert 'gridgov_events_consumed_total{event_type="ticket_reported",outcome="duplicate"}' in metrics
    assert 'gridgov_event_batch_size_count{event_type="ticket_reported"}' in metrics


def test_c_a_stopped_service_gives_a_fast_503_and_no_late_side_effect(stack):
    token = stack.login()
    marker = f"停服期间提交 {uuid.uuid4().hex[:8]}"
    stack.processes["tickets"].stop()
    try:
        started = time.monotonic()
        response = stack.call("POST", f"{API}/tickets", token,
                              {"grid_code": "320508019044003", "category": "UM01", "description": marker})
        elapsed = time.monotonic() - started
        assert response.status_code == 503, response.text
        assert elapsed < 5, f"took {elapsed:.1f}s"
        body = response.json()
        assert body["error"] == "SERVICE_UNAVAILABLE" and body["details"] == {"service": "tickets"}
        assert "tickets" in body["message"]
    finally:
        stack.restart("tickets")
    # the request expired in the queue: the restarted service must not carry it out
    time.sleep(2)
    listed = stack.call("GET", f"{API}/tickets?root=320508019044003&limit=500", token).json()["items"]
    assert marker not in [ticket["description"] for ticket in listed]


def test_c_a_stopped_service_behind_another_is_named_in_the_503(stack):
    """The gateway and tickets each wait RPC_TIMEOUT_SECONDS: tickets cuts its wait for
    grid to end before the gateway's, so the 503 names grid, the service that is down."""
    token = stack.login()
    stack.processes["grid"].stop()
    try:
        started = time.monotonic()
        response = stack.call("POST", f"{API}/tickets", token, {
            "category": "UM01", "description": "网格服务停机时上报", "location": {"lon": 120.62, "lat": 31.32}})
        elapsed = time.monotonic() - started
        assert response.status_code == 503, response.text
        assert response.json()["details"] == {"service": "grid"}, response.text
        waits = float(stack.env["RPC_TIMEOUT_SECONDS"]) - 0.5  # before the gateway stops waiting
        assert f"grid service did not answer within {waits:g} s" in response.json()["message"]
        assert elapsed < float(stack.env["RPC_TIMEOUT_SECONDS"]) + 1, f"took {elapsed:.1f}s"
    finally:
        stack.restart("grid")


def test_d_bad_json_and_schema_violations_are_400_naming_the_field(stack):
    token = stack.login()
    cases = [
        ("{not json", "INVALID_JSON", "not valid JSON"),
        ("", "INVALID_JSON", "empty"),
        ("[1, 2]", "VALIDATION_FAILED", "JSON object"),
        ('{"grid_code": "320508019044001"}', "VALIDATION_FAILED", "description"),
        ('{"grid_code": 12, "description": "x"}', "VALIDATION_FAILED", "grid_code"),
        ('{"grid_code": "320508019044001", "description": "ok", "source": "pigeon"}', "VALIDATION_FAILED",
         "source"),
    ]
    for raw, code, named in cases:
        response = stack.call("POST", f"{API}/tickets", token, data=raw,
                              headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (raw, response.text)
        body = response.json()
        assert body["error"] == code, (raw, body)
        assert named in body["message"], (raw, body)
    as_json = {"Content-Type": "application/json"}
    missing = stack.call("POST", f"{API}/tickets", token, data='{"description": "no grid"}', headers=as_json)
    assert missing.json()["details"]["fields"] == {
        "category": ["Missing data for required field."],
        "location": ["give the location (lon, lat, crs) or the grid_code"]}
    login = stack.call("POST", f"{API}/auth/login", data='{"username": "admin"}', headers=as_json)
    assert login.status_code == 400 and "password" in login.json()["message"]
    # A NUL, which JSON spells \u0000 and no database text column takes: a 400 naming where it is
    nul = stack.call("POST", f"{API}/auth/login", data='{"username": "a\\u0000b", "password": "x"}', headers=as_json)
    assert nul.status_code == 400
    assert nul.json()["details"]["fields"] == {"username": ["must not contain NUL characters"]}
    nested = stack.call("POST", f"{API}/tickets", token, {"category": "UM01", "grid_code": "320508019044001",
                                                          "description": "附件", "attachments": ["a.jpg", "b\x00.jpg"]})
    assert nested.status_code == 400 and "attachments.1" in nested.json()["details"]["fields"], nested.text
    listed = stack.call("GET", f"{API}/tickets?category=UM%00", token)
    assert listed.status_code == 400 and "category" in listed.json()["details"]["fields"], listed.text
    escaped = stack.call("POST", f"{API}/auth/login", data='{"username": "a\\\\u0000b", "password": "x"}',
                         headers=as_json)
    assert escaped.status_code == 401  # a backslash and "u0000" as text: no NUL, a plain wrong sign-in
    unknown = stack.call("GET", f"{API}/no-such-thing", token)
    assert unknown.status_code == 404 and unknown.json()["error"] == "ROUTE_NOT_FOUND"
    wrong_method = stack.call("DELETE", f"{API}/me", token)
    assert wrong_method.status_code == 405 and wrong_method.json()["details"]["allowed"] == ["GET", "HEAD"]
    account = stack.call("POST", f"{API}/accounts", token, {"username": "ab", "display_name": "x",
                                                           "password": "short", "roles": ["mayor"]})
    assert account.status_code == 400
    assert set(account.json()["details"]["fields"]) == {"username", "roles"}
    oversized = b'{"description": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    for body in (oversized, iter([oversized[i:i + 65536] for i in range(0, len(oversized), 65536)])):  # chunked
        too_big = stack.call("POST", f"{API}/tickets", token, data=body, headers={"Content-Type": "application/json"})
        assert too_big.status_code == 413 and too_big.json()["details"]["max_bytes"] == 4 * 1024 * 1024, too_big.text
    chunked = stack.call("POST", f"{API}/tickets", token, headers={"Content-Type": "application/json"},
                         data=iter([b'{"grid_code": "320508019044001", ',
                                    '"category": "UM02", "description": "分块上传"}'.encode()]))
    assert chunked.status_code == 201, chunked.text  # a body sent in chunks is read whole
