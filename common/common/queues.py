"""The broker's queues: their type, and a clear refusal when an existing queue differs.

``AMQP_QUEUE_TYPE=quorum`` (default ``classic``) declares every durable queue shared
by a service's replicas as a quorum queue (``x-queue-type: quorum``, replicated over a
RabbitMQ cluster): the RPC queues ``rpc-<service>`` and the event queues
``evt-<source>-<event>--<service>.<method>``, by the consumers and by the outbox relay
alike (a queue must be declared with the same arguments by everyone), and the dead-letter
queue ``gridgov.dead-letters`` (common.queue_policy). Queues that live
and die with one process stay classic: a process's RPC reply queue
(``rpc.reply-<service>-<uuid>``, exclusive to its connection: common.rpc) and
auto-delete broadcast queues; quorum queues take neither exclusive nor auto-delete
queues, and replicating them would buy nothing (a reply lost with its queue ends as
its caller's timeout).

A queue's type cannot change in place: RabbitMQ refuses a declaration that differs
from the existing queue with PRECONDITION_FAILED. Every component declares its queues
once as it starts, and turns that refusal into :class:`QueueMismatch`, naming the
queue and how to migrate (docs/operations/resilience.md), instead of a consumer that
fails over and over.
"""
import logging

from amqp.exceptions import PreconditionFailed
from kombu import Connection
from nameko.messaging import QueueConsumer

from common import config as cfg

log = logging.getLogger(__name__)

QUEUE_TYPES = ("classic", "quorum")
MIGRATION_DOC = "docs/operations/resilience.md (Quorum queues: changing the type)"


def queue_type(config=None):
    value = str(cfg.env("AMQP_QUEUE_TYPE", "classic", config)).strip().lower()
    if value not in QUEUE_TYPES:
        raise ValueError(f"AMQP_QUEUE_TYPE must be one of {', '.join(QUEUE_TYPES)}, got {value!r}")
    return value


def shared_and_durable(queue):
    """A queue every replica consumes from, kept across restarts: one that may be quorum."""
    return bool(queue.durable) and not queue.exclusive and not queue.auto_delete


def typed(queue, config=None):
    """``queue``, declared as AMQP_QUEUE_TYPE asks when it is ``shared_and_durable``.
    Classic queues are declared as before, without the argument (a vhost's default
    queue type then applies, as it did)."""
    queue.queue_arguments = typed_arguments(queue.queue_arguments, shared_and_durable(queue), config)
    return queue


def typed_arguments(arguments, shared_and_durable_queue=True, config=None):
    """A queue's declaration arguments with ``x-queue-type`` as AMQP_QUEUE_TYPE asks: for
    queues declared by other means than kombu, such as the dead-letter queue through the
    management API (common.queue_policy)."""
    if queue_type(config) == "quorum" and shared_and_durable_queue:
        return {**(arguments or {}), "x-queue-type": "quorum"}
    return arguments


class QueueMismatch(RuntimeError):
    """A queue exists on the broker with other arguments (its type) than this component
    declares it with."""


def declare_checked(queues, amqp_uri, config=None):
    """Declare ``queues`` on one connection now. PRECONDITION_FAILED becomes
    QueueMismatch; a broker that cannot be reached is left to the consumer, which
    retries as it always did."""
    if not queues:
        return
    try:
        with Connection(amqp_uri, connect_timeout=5) as connection:
            channel = connection.channel()
            for queue in queues:
                try:
                    queue(channel).declare()
                except PreconditionFailed as exc:
                    raise _mismatch(queue, exc, config) from None
    except QueueMismatch:
        raise
    except Exception as exc:  # noqa: BLE001 (the consumer's own connection reports and retries)
        log.warning("declaring queues before consuming failed (the consumer retries): %s", exc)


def _mismatch(queue, exc, config):
    wanted = "quorum" if (queue.queue_arguments or {}).get("x-queue-type") == "quorum" else "classic"
    message = (
        f"RabbitMQ refuses queue {queue.name!r}: it exists with other arguments than this component declares "
        f"(AMQP_QUEUE_TYPE={queue_type(config)} declares it {wanted}). The broker said: {exc.reply_text}. "
        f"A queue's type cannot change in place. Either set AMQP_QUEUE_TYPE to the type the queues have, or "
        f"migrate: stop every component, wait until the queue is empty (rabbitmqctl list_queues name messages "
        f"type), delete the gridgov queues (rabbitmqctl delete_queue {queue.name}, and the same for every "
        f"rpc-* and evt-* queue), then start every component with the new setting. See {MIGRATION_DOC}.")
    log.critical(message)
    return QueueMismatch(message)


class CheckedQueueConsumer(QueueConsumer):
    """nameko's queue consumer, which declares its providers' shared durable queues
    itself before it starts consuming: a queue that differs from the broker's stops the
    start with QueueMismatch."""

    def start(self):
        if not self._starting:
            queues = [provider.queue for provider in self._providers
                      if getattr(provider, "queue", None) is not None and shared_and_durable(provider.queue)]
            declare_checked(queues, self.amqp_uri, self.container.config)
        super().start()
