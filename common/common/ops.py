"""``GET /healthz`` and ``GET /metrics`` for every component, written once.

A service class inherits :class:`OpsEndpoints`; health is 200 only when the
service's database (if it has one) and the broker answer, else 503 naming the
failing part.

Both are answered by the web server itself, never by a worker: a component whose
workers are all busy (a service behind it down, each call waiting for its timeout)
is still seen healthy at once. The checks' result is kept for
``HEALTH_CACHE_SECONDS``, and checks asked for meanwhile share the one running, so
a flood of health checks costs one check a second.

With ``METRICS_PORT`` set, ``/metrics`` is served on that port alone (a plain WSGI
server of its own, on the component's bind host) and the public port answers 404
for it, as for any unknown path: the gateway's port faces the internet, its
metrics do not.
"""
import logging
import time

import eventlet
import eventlet.wsgi
from eventlet.event import Event
from kombu import Connection
from nameko.extensions import DependencyProvider
from prometheus_client import CONTENT_TYPE_LATEST
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Request, Response

from common import config as cfg
from common.db import Database
from common.http import http, json_response, routing_error
from common.logs import RequestIds
from common.metrics import Metrics, metrics_for, outcome_of

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 3.0
HEALTH_CACHE_SECONDS = 1.0


def check_broker(amqp_uri, timeout=CHECK_TIMEOUT_SECONDS):
    """Every broker of ``amqp_uri`` (a cluster's ``amqp://a;amqp://b``) tried once, in
    turn, without pausing: kombu's ``connect()`` tries two and waits 2 s between them,
    so a refused connection took 2 s to tell and a cluster's third node was never asked."""
    brokers = len([uri for uri in amqp_uri.split(";") if uri.strip()])
    with eventlet.Timeout(timeout):
        with Connection(amqp_uri, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=max(0, brokers - 1), interval_start=0, interval_step=0,
                                         interval_max=0)


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


class SharedResult:
    """``get()``: ``compute()``'s result, computed again only once it is older than
    ``seconds``; callers that come while it is being computed wait for that one."""

    def __init__(self, compute, seconds, clock=time.monotonic):
        self.compute, self.seconds, self.clock = compute, seconds, clock
        self._result, self._at, self._running = None, None, None

    def get(self):
        if self._at is not None and self.clock() - self._at < self.seconds:
            return self._result
        if self._running is not None:
            return self._running.wait()
        running = self._running = Event()
        try:
            result = self.compute()
        except BaseException as exc:
            running.send_exception(exc)
            raise
        finally:
            self._running = None
        self._result, self._at = result, self.clock()
        running.send(result)
        return result


class Ops(DependencyProvider):
    def setup(self):
        self.amqp_uri = cfg.amqp_uri(self.container.config)
        self.checked = SharedResult(self.health, HEALTH_CACHE_SECONDS)
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
            answer = self._metrics_text_response()
        else:
            answer = routing_error(NotFound())
        return answer(environ, start_response)

    def get_dependency(self, worker_ctx):
        return self

    def served_without_worker(self):
        """The paths the web server answers itself (common.http.JsonWebServer)."""
        return {"/healthz": self.health_response, "/metrics": self.metrics_response}

    def health_response(self):
        return self._measured("healthz", lambda: json_response(*reversed(self.checked.get())))

    def metrics_response(self):
        """``GET /metrics`` on the public port: the metrics, or 404 when they are
        served on ``METRICS_PORT`` instead."""
        if self.metrics_port is not None:
            return routing_error(NotFound())
        return self._measured("prometheus_metrics", self._metrics_text_response)

    def _metrics_text_response(self):
        return Response(self.metrics_text(), content_type=CONTENT_TYPE_LATEST)

    def _measured(self, entrypoint, answer):
        """``answer()``, counted and timed as its entrypoint would be (common.metrics)."""
        metrics, started, response = metrics_for(self.container), time.perf_counter(), None
        try:
            response = answer()
            return response
        finally:
            outcome = "error" if response is None else outcome_of(response, None)
            metrics.entrypoint_calls.labels("http", entrypoint, outcome).inc()
            metrics.entrypoint_duration.labels("http", entrypoint).observe(time.perf_counter() - started)

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

    # Declared as routes (OPTIONS, 405, the route table); a GET never reaches them: the
    # web server answers it without a worker (see the module's doc).
    @http("GET", "/healthz")
    def healthz(self, request):
        return self.ops.health()

    @http("GET", "/metrics")
    def prometheus_metrics(self, request):
        return self.ops.metrics_response()
