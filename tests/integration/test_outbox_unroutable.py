"""The outbox on the real broker and database: an event published before any
consumer queue is bound for it (a first start, the consumer not up yet) is kept
and delivered once when the queue appears, not marked published and lost."""
import time

import eventlet
from nameko.events import event_handler
from sqlalchemy import select

from common.db import Database, find_dependency
from common.metrics import metrics_for
from common.outbox import Outbox, OutboxWriter, outbox_events
from scoring import MIGRATIONS_DIR


class EarlyProducer:
    name = "early_producer"
    db = Database(MIGRATIONS_DIR)  # any service's migrations carry the outbox table
    outbox = Outbox()


class LateConsumer:
    name = "late_consumer"
    received = []

    @event_handler("early_producer", "probe_happened")
    def take(self, envelope):
        LateConsumer.received.append(envelope["event_id"])


def wait_until(predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        eventlet.sleep(0.05)
    return predicate()


def test_an_event_nobody_listened_for_yet_is_delivered_once_when_the_queue_appears(amqp_uri, scratch_db, containers):
    LateConsumer.received = []
    config = {"AMQP_URI": amqp_uri, "DB_URL": scratch_db,
              "OUTBOX_POLL_SECONDS": 0.1, "OUTBOX_GRACE_SECONDS": 0.2}
    producer = containers(EarlyProducer, config)
    db = find_dependency(producer, Database).handle
    metrics = metrics_for(producer)

    with db.transaction() as session:
        event_id = OutboxWriter("early_producer").add(session, "probe_happened", {"n": 1})["event_id"]

    def unroutable():
        return metrics.registry.get_sample_value("gridgov_outbox_unroutable_total", {"event_type": "probe_happened"})

    def row():
        with db.read() as session:
            return session.execute(select(outbox_events).where(outbox_events.c.event_id == event_id)).one()

    assert wait_until(lambda: unroutable()), "the broker returned the event: no queue is bound for it"
    eventlet.sleep(0.5)  # the relay had its chances meanwhile
    assert row().published_at is None, "an unroutable event must stay pending, not be marked published"

    containers(LateConsumer, {"AMQP_URI": amqp_uri})  # declares evt-early_producer-probe_happened--late_consumer.take
    assert wait_until(lambda: LateConsumer.received), "the held event was never delivered to the queue that appeared"
    assert wait_until(lambda: row().published_at is not None)
    eventlet.sleep(1.0)  # a second delivery would land by now
    assert LateConsumer.received == [event_id], "delivered exactly once"
    assert unroutable() >= 1
    assert metrics.registry.get_sample_value("gridgov_outbox_relayed_total", {"event_type": "probe_happened"}) == 1
