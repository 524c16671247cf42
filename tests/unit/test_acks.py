"""An ack or requeue on a connection the broker closed is dropped (the broker requeues
the message), not raised into the worker's thread, where nameko would kill the whole
container for it (found by the chaos test when RabbitMQ stopped)."""
import pytest
from nameko.messaging import QueueConsumer

import common.rpc  # noqa: F401  (installs common.acks, as every component does)
from common.batching import BatchQueueConsumer


class MessageOnAClosedSocket:
    class channel:
        connection = object()  # nameko checks only that there is one

    def __init__(self, error):
        self.error = error

    def ack(self):
        raise self.error

    def requeue(self):
        raise self.error


@pytest.mark.parametrize("error", [ConnectionResetError(104, "Connection reset by peer"),
                                   BrokenPipeError(32, "Broken pipe")])
@pytest.mark.parametrize("consumer_class", [QueueConsumer, BatchQueueConsumer])
def test_an_ack_or_requeue_on_a_lost_connection_is_dropped(consumer_class, error):
    consumer = consumer_class()
    consumer.ack_message(MessageOnAClosedSocket(error))
    consumer.requeue_message(MessageOnAClosedSocket(error))


def test_other_errors_still_raise():
    with pytest.raises(ValueError):
        QueueConsumer().ack_message(MessageOnAClosedSocket(ValueError("a bug, not a lost connection")))
