"""The event queue policy on the real broker (a fresh vhost): with no consumer
running, an event queue keeps at most the policy's length and pushes the oldest
events into gridgov.dead-letters, from where ``replay`` puts them back once the
consumer has caught up (and keeps those whose queue is gone). The committed policy
is the one applied, with only its length made small."""
import json
import time

from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from common import queue_policy
from common.contract import SUBSCRIPTIONS, queue_name

SOURCE, EVENT_TYPE = "tickets", "ticket_reported"
CONSUMER = SUBSCRIPTIONS[(SOURCE, EVENT_TYPE)][0]
LIMIT, PUBLISHED = 3, 5


def depth(connection, queue, expected=None, seconds=5.0):
    """The queue's depth; with ``expected``, polled until it is that or ``seconds`` pass:
    the broker dead-letters (and moves replayed letters) asynchronously, after the
    publisher's confirm."""
    deadline = time.monotonic() + seconds
    while True:
        found = connection.default_channel.queue_declare(queue, passive=True).message_count
        if expected is None or found == expected or time.monotonic() >= deadline:
            return found
        time.sleep(0.05)


def bodies(connection, queue):
    channel = connection.channel()
    found = []
    while (message := channel.basic_get(queue, no_ack=True)) is not None:
        found.append(json.loads(message.body)["n"])
    channel.close()
    return found


def test_an_event_queue_without_consumer_overflows_into_dead_letters_and_replays(amqp_uri):
    committed = queue_policy.event_queue_policy()
    assert committed["dead-letter-exchange"] == queue_policy.DEAD_LETTER_QUEUE
    assert committed["max-length"] >= 100_000 and committed["message-ttl"] >= 7 * 24 * 3600 * 1000
    queue_policy.apply(amqp_uri, queue_policy.with_limits(**{"max-length": LIMIT}))

    event_queue = queue_name(SOURCE, EVENT_TYPE, CONSUMER)
    exchange = get_event_exchange(SOURCE, {})
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        Queue(event_queue, exchange=exchange, routing_key=EVENT_TYPE, durable=True)(connection.default_channel).declare()
        producer = connection.Producer(exchange=exchange)
        for n in range(PUBLISHED):
            producer.publish({"n": n}, routing_key=EVENT_TYPE, serializer="json", delivery_mode=2)

        assert depth(connection, event_queue, LIMIT) == LIMIT
        assert depth(connection, queue_policy.DEAD_LETTER_QUEUE, PUBLISHED - LIMIT) == PUBLISHED - LIMIT

        assert bodies(connection, event_queue) == [2, 3, 4]  # the consumer catches up
        moved = queue_policy.replay(amqp_uri, log=lambda line: None)
        assert moved == {event_queue: PUBLISHED - LIMIT}
        depth(connection, event_queue, PUBLISHED - LIMIT)
        assert bodies(connection, event_queue) == [0, 1]  # the oldest, pushed out first
        assert depth(connection, queue_policy.DEAD_LETTER_QUEUE, 0) == 0

        # a letter whose queue is gone (a retired consumer) stays, and is reported
        orphan = {"x-death": [{"queue": "evt-tickets-ticket_reported--retired.take", "reason": "expired"}]}
        connection.Producer().publish({"n": 9}, exchange=queue_policy.DEAD_LETTER_QUEUE, routing_key="",
                                      headers=orphan, serializer="json", delivery_mode=2)
        lines = []
        assert queue_policy.replay(amqp_uri, log=lines.append) == {}
        assert depth(connection, queue_policy.DEAD_LETTER_QUEUE, 1) == 1
        assert "1 dead letters left" in lines[0]
