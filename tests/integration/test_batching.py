"""The batching event handler on the real broker: deliveries that wait while a
worker is busy go to the next worker together, each is acknowledged or requeued on
its own, and none is left unacknowledged."""
import time

import eventlet
from kombu import Connection, Exchange, Producer, Queue
from nameko.containers import ServiceContainer

from common.batching import FAILED, batch_event_handler

QUEUE = "evt-probe_source-ping--batch_probe.take"


class BatchProbe:
    name = "batch_probe"
    batches = []
    refused_once = set()

    @batch_event_handler("probe_source", "ping")
    def take(self, bodies):
        BatchProbe.batches.append(list(bodies))
        if len(BatchProbe.batches) == 1:
            eventlet.sleep(0.5)  # the rest pile up meanwhile
        outcomes = []
        for body in bodies:
            if body == "bad" and body not in BatchProbe.refused_once:
                BatchProbe.refused_once.add(body)
                outcomes.append(FAILED)
            else:
                outcomes.append("applied")
        return outcomes


def waiting_in_queue(uri):
    with Connection(uri) as connection:
        return Queue(QUEUE, durable=True)(connection.channel()).queue_declare(passive=True).message_count


def test_waiting_deliveries_go_together_and_a_failed_one_alone_comes_back(amqp_uri):
    BatchProbe.batches, BatchProbe.refused_once = [], set()
    container = ServiceContainer(BatchProbe, {"AMQP_URI": amqp_uri})
    container.start()
    try:
        bodies = ["first", "bad"] + [f"ping-{n}" for n in range(28)]
        with Connection(amqp_uri) as connection:
            producer = Producer(connection.channel(), exchange=Exchange("probe_source.events", type="topic",
                                                                        durable=True), serializer="json")
            for body in bodies:
                producer.publish(body, routing_key="ping", delivery_mode=2)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and sum(len(b) for b in BatchProbe.batches) < len(bodies) + 1:
            eventlet.sleep(0.05)
    finally:
        container.stop()
    handled = [body for batch in BatchProbe.batches for body in batch]
    assert sorted(handled) == sorted(bodies + ["bad"]), "each body once, the refused one twice"
    assert handled.count("bad") == 2 and handled.index("bad") > 0
    assert max(len(batch) for batch in BatchProbe.batches) > 1, BatchProbe.batches
    assert len(BatchProbe.batches) < len(bodies), "a worker per message: nothing was batched"
    assert waiting_in_queue(amqp_uri) == 0, "every delivery acknowledged"


class LingeringProbe:
    name = "linger_probe"
    batches = []  # (when, bodies)

    @batch_event_handler("probe_source", "pong", linger=1.0)
    def take(self, bodies):
        LingeringProbe.batches.append((time.monotonic(), list(bodies)))
        return ["applied"] * len(bodies)


LINGER_QUEUE = "evt-probe_source-pong--linger_probe.take"


def publish_pongs(uri, bodies, gap=0.0):
    with Connection(uri) as connection:
        producer = Producer(connection.channel(), exchange=Exchange("probe_source.events", type="topic",
                                                                    durable=True), serializer="json")
        for body in bodies:
            producer.publish(body, routing_key="pong", delivery_mode=2)
            time.sleep(gap)


def ready_in(uri, queue):
    with Connection(uri) as connection:
        return Queue(queue, durable=True)(connection.channel()).queue_declare(passive=True).message_count


def wait_for_batches(count, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(LingeringProbe.batches) < count:
        eventlet.sleep(0.02)


def test_a_lingering_handler_takes_a_trickle_together_and_hands_back_nothing_when_stopped(amqp_uri):
    LingeringProbe.batches = []
    container = ServiceContainer(LingeringProbe, {"AMQP_URI": amqp_uri})
    container.start()
    try:
        first = time.monotonic()
        publish_pongs(amqp_uri, [f"trickle-{n}" for n in range(5)], gap=0.05)
        wait_for_batches(1)
        when, bodies = LingeringProbe.batches[0]
        assert bodies == [f"trickle-{n}" for n in range(5)], LingeringProbe.batches
        assert when - first >= 0.9, "the batch did not linger"

        publish_pongs(amqp_uri, ["at-stop-1", "at-stop-2"])
        eventlet.sleep(0.3)  # delivered, lingering
        assert len(LingeringProbe.batches) == 1
    finally:
        container.stop()
    assert LingeringProbe.batches[-1][1] == ["at-stop-1", "at-stop-2"], "what lingered went when stopping"
    assert ready_in(amqp_uri, LINGER_QUEUE) == 0, "every delivery acknowledged, none handed back"


def test_the_config_turns_lingering_off(amqp_uri):
    LingeringProbe.batches = []
    container = ServiceContainer(LingeringProbe, {"AMQP_URI": amqp_uri, "BATCH_LINGER_SECONDS": "0"})
    container.start()
    try:
        sent = time.monotonic()
        publish_pongs(amqp_uri, ["lone"])
        wait_for_batches(1)
    finally:
        container.stop()
    assert [bodies for _, bodies in LingeringProbe.batches] == [["lone"]]
    assert LingeringProbe.batches[0][0] - sent < 0.9, "it lingered"
