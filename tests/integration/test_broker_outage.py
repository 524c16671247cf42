"""A broker outage is reported as one (issue 21: during a RabbitMQ stop every failure
was a 503 SERVICE_UNAVAILABLE naming a service). A gateway alone, its broker reached
through a TCP gate this test shuts: the machine's RabbitMQ keeps running for others."""
import time
from urllib.parse import urlsplit, urlunsplit

import requests

import infra as infrastructure
from common.launcher import BY_NAME, ServiceProcess
from stack import stack_env
from tcpgate import TcpGate


def sign_in(process):
    started = time.monotonic()
    answer = requests.post(f"{process.url}/api/v1/auth/login", json={"username": "nobody", "password": "x" * 12},
                           timeout=15)
    return answer.status_code, answer.json().get("error"), time.monotonic() - started


def test_a_request_during_a_broker_outage_is_answered_broker_unavailable(broker, tmp_path):
    vhost, amqp_uri = infrastructure.create_vhost(broker)
    parts = urlsplit(amqp_uri)
    gate = TcpGate(parts.hostname, parts.port or 5672).open()
    through_gate = urlunsplit(parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:{gate.port}"))
    gateway = ServiceProcess(BY_NAME["gateway"], stack_env(through_gate, {}, tmp_path), tmp_path / "gateway.log")
    try:
        gateway.start().wait_healthy(60)
        gate.shut()
        status, code, seconds = sign_in(gateway)
        assert (status, code) == (503, "BROKER_UNAVAILABLE") and seconds < 4, (status, code, seconds)
        assert requests.get(f"{gateway.url}/healthz", timeout=5).json()["failing"] == ["broker"]

        gate.open()  # back: the same request names people, which is not running, instead
        deadline = time.monotonic() + 30
        while sign_in(gateway)[:2] != (503, "SERVICE_UNAVAILABLE"):
            assert time.monotonic() < deadline, "the gateway did not reconnect to the broker"
    finally:
        gateway.kill()
        gate.shut()
        infrastructure.delete_vhost(broker, vhost)
