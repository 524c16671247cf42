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


def test_a_reply_the_broker_cannot_take_is_dropped_not_raised():
    """The reply of an RPC finished while the broker is down: the caller's wait ends in
    its 503; raised, it would kill the container (found by the chaos test)."""
    from types import SimpleNamespace

    from common.rpc import _RpcConsumer

    acked = []
    consumer = _RpcConsumer()
    consumer.container = SimpleNamespace(config={"AMQP_URI": "amqp://guest:guest@127.0.0.1:9/"})  # nothing there
    consumer.queue_consumer = SimpleNamespace(ack_message=acked.append)
    message = SimpleNamespace(properties={"reply_to": "rpc.reply-test", "correlation_id": "c1",
                                          "content_type": "application/json"}, headers={})
    result, exc_info = consumer.handle_result(message, {"ok": True}, None)
    assert result == {"ok": True} and exc_info is None and acked == [message]
