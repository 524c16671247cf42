"""Acks and requeues on a connection the broker has closed are dropped, not raised.

nameko 2.14's ``QueueConsumer.ack_message`` and ``requeue_message`` ignore only
amqp's own ``ConnectionError``. When RabbitMQ stops while a worker finishes, the
socket's error (``ConnectionResetError``, ``BrokenPipeError``: ``OSError``\\ s) escapes
from the worker's thread instead, nameko kills the whole container for it, and the
process is left half-stopped, answering every request with an error and never
exiting (found by tests/integration/test_chaos.py). Nothing is lost by dropping the
ack: the broker requeues every unacked message of a closed connection, and the
consumers are idempotent (``common.inbox``).

Importing this module patches nameko's ``QueueConsumer`` (``common.rpc`` imports it,
and every component imports ``common.rpc``), so every consumer gets it: RPC
entrypoints, event handlers and ``common.batching``'s batch consumer.
"""
import functools
import logging

from amqp.exceptions import ConnectionError as AmqpConnectionError
from nameko.messaging import QueueConsumer

log = logging.getLogger(__name__)


def _dropped_on_lost_connection(settle):
    if getattr(settle, "drops_on_lost_connection", False):
        return settle  # patched already

    @functools.wraps(settle)
    def settle_or_drop(self, message):
        try:
            settle(self, message)
        except (OSError, AmqpConnectionError) as exc:  # the socket's errors are OSErrors
            log.warning("%s dropped: the broker connection is gone (%s); the broker requeues the message",
                        settle.__name__, exc)

    settle_or_drop.drops_on_lost_connection = True
    return settle_or_drop


QueueConsumer.ack_message = _dropped_on_lost_connection(QueueConsumer.ack_message)
QueueConsumer.requeue_message = _dropped_on_lost_connection(QueueConsumer.requeue_message)
