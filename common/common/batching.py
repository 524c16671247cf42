"""An event handler that takes the deliveries waiting for it together.

nameko's ``event_handler`` runs one worker per message: a greenthread, every
dependency injected, and (for an idempotent consumer) one transaction and one
commit per event. Under load that overhead, not the work, is most of a consumer's
CPU. ``batch_event_handler`` runs one worker at a time per handler and hands it
every delivery that arrived meanwhile (up to ``MAX_BATCH``), so batches grow
exactly when the consumer falls behind; a lone event still goes through at once.
These handlers share a consumer connection of their own whose prefetch is
``MAX_BATCH``: with the container's (one per worker, 10 by default) a batch could
never pass 10.

The method gets a list of message bodies and returns a list of outcomes, one per
body; an outcome of ``"failed"`` requeues that message, any other acknowledges it.
If the worker raises, the whole batch is requeued. Several replicas each take
their own batches from the shared queue, as before.
"""
from functools import partial

from nameko.containers import ContainerBeingKilled
from nameko.events import EventHandler
from nameko.messaging import QueueConsumer

FAILED = "failed"
MAX_BATCH = 100


class BatchQueueConsumer(QueueConsumer):
    @property
    def prefetch_count(self):
        return MAX_BATCH


class BatchEventHandler(EventHandler):
    queue_consumer = BatchQueueConsumer()

    def __init__(self, source_service, event_type, **kwargs):
        super().__init__(source_service, event_type, reliable_delivery=True, requeue_on_error=True, **kwargs)
        self._waiting = []  # (body, message) delivered, not yet handed to a worker
        self._busy = False

    def handle_message(self, body, message):
        self._waiting.append((body, message))
        if not self._busy:
            self._start_batch()

    def _start_batch(self):
        batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
        self._busy = True
        try:
            self.container.spawn_worker(
                self, ([body for body, _ in batch],), {},
                context_data=self.unpack_message_headers(batch[0][1]),
                handle_result=partial(self._batch_done, batch))
        except ContainerBeingKilled:
            self._busy = False
            for _, message in batch + self._waiting:
                self.queue_consumer.requeue_message(message)
            self._waiting = []

    def _batch_done(self, batch, worker_ctx, result=None, exc_info=None):
        complete = exc_info is None and isinstance(result, list) and len(result) == len(batch)
        outcomes = result if complete else [FAILED] * len(batch)
        for (_, message), outcome in zip(batch, outcomes):
            if outcome == FAILED:
                self.queue_consumer.requeue_message(message)
            else:
                self.queue_consumer.ack_message(message)
        self._busy = False
        if self._waiting:
            self._start_batch()
        return result, exc_info


batch_event_handler = BatchEventHandler.decorator
