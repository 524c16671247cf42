"""The door's rate limits (gateway.limits): the token bucket, whom a request counts
against, the 429 naming the limit, and buckets shared through Redis by every gateway
replica. The limits at the real door: tests/integration/test_limits.py."""
import os
import uuid

import pytest
import redis
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from common.actor import Actor
from common.errors import AppError, TooManyRequests
from common.roles import EVERYONE
from gateway import door, limits
from gateway.auth import Callers, TokenIssuer, trusted_networks
from gateway.limits import PER_ADDRESS, PER_CALLER, LocalBuckets, RateLimits, RedisBuckets, caller_identity
from gateway.routing import Route

SECRET = "unit-test-secret-0123456789abcdef0123"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_bucket_lets_a_burst_of_its_size_through_then_one_request_per_refill():
    clock = Clock()
    buckets = LocalBuckets(clock)
    assert [buckets.take("a", 3, 0.5) for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a", 3, 0.5) == pytest.approx(2.0)  # empty: one token takes 2 s at 0.5 a second
    clock.now += 2.0
    assert buckets.take("a", 3, 0.5) == 0
    assert buckets.take("b", 3, 0.5) == 0, "each key its own bucket"
    clock.now += 3600
    assert [buckets.take("a", 3, 0.5) for _ in range(4)][-1] > 0, "refilled to its size, not beyond"


def test_buckets_idle_for_a_minute_are_forgotten():
    clock = Clock()
    buckets = LocalBuckets(clock)
    for n in range(50):
        buckets.take(f"caller-{n}", 10, 1)
    clock.now += 61
    buckets.take("late", 10, 1)
    assert set(buckets.buckets) == {"late"}


def test_a_request_counts_against_its_api_key_else_its_account():
    assert caller_identity(Actor(account_id="a1")) == "account:a1"
    assert caller_identity(Actor(account_id="k9", api_key_id="k9")) == "key:k9"  # gateway.auth.key_actor


def test_past_the_limit_a_429_names_the_setting_and_when_to_retry():
    clock = Clock()
    door = RateLimits(LocalBuckets(clock), PER_CALLER.configured({"RATE_LIMIT_PER_MINUTE": 2}),
                      PER_ADDRESS.configured({"RATE_LIMIT_ADDRESS_PER_MINUTE": 0}))
    worker = Actor(account_id="w1")
    door.admit_caller(worker)
    door.admit_caller(worker)
    with pytest.raises(TooManyRequests) as refused:
        door.admit_caller(worker)
    assert refused.value.code == "RATE_LIMITED"
    assert refused.value.details == {"limit": "RATE_LIMIT_PER_MINUTE", "per_minute": 2, "applies_to": "caller",
                                     "retry_after_seconds": 30}
    door.admit_caller(Actor(account_id="w2"))  # another account: its own budget
    for _ in range(1000):
        door.admit_address("10.0.0.1")  # 0: that limit is off


def test_a_negative_limit_stops_the_gateway_at_start():
    with pytest.raises(ValueError, match="RATE_LIMIT_ADDRESS_PER_MINUTE"):
        PER_ADDRESS.configured({"RATE_LIMIT_ADDRESS_PER_MINUTE": -1})


def test_without_redis_url_the_buckets_are_this_process_s():
    assert isinstance(limits.from_config({}).buckets, LocalBuckets)
    assert isinstance(limits.from_config({"REDIS_URL": REDIS_URL}).buckets, RedisBuckets)


@pytest.fixture
def redis_url():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {REDIS_URL} ({type(exc).__name__}): the shared buckets are not tested")
    return REDIS_URL


def test_replicas_sharing_redis_take_from_one_bucket(redis_url):
    first, second = RedisBuckets(redis_url), RedisBuckets(redis_url)  # two gateway replicas
    key = f"test:{uuid.uuid4().hex}"
    waits = [replica.take(key, 4, 4 / 60) for replica in (first, second, first, second, first)]
    assert waits[:4] == [0, 0, 0, 0]
    assert 14 < waits[4] <= 15  # a token every 15 s
    assert 0 < first.client.ttl(RedisBuckets.PREFIX + key) <= 61, "an idle bucket expires"


def test_a_redis_that_does_not_answer_lets_requests_through(caplog):
    door = RateLimits(RedisBuckets("redis://127.0.0.1:1/0"), PER_CALLER.configured({"RATE_LIMIT_PER_MINUTE": 1}))
    for _ in range(3):
        door.admit_caller(Actor(account_id="a1"))
    assert len([r for r in caplog.records if "rate limits not applied" in r.getMessage()]) == 1


# --- at the door ------------------------------------------------------------------------

class Door:
    """A gateway with its limits and tokens, and routes that call nothing."""

    def __init__(self, per_caller, per_address):
        self.tokens = Callers(TokenIssuer(SECRET), trusted_networks("127.0.0.1"))
        self.limits = RateLimits(LocalBuckets(), PER_CALLER.configured({"RATE_LIMIT_PER_MINUTE": per_caller}),
                                 PER_ADDRESS.configured({"RATE_LIMIT_ADDRESS_PER_MINUTE": per_address}))

    def send(self, route, token=None, address="10.1.1.1"):
        headers = {"X-Forwarded-For": address, **({"Authorization": f"Bearer {token}"} if token else {})}
        request = Request(EnvironBuilder(path=route.full_path, headers=headers,
                                         environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_environ())
        try:
            door.handle(self, route, request, {})
            return 200
        except AppError as exc:
            return exc.code


def _route(name, roles):
    return Route("GET", f"/{name}", name, name, roles, lambda ctx: {}, "reference", response=dict)


SIGNED_IN, PUBLIC = _route("mine", EVERYONE), _route("open", None)
HEALTH = Route("GET", "/healthz", "health", "health", None, lambda ctx: {}, "operations", response=dict,
               base="", limited=False)


def test_the_door_counts_signed_in_requests_per_caller_and_the_rest_per_address():
    gateway = Door(per_caller=2, per_address=2)
    token = TokenIssuer(SECRET).issue({"id": "acc-1", "username": "u", "roles": ["admin"]})["access_token"]
    other = TokenIssuer(SECRET).issue({"id": "acc-2", "username": "v", "roles": ["admin"]})["access_token"]
    assert [gateway.send(SIGNED_IN, token) for _ in range(3)] == [200, 200, "RATE_LIMITED"]
    assert gateway.send(SIGNED_IN, other) == 200, "another account from the same address"
    assert [gateway.send(PUBLIC) for _ in range(3)] == [200, 200, "RATE_LIMITED"]
    assert gateway.send(PUBLIC, address="10.2.2.2") == 200, "another address behind the trusted proxy"
    assert gateway.send(SIGNED_IN, "not-a-token", address="10.3.3.3") == "INVALID_TOKEN"
    assert gateway.send(SIGNED_IN, "not-a-token", address="10.3.3.3") == "INVALID_TOKEN"
    assert gateway.send(SIGNED_IN, "not-a-token", address="10.3.3.3") == "RATE_LIMITED", "bad tokens: per address"
    assert all(gateway.send(HEALTH) == 200 for _ in range(10)), "/healthz is never limited"
