"""An event handler that takes the deliveries waiting for it together.

nameko's ``event_handler`` runs one worker per message: a greenthread, every
dependency injected, and (for an idempotent consumer) one transaction and one
commit per event. Under load that overhead, not the work, is most of a consumer's
CPU. ``batch_event_handler`` runs one worker at a time per handler and hands it
every delivery that arrived meanwhile (up to ``MAX_BATCH``), so batches grow
exactly when the consumer falls behind. These handlers share a consumer
connection of their own whose prefetch is ``PREFETCH`` (two batches): with the
container's (one per worker, 10 by default) a batch could never pass 10, and with
one batch's worth the next batch would start with the few deliveries the broker
had sent back after the last acknowledgements, not a full one.

A lone event goes through at once, unless the handler lingers: with ``linger``
seconds (``BATCH_LINGER_SECONDS`` in the config or environment overrides it for
every batch handler of a service), a batch that is not full waits until its oldest
delivery has waited that long, so a consumer that keeps up takes a few events per
transaction instead of one (a fraction of the CPU per event, for that much
latency). A full batch, and anything waiting when the service stops, goes at once.

The method gets a list of message bodies and returns a list of outcomes, one per
body; an outcome of ``"failed"`` requeues that message, any other acknowledges it.
If the worker raises, the whole batch is requeued. Several replicas each take
their own batches from the shared queue, as before.
"""
import time
from functools import partial

import eventlet
from nameko.containers import ContainerBeingKilled
from nameko.events import EventHandler

from common import config as cfg
from common.queues import CheckedQueueConsumer, typed

FAILED = "failed"
MAX_BATCH = 100
PREFETCH = 2 * MAX_BATCH  # the next batch waits, whole, while one is worked on


class BatchQueueConsumer(CheckedQueueConsumer):
    @property
    def prefetch_count(self):
        return PREFETCH


class BatchEventHandler(EventHandler):
    queue_consumer = BatchQueueConsumer()

    def __init__(self, source_service, event_type, linger=0.0, **kwargs):
        super().__init__(source_service, event_type, reliable_delivery=True, requeue_on_error=True, **kwargs)
        self.linger = linger
        self._waiting = []  # (body, message, when it arrived) delivered, not yet handed to a worker
        self._busy = False
        self._stopping = False
        self._timer = None  # the start of a lingering batch, when one is due

    def setup(self):
        super().setup()
        typed(self.queue, self.container.config)  # AMQP_QUEUE_TYPE (common.queues)
        self.linger = max(0.0, cfg.env_float("BATCH_LINGER_SECONDS", self.linger, self.container.config))

    def stop(self):
        self._stopping = True  # what waits goes now, without lingering
        self._consider()
        super().stop()

    def kill(self):
        self._cancel_timer()
        super().kill()

    def handle_message(self, body, message):
        self._waiting.append((body, message, time.monotonic()))
        self._consider()

    def _consider(self):
        """Start a batch if one is due: the handler is free and something waits, and
        the batch is full, or its oldest delivery has lingered long enough, or the
        service is stopping. Else, if something waits, start it when it is due."""
        if self._busy or not self._waiting:
            return
        due_in = 0.0 if self._stopping else self._waiting[0][2] + self.linger - time.monotonic()
        if due_in <= 0 or len(self._waiting) >= MAX_BATCH:
            self._start_batch()
        elif self._timer is None:
            self._timer = eventlet.spawn_after(due_in, self._linger_over)

    def _linger_over(self):
        self._timer = None
        self._consider()

    def _cancel_timer(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _start_batch(self):
        self._cancel_timer()
        if self._busy or not self._waiting:  # a timer that fired late finds nothing to do
            return
        batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
        self._busy = True
        try:
            self.container.spawn_worker(
                self, ([body for body, _, _ in batch],), {},
                context_data=self.unpack_message_headers(batch[0][1]),
                handle_result=partial(self._batch_done, batch))
        except ContainerBeingKilled:
            self._busy = False
            for _, message, _ in batch + self._waiting:
                self.queue_consumer.requeue_message(message)
            self._waiting = []

    def _batch_done(self, batch, worker_ctx, result=None, exc_info=None):
        complete = exc_info is None and isinstance(result, list) and len(result) == len(batch)
        outcomes = result if complete else [FAILED] * len(batch)
        for (_, message, _), outcome in zip(batch, outcomes):
            if outcome == FAILED:
                self.queue_consumer.requeue_message(message)
            else:
                self.queue_consumer.ack_message(message)
        self._busy = False
        self._consider()
        return result, exc_info


batch_event_handler = BatchEventHandler.decorator
