"""A call that got no answer in time is the service's fault only while the broker takes
connections: with the broker down it is answered BROKER_UNAVAILABLE (issue 21: a
RabbitMQ stop was reported as 59 tickets outages)."""
import socket
import time
from types import SimpleNamespace

import eventlet
import pytest

from common.errors import Unavailable
from common.ops import check_broker
from common.rpc import BrokerProbe, call_with_timeout


class Silent:
    """A method proxy whose reply never comes."""
    method_name = "report_ticket"
    reply_listener = SimpleNamespace(forget=lambda: None)

    def call_async(self, *args, **kwargs):
        return SimpleNamespace(result=lambda: eventlet.sleep(10))


class Probe:
    def __init__(self, up):
        self._up = up

    def up(self):
        return self._up


@pytest.mark.parametrize("broker_up, code", [(True, "SERVICE_UNAVAILABLE"), (False, "BROKER_UNAVAILABLE")])
def test_no_answer_names_the_broker_when_it_is_down_and_the_service_otherwise(broker_up, code):
    with pytest.raises(Unavailable) as answered:
        call_with_timeout(Silent(), "tickets", 0.05, broker=Probe(broker_up))
    assert answered.value.code == code and answered.value.details == {"service": "tickets"}


def test_the_probe_sees_a_listening_port_and_a_closed_one():
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    port = listening.getsockname()[1]
    assert BrokerProbe(f"amqp://guest:guest@127.0.0.1:{port}/").up() is True
    listening.close()
    assert BrokerProbe(f"amqp://guest:guest@127.0.0.1:{port}/").up() is False


def test_a_cluster_is_up_while_any_of_its_nodes_takes_connections():
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    up = listening.getsockname()[1]
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    down = closed.getsockname()[1]
    closed.close()
    failover = f"amqp://guest:guest@127.0.0.1:{down}/;amqp://guest:guest@127.0.0.1:{up}/"
    assert BrokerProbe(failover).up() is True
    listening.close()
    assert BrokerProbe(failover).up() is False


def closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_the_health_check_asks_every_node_of_a_cluster_once_without_pausing(broker):
    dead = [f"amqp://guest:guest@127.0.0.1:{closed_port()}/" for _ in range(2)]
    started = time.monotonic()
    check_broker(";".join([*dead, broker.amqp_uri]))  # the third answers: up
    with pytest.raises(Exception):
        check_broker(";".join(dead))
    assert time.monotonic() - started < 1.0, "kombu's connect() paused 2 s between brokers"
