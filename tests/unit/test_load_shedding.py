"""Health answers at once whatever the load, and load past a bound is shed with a fast
503 (issue 21: /healthz waited behind the API's workers, and requests queued without
limit). One component in this process, its every worker held by a slow entrypoint."""
import time

import eventlet
import pytest
import requests
from eventlet.event import Event

from common.http import http
from common.ops import OpsEndpoints, SharedResult
from stack import free_port

WORKERS, QUEUE_LIMIT = 2, 2


class Held(OpsEndpoints):
    name = "held"
    release = None  # set by the test: the slow entrypoint's workers wait for it

    @http("GET", "/slow")
    def slow(self, request):
        Held.release.wait()
        return {"done": True}


@pytest.fixture
def held(containers):
    Held.release = Event()
    port = free_port()
    container = containers(Held, {"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "AMQP_URI": "memory://",
                                  "max_workers": WORKERS, "HTTP_QUEUE_LIMIT": QUEUE_LIMIT})
    yield f"http://127.0.0.1:{port}", container
    if not Held.release.ready():
        Held.release.send(True)


def timed_get(url):
    started = time.monotonic()
    answer = requests.get(url, timeout=10)
    return answer, time.monotonic() - started


def sample(base, name):
    for line in requests.get(f"{base}/metrics", timeout=5).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def test_health_answers_at_once_and_one_past_the_queue_limit_gets_a_fast_503(held):
    base, _container = held
    slow = [eventlet.spawn(requests.get, f"{base}/slow", timeout=30) for _ in range(WORKERS + QUEUE_LIMIT)]
    deadline = time.monotonic() + 5
    while sample(base, "gridgov_http_waiting_requests") != QUEUE_LIMIT:  # workers busy, the queue full
        assert time.monotonic() < deadline, "the slow requests never filled workers and queue"
        eventlet.sleep(0.02)

    health, seconds = timed_get(f"{base}/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok" and seconds < 0.5, seconds

    shed, seconds = timed_get(f"{base}/slow")
    assert shed.status_code == 503 and seconds < 0.5, (shed.status_code, seconds)
    assert shed.json()["error"] == "OVERLOADED" and shed.json()["details"]["queue_limit"] == QUEUE_LIMIT
    assert shed.headers["Retry-After"] == "1"
    assert sample(base, "gridgov_http_shed_requests_total") == 1
    assert 'gridgov_entrypoint_calls_total{entrypoint="healthz",kind="http",outcome="ok"}' in \
        requests.get(f"{base}/metrics", timeout=5).text

    Held.release.send(True)
    assert [thread.wait().status_code for thread in slow] == [200] * (WORKERS + QUEUE_LIMIT), "none waiting is lost"
    assert sample(base, "gridgov_http_waiting_requests") == 0


def test_with_a_free_worker_nothing_is_shed_even_with_no_queue(containers):
    port = free_port()
    containers(Held, {"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "AMQP_URI": "memory://", "max_workers": 1,
                      "HTTP_QUEUE_LIMIT": 0})
    Held.release = Event()
    Held.release.send(True)
    assert [requests.get(f"http://127.0.0.1:{port}/slow", timeout=5).status_code for _ in range(3)] == [200] * 3


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


def test_a_shared_result_is_computed_once_a_period_and_once_for_callers_arriving_meanwhile():
    clock, calls, gate = Clock(), [], Event()

    def check():
        calls.append(clock())
        gate.wait()
        return len(calls)

    shared = SharedResult(check, 1.0, clock)
    waiting = [eventlet.spawn(shared.get) for _ in range(20)]
    eventlet.sleep(0)
    gate.send(True)
    assert [thread.wait() for thread in waiting] == [1] * 20 and len(calls) == 1
    clock.now += 0.9
    assert shared.get() == 1
    clock.now += 0.2
    assert shared.get() == 2 and len(calls) == 2
