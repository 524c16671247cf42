"""Transactional outbox: an event row is written in the same transaction as the
change it announces, and a relay publishes committed rows to RabbitMQ.

- No event for a rolled-back change: the row rolls back with it.
- No lost event for a committed one: the row stays until the broker confirmed it.
- Fast: a process publishes the events it has just committed from memory, in
  commit order, and marks them published with one statement. The table is read
  only by the poll pass, the safety net for events a process committed but did
  not publish (it died, or the broker failed): every ``OUTBOX_POLL_SECONDS`` it
  takes rows older than ``OUTBOX_GRACE_SECONDS`` (default 5), so it leaves fresh
  events to the process that committed them; right after start it takes them all.
- Several replicas: on PostgreSQL each poll pass claims rows with
  ``FOR UPDATE SKIP LOCKED``, so two relays never publish the same batch at once.
  A relay killed between publishing and marking publishes again after restart:
  delivery is at-least-once, and consumers are idempotent (``common.inbox``).

Events go to nameko's event exchange ``<service>.events`` with the event type as
routing key, so ordinary ``@event_handler(service, event_type)`` queues receive them.

- Not lost to a consumer that has never started: nameko declares a consumer's
  durable queue when the consumer first starts, and the broker drops an event no
  queue is bound for. So the relay declares the queues of the bus contract's
  subscriptions to its events (``common.contract``) itself, named and bound as
  nameko declares them: an event published on a first start, or before a consumer
  rolled out after its producer, waits in that consumer's queue. It declares them
  again every minute (a queue deleted meanwhile comes back), and a subscribed event
  that still reaches no queue stays pending and is retried. An event type nobody
  subscribes to is an announcement: published, and dropped by the broker if nobody
  has bound a queue (counted in ``gridgov_outbox_unroutable_total``).
"""
import collections
import datetime as dt
import logging
import time

import eventlet
from eventlet.queue import Empty, LightQueue
from nameko.amqp.publish import Publisher, UndeliverableMessage
from kombu import Connection, Queue
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import MetaData, bindparam, func, insert, select, update

from common import config as cfg
from common.contract import queue_name, subscriptions_of
from common.db import Database, find_dependency, utcnow
from common.events import make_envelope
from common.logs import current_request_id
from common.metrics import PREFIX, DatabaseCollector, metrics_for
from common.queues import declare_checked, typed
from common.tables import add_plumbing_tables

log = logging.getLogger(__name__)

outbox_events, _ = add_plumbing_tables(MetaData())

STAGED = "outbox_staged"  # session.info key: envelopes staged in the open transaction
_INSERT_EVENT = insert(outbox_events)  # built once: values come as parameters
_MARK_PUBLISHED = update(outbox_events).where(
    outbox_events.c.event_id.in_(bindparam("event_ids", expanding=True)),
    outbox_events.c.published_at.is_(None),
).values(published_at=bindparam("now"), attempts=outbox_events.c.attempts + 1, last_error=None)


def add_event(session, source, event_type, payload, schema_version=1):
    """Stage an event in the caller's transaction; returns its envelope. Published from
    memory, it names the request being handled (the row keeps no request id: an event
    the poll pass sends has none)."""
    now = utcnow()  # the same instant in the row and in the envelope published from memory
    envelope = make_envelope(source, event_type, payload, schema_version, occurred_at=now,
                             request_id=current_request_id())
    session.execute(_INSERT_EVENT, dict(
        event_id=envelope["event_id"], event_type=event_type, source=source,
        schema_version=schema_version, occurred_at=now, payload=payload,
        created_at=now, attempts=0,
    ))
    session.info.setdefault(STAGED, []).append(envelope)
    return envelope


def envelope_of(row):
    return make_envelope(
        row.source, row.event_type, row.payload, row.schema_version,
        occurred_at=row.occurred_at, event_id=row.event_id,
    )


def mark_published(db, event_ids):
    """Mark events published: one statement in autocommit mode (no BEGIN, no COMMIT)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(_MARK_PUBLISHED, {"event_ids": list(event_ids), "now": utcnow()})


def relay_batch(db, publish, limit=100, older_than=None, created_before=None):
    """Publish up to ``limit`` pending events, oldest first, and mark them;
    ``older_than`` (seconds): only events staged at least that long ago;
    ``created_before`` (a UTC datetime): only events staged before it.

    Returns how many were marked. ``publish(envelope)`` raising stops the batch:
    what was published so far is marked, the failing event keeps its place with
    the error recorded, and :class:`RelayError` tells the caller to back off.
    """
    published, failure = [], None
    with db.transaction() as session:
        query = select(outbox_events).where(outbox_events.c.published_at.is_(None))
        if older_than:
            query = query.where(outbox_events.c.created_at < utcnow() - dt.timedelta(seconds=older_than))
        if created_before is not None:
            query = query.where(outbox_events.c.created_at < created_before)
        rows = session.execute(
            query.order_by(outbox_events.c.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            try:
                publish(envelope_of(row))
            except Exception as exc:
                failure = exc
                session.execute(update(outbox_events).where(outbox_events.c.event_id == row.event_id).values(
                    attempts=row.attempts + 1, last_error=str(exc)[:500]))
                break
            published.append(row.event_id)
        if published:  # one statement marks the batch
            session.execute(_MARK_PUBLISHED, {"event_ids": published, "now": utcnow()})
    marked = len(published)
    if failure is not None:
        raise RelayError(f"publishing {marked + 1}th event failed: {failure}") from failure
    return marked


class RelayError(Exception):
    pass


class OutboxWriter:
    """What a worker gets: ``self.outbox.add(session, "ticket_reported", payload)``."""

    def __init__(self, source):
        self.source = source

    def add(self, session, event_type, payload, schema_version=1):
        return add_event(session, self.source, event_type, payload, schema_version)


class Relay:
    """The relay's work, free of nameko. ``committed(session)`` (an ``after_commit``
    listener) queues what a transaction staged; ``relay_fresh()`` publishes that
    from memory; ``relay_pending(older_than)`` is the poll pass over the table."""

    def __init__(self, db, publish, batch_size=100):
        self.db = db
        self.publish = publish
        # On SQLite the service has one connection and a poll batch holds it while
        # publishing: small batches, and a yield after each, so requests waiting
        # for the connection get it between batches instead of starving.
        self.batch_size = batch_size if db.engine.dialect.name == "postgresql" else min(batch_size, 20)
        self.fresh = collections.deque()  # committed in this process, not yet published

    def committed(self, session):
        """True if the committed transaction had staged events (now queued here)."""
        staged = session.info.pop(STAGED, None)
        if staged:
            self.fresh.extend(staged)
        return bool(staged)

    def relay_fresh(self):
        """Publish what this process committed, in commit order, a batch at a time,
        each batch marked with one statement. A publish failure drops the rest
        from memory: the rows are still pending, and the poll pass sends them."""
        total = 0
        while self.fresh:
            batch = [self.fresh.popleft() for _ in range(min(len(self.fresh), self.batch_size))]
            published = []
            try:
                for envelope in batch:
                    self.publish(envelope)
                    published.append(envelope["event_id"])
            except Exception:
                self.fresh.clear()
                raise
            finally:
                if published:
                    mark_published(self.db, published)
            total += len(published)
        return total

    def relay_pending(self, older_than=None, created_before=None):
        total = 0
        while True:
            count = relay_batch(self.db, self.publish, self.batch_size, older_than, created_before)
            total += count
            eventlet.sleep(0)
            if count < self.batch_size:
                return total


REDECLARE_SECONDS = 60.0


def consumer_queues(source, exchange, subscriptions, config=None):
    """The durable queues of ``subscriptions`` ({event_type: ("service.method", ...)}),
    exactly as their consumers declare them (common.batching, of the type
    AMQP_QUEUE_TYPE asks for: common.queues), or the broker refuses one."""
    return [typed(Queue(queue_name(source, event_type, consumer), exchange=exchange, routing_key=event_type,
                        durable=True, auto_delete=False, exclusive=False), config)
            for event_type, consumers in sorted(subscriptions.items()) for consumer in consumers]


class Outbox(DependencyProvider):
    """Writer for workers plus a relay greenthread per container.

    The relay wakes when a transaction that staged events commits and publishes
    them from memory; every ``OUTBOX_POLL_SECONDS`` (default 1.0) it also polls
    the table, so events committed by a process that died are still sent.
    ``OUTBOX_RELAY_ENABLED=false`` turns the relay off in a process (for example
    to run the relay as separate replicas).
    """

    batch_size = 100

    def __init__(self, subscriptions=None, **kwargs):
        """``subscriptions``: {event_type: ("service.method", ...)}, the consumers whose
        queues the relay declares; the bus contract's for this service by default."""
        super().__init__(**kwargs)
        self.subscriptions = subscriptions

    def setup(self):
        config = self.container.config
        self.source = self.container.service_name
        self.enabled = cfg.env_bool("OUTBOX_RELAY_ENABLED", True, config)
        self.poll_seconds = cfg.env_float("OUTBOX_POLL_SECONDS", 1.0, config)
        self.grace_seconds = cfg.env_float("OUTBOX_GRACE_SECONDS", 5.0, config)
        self.metrics = metrics_for(self.container)
        self.exchange = get_event_exchange(self.source, config)
        subscriptions = subscriptions_of(self.source) if self.subscriptions is None else self.subscriptions
        self.subscribed = frozenset(subscriptions)
        self.amqp_uri = cfg.amqp_uri(config)
        self.consumer_queues = consumer_queues(self.source, self.exchange, subscriptions, config)
        declare_checked(self.consumer_queues, self.amqp_uri, config)  # a queue of another type stops the start
        self.publisher = Publisher(  # kombu declares these once per connection, not per publish
            self.amqp_uri, use_confirms=True, mandatory=True,
            declare=[self.exchange, *self.consumer_queues], serializer="json",
        )
        self._wakeup = LightQueue(maxsize=1)
        self._unroutable_types = set()
        self._running = False
        self._thread = None

    def start(self):
        db = find_dependency(self.container, Database).handle
        self.relay = Relay(db, self.publish, self.batch_size)
        self.metrics.registry.register(_PendingCollector(db))
        if self.enabled:
            db.on_commit(self._after_commit)
            self._running = True
            self._thread = self.container.spawn_managed_thread(self._run)
        else:
            log.warning("%s: outbox relay disabled in this process", self.source)

    def stop(self):
        self._running = False
        self.kick()
        if self._thread is not None:
            self._thread.wait()
            self._thread = None

    def kill(self):
        self._running = False
        if self._thread is not None:
            self._thread.kill()
            self._thread = None

    def get_dependency(self, worker_ctx):
        return OutboxWriter(self.source)

    def kick(self):
        try:
            self._wakeup.put_nowait(True)
        except eventlet.queue.Full:
            pass

    def _after_commit(self, session):
        if self._running and self.relay.committed(session):
            self.kick()

    def publish(self, envelope):
        try:
            self.publisher.publish(
                envelope, exchange=self.exchange, routing_key=envelope["event_type"],
                message_id=envelope["event_id"],
            )
        except UndeliverableMessage:
            # No queue is bound for this event type. For an announcement nobody subscribes
            # to, that is normal. A subscribed type's queues were deleted behind the relay's
            # back: the event stays pending (a publish failure) until they are declared again.
            event_type = envelope["event_type"]
            if event_type in self.subscribed:
                raise RuntimeError(f"no queue is bound for {event_type} events, which the bus contract has "
                                   "consumers for; kept to publish again once their queues are declared") from None
            if event_type not in self._unroutable_types:
                self._unroutable_types.add(event_type)
                log.info("%s: no queue is bound for %s events (nobody subscribes); the broker drops them",
                         self.source, event_type)
            self.metrics.outbox_unroutable.labels(event_type).inc()
        else:
            self.metrics.outbox_relayed.labels(envelope["event_type"]).inc()

    def declare_consumer_queues(self):
        """Declare the subscriptions' queues anew, past kombu's per-connection cache: a
        queue deleted while the relay's connection lived is back within a minute."""
        with Connection(self.amqp_uri) as connection:
            channel = connection.channel()
            for queue in self.consumer_queues:
                queue(channel).declare()

    def _run(self):
        backoff = None  # seconds to wait after a failure
        # The first poll pass takes every event staged before this relay began, whatever
        # its age (a crash left it); not one this process staged since, which its commit
        # listener hands to relay_fresh: both sent it when a commit raced the first pass.
        grace, before = None, utcnow()
        poll_at = declare_at = time.monotonic()
        while self._running:
            if self.consumer_queues and time.monotonic() >= declare_at:
                declare_at = time.monotonic() + REDECLARE_SECONDS
                try:
                    self.declare_consumer_queues()
                except Exception as exc:
                    log.warning("%s: declaring its consumers' queues failed (the next publish tries): %s",
                                self.source, exc)
            try:
                self.relay.relay_fresh()
                if time.monotonic() >= poll_at:
                    self.relay.relay_pending(older_than=grace, created_before=before)
                    grace, before, poll_at = self.grace_seconds, None, time.monotonic() + self.poll_seconds
                backoff = None
            except Exception as exc:
                self.metrics.outbox_publish_failures.inc()
                backoff = min(backoff * 2, 30.0) if backoff else self.poll_seconds
                poll_at = time.monotonic() + backoff
                log.warning("%s outbox relay failed, retrying in %.1fs: %s", self.source, backoff, exc)
            try:
                self._wakeup.get(timeout=max(0.0, poll_at - time.monotonic()))
            except Empty:
                pass
        try:  # stopping: what was committed here goes out now, not after the grace on another replica
            self.relay.relay_fresh()
        except Exception as exc:
            log.warning("%s outbox relay: events left for the next poll: %s", self.source, exc)


class _PendingCollector(DatabaseCollector):
    """Pending outbox events and the age of the oldest, read at scrape time."""

    def collect(self):
        with self.db.read() as session:
            count, oldest = session.execute(
                select(func.count(), func.min(outbox_events.c.created_at))
                .where(outbox_events.c.published_at.is_(None))
            ).one()
        age = 0.0 if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())
        yield GaugeMetricFamily(f"{PREFIX}_outbox_pending_events", "Committed events not yet relayed.", value=count)
        yield GaugeMetricFamily(f"{PREFIX}_outbox_oldest_pending_age_seconds",
                                "Age of the oldest event not yet relayed.", value=age)
