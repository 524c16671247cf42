"""The outbox on the real broker and database: an event published before its
consumer has ever started (a first start, a consumer rolled out after its producer)
waits in the consumer's queue, which the relay declared from the bus contract, and
is delivered once when the consumer starts. An announcement nobody subscribes to
is published and counted, not kept."""
import time

import eventlet
from nameko.events import event_handler

from common.contract import SUBSCRIPTIONS
from common.db import Database, find_dependency
from common.metrics import metrics_for
from common.outbox import Outbox, OutboxWriter
from scoring import MIGRATIONS_DIR


class EarlyProducer:
    name = "early_producer"
    db = Database(MIGRATIONS_DIR)  # any service's migrations carry the outbox table
    outbox = Outbox(subscriptions={"probe_happened": ("late_consumer.take",)})


class LateConsumer:
    name = "late_consumer"
    received = []

    @event_handler("early_producer", "probe_happened")  # nameko's own declaration of the queue
    def take(self, envelope):
        LateConsumer.received.append(envelope["event_id"])


def wait_until(predicate, seconds=30.0):  # generous: a loaded CI machine, not the relay, is slow
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        eventlet.sleep(0.05)
    return predicate()


def test_an_event_published_before_its_consumer_ever_started_reaches_it_once(amqp_uri, scratch_db, containers):
    LateConsumer.received = []
    producer = containers(EarlyProducer, {"AMQP_URI": amqp_uri, "DB_URL": scratch_db})
    db, metrics = find_dependency(producer, Database).handle, metrics_for(producer)

    def sample(name, event_type):
        return metrics.registry.get_sample_value(name, {"event_type": event_type}) or 0

    with db.transaction() as session:
        writer = OutboxWriter("early_producer")
        subscribed = writer.add(session, "probe_happened", {"n": 1})["event_id"]
        writer.add(session, "probe_announced", {"n": 2})  # nobody subscribes to it
    assert wait_until(lambda: sample("gridgov_outbox_relayed_total", "probe_happened") == 1)
    assert wait_until(lambda: sample("gridgov_outbox_unroutable_total", "probe_announced") == 1)

    containers(LateConsumer, {"AMQP_URI": amqp_uri})  # declares the same queue again: no clash
    assert wait_until(lambda: LateConsumer.received), "the event published before the consumer started was lost"
    eventlet.sleep(1.0)  # a second delivery would land by now
    assert LateConsumer.received == [subscribed], "delivered exactly once"


def test_the_contracts_own_producers_declare_their_consumers_queues(amqp_uri, scratch_db, containers):
    """The default subscriptions come from the bus contract (tickets' ticket_reported
    queues for scoring and grid exist before either has started)."""
    from kombu import Connection

    class Tickets:
        name = "tickets"
        db = Database(MIGRATIONS_DIR)
        outbox = Outbox()

    producer = containers(Tickets, {"AMQP_URI": amqp_uri, "DB_URL": scratch_db})
    with find_dependency(producer, Database).handle.transaction() as session:
        OutboxWriter("tickets").add(session, "ticket_reported", {"ticket_id": "t1"})
    metrics = metrics_for(producer)
    assert wait_until(lambda: metrics.registry.get_sample_value(
        "gridgov_outbox_relayed_total", {"event_type": "ticket_reported"}) == 1)
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        for consumer in SUBSCRIPTIONS[("tickets", "ticket_reported")]:
            queue = f"evt-tickets-ticket_reported--{consumer}"
            assert channel.queue_declare(queue, passive=True).message_count == 1, queue


def test_a_subscribed_event_whose_queue_was_deleted_stays_pending_until_the_queue_is_back(
        amqp_uri, scratch_db, containers):
    from kombu import Connection

    config = {"AMQP_URI": amqp_uri, "DB_URL": scratch_db, "OUTBOX_POLL_SECONDS": 0.2, "OUTBOX_GRACE_SECONDS": 0.2}
    producer = containers(EarlyProducer, config)
    db, metrics = find_dependency(producer, Database).handle, metrics_for(producer)
    queue = "evt-early_producer-probe_happened--late_consumer.take"

    def relayed():
        return metrics.registry.get_sample_value("gridgov_outbox_relayed_total", {"event_type": "probe_happened"})

    def publish(n):
        with db.transaction() as session:
            OutboxWriter("early_producer").add(session, "probe_happened", {"n": n})

    publish(1)
    assert wait_until(lambda: relayed() == 1)
    with Connection(amqp_uri) as connection:
        connection.channel().queue_delete(queue)  # an operator's slip
    publish(2)  # no queue: the broker returns it, the relay keeps it
    assert wait_until(lambda: metrics.registry.get_sample_value("gridgov_outbox_publish_failures_total") >= 1)
    find_dependency(producer, Outbox).declare_consumer_queues()  # what the relay does every minute
    assert wait_until(lambda: relayed() == 2), "the kept event was not published once its queue was back"
    with Connection(amqp_uri) as connection:
        assert connection.channel().queue_declare(queue, passive=True).message_count == 1
