"""``GET /healthz`` and ``GET /metrics`` for every component, written once.

A service class inherits :class:`OpsEndpoints`; health is 200 only when the
service's database (if it has one) and the broker answer, else 503 naming the
failing part.
"""
import logging

import eventlet
from kombu import Connection
from nameko.extensions import DependencyProvider
from prometheus_client import CONTENT_TYPE_LATEST
from werkzeug.wrappers import Response

from common import config as cfg
from common.db import Database
from common.http import http
from common.logs import RequestIds
from common.metrics import Metrics, metrics_for

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 3.0


def check_broker(amqp_uri, timeout=CHECK_TIMEOUT_SECONDS):
    with eventlet.Timeout(timeout):
        with Connection(amqp_uri, connect_timeout=timeout) as connection:
            connection.connect()


def check_database(handle, timeout=CHECK_TIMEOUT_SECONDS):
    with eventlet.Timeout(timeout):
        handle.ping()


def _run_check(check, *args):
    try:
        check(*args)
        return "ok"
    except eventlet.Timeout:
        return "timeout"
    except Exception as exc:  # the reason is the point of the answer
        return f"error: {type(exc).__name__}: {str(exc)[:200]}"


class Ops(DependencyProvider):
    def setup(self):
        self.amqp_uri = cfg.amqp_uri(self.container.config)

    def get_dependency(self, worker_ctx):
        return self

    def health(self):
        checks = {"broker": _run_check(check_broker, self.amqp_uri)}
        database = next((d for d in self.container.dependencies if isinstance(d, Database)), None)
        if database is not None:
            checks["database"] = _run_check(check_database, database.handle)
        failing = sorted(name for name, result in checks.items() if result != "ok")
        body = {
            "service": self.container.service_name,
            "status": "fail" if failing else "ok",
            "checks": checks,
        }
        if failing:
            body["failing"] = failing
        return (503 if failing else 200), body

    def metrics_text(self):
        return metrics_for(self.container).text()


class OpsEndpoints:
    """Mixin for service classes: health, metrics, per-entrypoint measurement, and
    each worker's request id on its log lines."""

    ops = Ops()
    metrics = Metrics()
    request_ids = RequestIds()

    @http("GET", "/healthz")
    def healthz(self, request):
        return self.ops.health()

    @http("GET", "/metrics")
    def prometheus_metrics(self, request):
        return Response(self.ops.metrics_text(), content_type=CONTENT_TYPE_LATEST)
