"""Rate limits at the door: requests a minute per caller and per client address.

A signed-in request counts against its caller (``caller_identity``: the API key it
came with, else its account), a public one, or one whose token fails, against its
client address (``Callers.client_address``: X-Forwarded-For only from
TRUSTED_PROXIES). Past a limit the answer is 429 ``RATE_LIMITED`` naming the limit,
with ``Retry-After`` (common.http). ``/healthz`` and ``/metrics`` are not limited
(``Route.limited``): a monitor must never be turned away.

Each limit is a token bucket: it holds ``per_minute`` requests (a burst that large is
allowed), and refills at ``per_minute`` a minute. The buckets live in this gateway
process (``LocalBuckets``), so with N replicas behind a balancer a client gets up to
N times the limit; with ``REDIS_URL`` set every replica takes from the same buckets
(``RedisBuckets``). A Redis that does not answer lets requests through (logged): the
limit protects the platform, and turning every client away because the counter is
down would be the outage it is there to prevent.
"""
import logging
import math
import time
from dataclasses import dataclass

import redis

from common import config as cfg
from common.errors import TooManyRequests

log = logging.getLogger(__name__)

SECONDS_A_MINUTE = 60.0


@dataclass(frozen=True)
class Limit:
    """One limit: what it counts (``applies_to``), the variable that sets it, its
    default, and how many requests a minute it allows (0: none, the limit is off)."""
    applies_to: str
    setting: str
    default: int
    per_minute: int = 0

    def configured(self, config):
        value = cfg.env_int(self.setting, self.default, config)
        if value < 0:
            raise ValueError(f"{self.setting} must be 0 (off) or a number of requests a minute, got {value}")
        return Limit(self.applies_to, self.setting, self.default, value)

    @property
    def per_second(self):
        return self.per_minute / SECONDS_A_MINUTE


# The limits and their defaults, declared once (README, Configuration). A caller's is
# the larger: a grid worker's app syncing its day sends bursts, while an address
# counts only what comes without a valid token (public routes, failed tokens).
PER_CALLER = Limit("caller", "RATE_LIMIT_PER_MINUTE", 600)
PER_ADDRESS = Limit("address", "RATE_LIMIT_ADDRESS_PER_MINUTE", 300)


def caller_identity(actor):
    """Whom a signed-in request counts against: ``key:<id>`` when it came with an API
    key (each key its own budget, so one department's system cannot starve another's
    using the same account), else ``account:<id>``."""
    key_id = getattr(actor, "api_key_id", None)
    return f"key:{key_id}" if key_id else f"account:{actor.account_id}"


def take(tokens, elapsed, capacity, per_second):
    """The token bucket, once: a bucket holding ``tokens`` ``elapsed`` seconds ago is
    refilled, and one token taken if there is one. Returns (tokens left, seconds to
    wait: 0 when the request may go)."""
    tokens = min(capacity, tokens + max(0.0, elapsed) * per_second)
    if tokens >= 1:
        return tokens - 1, 0.0
    return tokens, (1 - tokens) / per_second


class LocalBuckets:
    """Buckets in this process (eventlet: ``take`` never yields, so needs no lock).
    A bucket idle for a minute is full again, as good as none: such buckets are
    dropped now and then, so the map holds only the last minute's callers."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.buckets = {}  # key -> (tokens, when)
        self.pruned = clock()

    def take(self, key, capacity, per_second):
        now = self.clock()
        tokens, when = self.buckets.get(key, (capacity, now))
        tokens, wait = take(tokens, now - when, capacity, per_second)
        self.buckets[key] = (tokens, now)
        if now - self.pruned > SECONDS_A_MINUTE:
            self.pruned = now
            for idle in [k for k, (_, last) in self.buckets.items() if now - last >= SECONDS_A_MINUTE]:
                del self.buckets[idle]
        return wait


class RedisBuckets:
    """Buckets in Redis, shared by every gateway replica: the same bucket as ``take``,
    in one script (atomic), on the server's clock (replicas' clocks need not agree).
    A bucket left alone until full expires."""

    SCRIPT = """
local capacity, per_second = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'when')
local tokens, when = tonumber(state[1]) or capacity, tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - when) * per_second)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / per_second end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'when', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / per_second) + 1)
return tostring(wait)
"""
    PREFIX = "gridgov:rate:"
    TIMEOUT_SECONDS = 0.25  # a request waits this long at most for its count

    def __init__(self, url):
        self.errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(url, socket_timeout=self.TIMEOUT_SECONDS,
                                           socket_connect_timeout=self.TIMEOUT_SECONDS)
        self.script = self.client.register_script(self.SCRIPT)

    def take(self, key, capacity, per_second):
        return float(self.script(keys=[self.PREFIX + key], args=[capacity, per_second]))


class RateLimits:
    """The door's limits over one store of buckets."""

    WARN_EVERY_SECONDS = 60.0

    def __init__(self, buckets, per_caller=PER_CALLER, per_address=PER_ADDRESS):
        self.buckets, self.per_caller, self.per_address = buckets, per_caller, per_address
        self.errors = getattr(buckets, "errors", ())
        self.warned = -math.inf

    def admit_caller(self, actor):
        self._admit(self.per_caller, caller_identity(actor))

    def admit_address(self, address):
        self._admit(self.per_address, f"address:{address or 'unknown'}")

    def _admit(self, limit, key):
        if limit.per_minute <= 0:
            return
        try:
            wait = self.buckets.take(key, limit.per_minute, limit.per_second)
        except self.errors as exc:
            self._warn(exc)
            return
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            per = "API key" if key.startswith("key:") else limit.applies_to
            raise TooManyRequests(
                f"More than {limit.per_minute} requests a minute from this {per} ({limit.setting}); "
                f"retry in {seconds} s.", code="RATE_LIMITED",
                details={"limit": limit.setting, "per_minute": limit.per_minute, "applies_to": limit.applies_to,
                         "retry_after_seconds": seconds})

    def _warn(self, exc):
        now = time.monotonic()
        if now - self.warned >= self.WARN_EVERY_SECONDS:  # one line a minute, not one a request
            self.warned = now
            log.warning("rate limits not applied: the shared store does not answer (%s)", type(exc).__name__)


def from_config(config):
    """The gateway's limits: RATE_LIMIT_PER_MINUTE, RATE_LIMIT_ADDRESS_PER_MINUTE, and
    REDIS_URL for buckets every replica shares."""
    url = cfg.env("REDIS_URL", "", config)
    buckets = RedisBuckets(url) if url else LocalBuckets()
    return RateLimits(buckets, PER_CALLER.configured(config), PER_ADDRESS.configured(config))
