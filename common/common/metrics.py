"""Prometheus metrics, one registry per service container.

prometheus-client's global registry would reject a second container in the same
process (tests run several); so each container gets its own registry, exposed by
its own ``GET /metrics``. One prefix, base units, bounded label values.
"""
import time
import weakref

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from werkzeug.wrappers import Response

from common.errors import http_status

PREFIX = "gridgov"

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class PlatformMetrics:
    def __init__(self):
        disable_created_metrics()  # the *_created series only add noise to scrapes
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.entrypoint_calls = Counter(
            f"{PREFIX}_entrypoint_calls", "Entrypoint calls by outcome "
            "(ok, rejected = expected 4xx-type error, error = failure).",
            ["kind", "entrypoint", "outcome"], registry=r)
        self.entrypoint_duration = Histogram(
            f"{PREFIX}_entrypoint_duration_seconds", "Entrypoint latency.",
            ["kind", "entrypoint"], buckets=LATENCY_BUCKETS, registry=r)
        self.events_consumed = Counter(
            f"{PREFIX}_events_consumed", "Events received by idempotent consumers "
            "(applied, duplicate, rejected = invalid envelope, failed = requeued to retry).",
            ["event_type", "outcome"], registry=r)
        self.event_batch_size = Histogram(
            f"{PREFIX}_event_batch_size", "Deliveries an idempotent consumer took in one "
            "transaction (above 1 when it fell behind).",
            ["event_type"], buckets=(1, 2, 5, 10, 20, 50, 100), registry=r)
        self.outbox_relayed = Counter(
            f"{PREFIX}_outbox_relayed", "Outbox events published to the broker.",
            ["event_type"], registry=r)
        self.outbox_unroutable = Counter(
            f"{PREFIX}_outbox_unroutable", "Outbox events of a type nobody subscribes to, published "
            "while no queue was bound (the broker dropped them: announcements nobody listens to).",
            ["event_type"], registry=r)
        self.outbox_publish_failures = Counter(
            f"{PREFIX}_outbox_publish_failures", "Failed attempts to publish an outbox "
            "event (it stays pending and is retried).", registry=r)
        self.http_waiting = Gauge(
            f"{PREFIX}_http_waiting_requests", "HTTP requests waiting for a free worker now "
            "(bounded by HTTP_QUEUE_LIMIT).", registry=r)
        self.http_shed = Counter(
            f"{PREFIX}_http_shed_requests", "HTTP requests refused at once with 503 OVERLOADED "
            "because HTTP_QUEUE_LIMIT requests already waited for a worker.", registry=r)
        self.deadline_exceeded = Counter(
            f"{PREFIX}_deadline_exceeded", "Transactions rolled back instead of committed because "
            "the caller had stopped waiting for the answer (its deadline passed).", registry=r)

    def text(self):
        return generate_latest(self.registry)


class DatabaseCollector:
    """A custom collector whose figures are read from the service's database at
    scrape time (so every replica reports the same truth); subclasses give collect()."""

    def __init__(self, db):
        self.db = db

    def describe(self):
        return []  # no query at registration time

    def collect(self):
        raise NotImplementedError


def metrics_for(container):
    """The container's metrics (extensions see the container through a weak proxy,
    so the metrics live as an attribute of the container itself)."""
    metrics = getattr(container, "gridgov_metrics", None)
    if metrics is None:
        metrics = PlatformMetrics()
        container.gridgov_metrics = metrics
    return metrics


ENTRYPOINT_KINDS = ((Rpc, "rpc"), (HttpRequestHandler, "http"), (EventHandler, "event"), (Timer, "timer"))


def entrypoint_kind(entrypoint):
    for cls, kind in ENTRYPOINT_KINDS:
        if isinstance(entrypoint, cls):
            return kind
    return "other"


def outcome_of(result, exc_info):
    if exc_info is not None:
        return "rejected" if http_status(exc_info[1]) < 500 else "error"
    status = None
    if isinstance(result, Response):
        status = result.status_code
    elif isinstance(result, tuple) and result and isinstance(result[0], int):
        status = result[0]
    if status is None or status < 400:
        return "ok"
    return "rejected" if status < 500 else "error"


class Metrics(DependencyProvider):
    """Counts and times every entrypoint of its container."""

    def setup(self):
        self.metrics = metrics_for(self.container)
        self._started = weakref.WeakKeyDictionary()

    def get_dependency(self, worker_ctx):
        return self.metrics

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        kind = entrypoint_kind(worker_ctx.entrypoint)
        name = worker_ctx.entrypoint.method_name
        self.metrics.entrypoint_calls.labels(kind, name, outcome_of(result, exc_info)).inc()
        if started is not None:
            self.metrics.entrypoint_duration.labels(kind, name).observe(time.perf_counter() - started)
