"""Limits at the real door: past RATE_LIMIT_PER_MINUTE (per account) and
RATE_LIMIT_ADDRESS_PER_MINUTE (per client address) a 429 with Retry-After naming the
limit, /healthz never; and cross-origin requests from CORS_ORIGINS only. The gateway
runs with low limits and an allow-list for this test, then with the suite's again."""
import pytest

ORIGIN = "https://oa.example.gov.cn"


@pytest.fixture(scope="module")
def tokens(stack):
    """Two accounts' tokens (signed in before the limits fall), then the gateway with
    low limits and an allow-list; the suite's settings again after the module."""
    admin = stack.login()
    tokens = {"admin": admin, "auditor": stack.new_account(admin, ["auditor"], "320508")}
    stack.restart("gateway", RATE_LIMIT_PER_MINUTE=3, RATE_LIMIT_ADDRESS_PER_MINUTE=2, CORS_ORIGINS=ORIGIN)
    try:
        yield tokens
    finally:
        stack.restart("gateway")


def test_past_a_limit_the_answer_is_429_naming_it_with_retry_after(stack, tokens):
    admin, other = tokens["admin"], tokens["auditor"]
    answers = [stack.call("GET", "/api/v1/me", admin) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 20  # a token every 20 s at 3 a minute
    assert refused.json()["error"] == "RATE_LIMITED"
    assert refused.json()["details"]["limit"] == "RATE_LIMIT_PER_MINUTE"
    assert stack.call("GET", "/api/v1/me", other).status_code == 200, "each account its own budget"

    # Public routes count per client address (X-Forwarded-For from the trusted proxy).
    public = [stack.call("GET", "/api/v1/openapi.json", headers={"X-Forwarded-For": "198.51.100.7"})
              for _ in range(3)]
    assert [a.status_code for a in public] == [200, 200, 429]
    assert public[-1].json()["details"]["limit"] == "RATE_LIMIT_ADDRESS_PER_MINUTE"
    assert int(public[-1].headers["Retry-After"]) >= 1
    assert stack.call("GET", "/api/v1/openapi.json",
                      headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 200
    assert all(stack.call("GET", "/healthz").status_code == 200 for _ in range(5)), "never limited"


def test_cross_origin_requests_from_the_allow_list_only(stack, tokens):
    auditor = tokens["auditor"]  # the admin's budget went on the test before
    preflight = stack.call("OPTIONS", "/api/v1/tickets", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, OPTIONS, POST"
    assert preflight.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type, Idempotency-Key"
    assert preflight.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    answer = stack.call("GET", "/api/v1/me", auditor, headers={"Origin": ORIGIN})
    assert answer.status_code == 200 and answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    stranger = stack.call("GET", "/api/v1/me", auditor, headers={"Origin": "https://elsewhere.example.com"})
    assert stranger.status_code == 200
    assert not [h for h in stranger.headers if h.lower().startswith("access-control-")]
    assert stack.call("OPTIONS", "/api/v1/no-such-route", headers={"Origin": ORIGIN}).status_code == 404
