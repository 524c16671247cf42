"""The batching handler's lingering (common.batching), without a broker: a batch that
is not full waits until its oldest delivery has lingered, a full one goes at once, a
timer that fires after its batch has gone finds nothing to do (it once took
``batch[0]`` of an empty batch), and what lingers when the service stops goes at once."""
import eventlet
import pytest

from common.batching import MAX_BATCH, BatchEventHandler

LINGER = 0.2


class Message:
    def __init__(self, tag):
        self.tag, self.headers = tag, {}


class QueueConsumer:
    def __init__(self):
        self.acked, self.requeued = [], []

    def ack_message(self, message):
        self.acked.append(message.tag)

    def requeue_message(self, message):
        self.requeued.append(message.tag)

    def unregister_provider(self, provider):
        pass


class Container:
    config = {}

    def __init__(self):
        self.workers = []  # (bodies, handle_result) of each worker spawned

    def spawn_worker(self, provider, args, kwargs, context_data=None, handle_result=None):
        self.workers.append((args[0], handle_result))

    def finish(self, index=-1):
        """The worker's result: every body applied."""
        bodies, handle_result = self.workers[index]
        handle_result(None, ["applied"] * len(bodies))

    def batches(self):
        return [bodies for bodies, _ in self.workers]


@pytest.fixture
def handler():
    made = BatchEventHandler("probe_source", "ping", linger=LINGER)
    made.container, made.queue_consumer = Container(), QueueConsumer()
    yield made
    made.kill()


def deliver(handler, *tags):
    for tag in tags:
        handler.handle_message(f"body-{tag}", Message(tag))


def test_a_lone_delivery_lingers_then_goes_with_those_that_came_meanwhile(handler):
    deliver(handler, 1)
    eventlet.sleep(LINGER / 4)
    deliver(handler, 2, 3)
    assert handler.container.batches() == [], "went before lingering"
    eventlet.sleep(LINGER)
    assert handler.container.batches() == [["body-1", "body-2", "body-3"]]
    handler.container.finish()
    assert handler.queue_consumer.acked == [1, 2, 3]


def test_a_full_batch_goes_at_once_and_the_timer_finds_nothing_left(handler):
    deliver(handler, *range(MAX_BATCH))  # the first delivery set a timer; the hundredth filled the batch
    assert [len(batch) for batch in handler.container.batches()] == [MAX_BATCH]
    handler._linger_over()  # a timer firing late (it is cancelled, but may already be running)
    handler._start_batch()  # and nothing waits: no IndexError on an empty batch
    eventlet.sleep(LINGER * 1.5)
    assert len(handler.container.workers) == 1
    handler.container.finish()
    assert handler.queue_consumer.acked == list(range(MAX_BATCH))
    handler._start_batch()  # free, and nothing waits
    eventlet.sleep(LINGER * 1.5)
    assert len(handler.container.workers) == 1, "a batch of nothing was started"


def test_deliveries_during_a_batch_go_when_it_ends_if_they_lingered_long_enough(handler):
    deliver(handler, *range(MAX_BATCH))
    deliver(handler, "late")  # waits while the batch runs
    eventlet.sleep(LINGER * 1.5)
    assert len(handler.container.workers) == 1, "one worker at a time"
    handler.container.finish()
    assert handler.container.batches()[-1] == ["body-late"], "it had lingered long enough: at once"


def test_what_lingers_when_the_service_stops_goes_at_once(handler):
    deliver(handler, 1, 2)
    handler.stop()
    assert handler.container.batches() == [["body-1", "body-2"]]
    handler.container.finish()
    deliver(handler, 3)  # delivered before the consumer was cancelled: no lingering now
    assert handler.container.batches()[-1] == ["body-3"]


def test_without_lingering_a_lone_delivery_goes_at_once():
    handler = BatchEventHandler("probe_source", "ping")
    handler.container, handler.queue_consumer = Container(), QueueConsumer()
    deliver(handler, 1)
    assert handler.container.batches() == [["body-1"]]
    deliver(handler, 2, 3)  # while the first is worked on
    handler.container.finish()
    assert handler.container.batches()[-1] == ["body-2", "body-3"]

