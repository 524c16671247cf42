"""``GET /healthz`` and ``GET /metrics`` for every component, written once.

A service class inherits :class:`OpsEndpoints`; health is 200 only when the
service's database (if it has one) and the broker answer, else 503 naming the
failing part.

With ``METRICS_PORT`` set, ``/metrics`` is served on that port alone (a plain WSGI
server of its own, on the component's bind host) and the public port answers 404
for it, as for any unknown path: the gateway's port faces the internet, its
metrics do not.
"""
import logging

import eventlet
import eventlet.wsgi
from kombu import Connection
from nameko.extensions import DependencyProvider
from prometheus_client import CONTENT_TYPE_LATEST
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Request, Response

from common import config as cfg
from common.db import Database
from common.http import http, routing_error
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
        self.metrics_port = cfg.metrics_port(self.container.config)
        self._metrics_socket = self._metrics_thread = None

    def start(self):
        if self.metrics_port is None:
            return
        address = str(self.container.config.get("WEB_SERVER_ADDRESS", "0.0.0.0:8000"))
        host = address.rsplit(":", 1)[0] if ":" in address else "0.0.0.0"
        self._metrics_socket = eventlet.listen((host, self.metrics_port))
        self._metrics_thread = eventlet.spawn(eventlet.wsgi.server, self._metrics_socket, self._metrics_app,
                                              log_output=False)
        log.info("metrics served on %s:%d only", host, self.metrics_port)

    def stop(self):
        if self._metrics_thread is not None:
            self._metrics_thread.kill()
            self._metrics_socket.close()
            self._metrics_thread = self._metrics_socket = None

    def kill(self):
        self.stop()

    def _metrics_app(self, environ, start_response):
        request = Request(environ)
        if request.path == "/metrics" and request.method in ("GET", "HEAD"):
            answer = Response(self.metrics_text(), content_type=CONTENT_TYPE_LATEST)
        else:
            answer = routing_error(NotFound())
        return answer(environ, start_response)

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

    def metrics_response(self):
        """``GET /metrics`` on the public port: the metrics, or 404 when they are
        served on ``METRICS_PORT`` instead."""
        if self.metrics_port is not None:
            return routing_error(NotFound())
        return Response(self.metrics_text(), content_type=CONTENT_TYPE_LATEST)


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
        return self.ops.metrics_response()
