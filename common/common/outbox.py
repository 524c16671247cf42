"""Transactional outbox: an event row is written in the same transaction as the
change it announces, and a relay publishes committed rows to RabbitMQ.

- No event for a rolled-back change: the row rolls back with it.
- No lost event for a committed one: the row stays until the broker confirmed it.
- Several replicas: on PostgreSQL each relay pass claims rows with
  ``FOR UPDATE SKIP LOCKED``, so two relays never publish the same batch at once.
  A relay killed between publishing and marking publishes again after restart:
  delivery is at-least-once, and consumers are idempotent (``common.inbox``).

Events go to nameko's event exchange ``<service>.events`` with the event type as
routing key, so ordinary ``@event_handler(service, event_type)`` queues receive them.
"""
import logging

import eventlet
from eventlet.queue import Empty, LightQueue
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import MetaData, event, func, insert, select, update

from common import config as cfg
from common.db import Database, find_dependency, utcnow
from common.events import make_envelope
from common.metrics import PREFIX, metrics_for
from common.tables import add_plumbing_tables

log = logging.getLogger(__name__)

outbox_events, _ = add_plumbing_tables(MetaData())

PENDING_FLAG = "outbox_pending"
_INSERT_EVENT = insert(outbox_events)  # built once: values come as parameters


def add_event(session, source, event_type, payload, schema_version=1):
    """Stage an event in the caller's transaction; returns its envelope."""
    envelope = make_envelope(source, event_type, payload, schema_version)
    now = utcnow()
    session.execute(_INSERT_EVENT, dict(
        event_id=envelope["event_id"], event_type=event_type, source=source,
        schema_version=schema_version, occurred_at=now, payload=payload,
        created_at=now, attempts=0,
    ))
    session.info[PENDING_FLAG] = True
    return envelope


def envelope_of(row):
    return make_envelope(
        row.source, row.event_type, row.payload, row.schema_version,
        occurred_at=row.occurred_at, event_id=row.event_id,
    )


def relay_batch(db, publish, limit=100):
    """Publish up to ``limit`` pending events, oldest first, and mark them.

    Returns how many were marked. ``publish(envelope)`` raising stops the batch:
    what was published so far is marked, the failing event keeps its place with
    the error recorded, and :class:`RelayError` tells the caller to back off.
    """
    published, failure = [], None
    with db.transaction() as session:
        rows = session.execute(
            select(outbox_events)
            .where(outbox_events.c.published_at.is_(None))
            .order_by(outbox_events.c.created_at)
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
            session.execute(update(outbox_events).where(outbox_events.c.event_id.in_(published)).values(
                published_at=utcnow(), attempts=outbox_events.c.attempts + 1, last_error=None))
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


class Outbox(DependencyProvider):
    """Writer for workers plus a relay greenthread per container.

    The relay wakes when a transaction that staged events commits, and otherwise
    polls every ``OUTBOX_POLL_SECONDS`` (default 1.0) so events committed by a
    process that died are still sent. ``OUTBOX_RELAY_ENABLED=false`` turns the
    relay off in a process (for example to run the relay as separate replicas).
    """

    batch_size = 100

    def setup(self):
        config = self.container.config
        self.source = self.container.service_name
        self.enabled = cfg.env_bool("OUTBOX_RELAY_ENABLED", True, config)
        self.poll_seconds = cfg.env_float("OUTBOX_POLL_SECONDS", 1.0, config)
        self.metrics = metrics_for(self.container)
        self.exchange = get_event_exchange(self.source, config)
        self.publisher = Publisher(
            cfg.amqp_uri(config), use_confirms=True, mandatory=True,
            declare=[self.exchange], serializer="json",
        )
        self._wakeup = LightQueue(maxsize=1)
        self._unroutable_types = set()
        self._running = False
        self._thread = None

    def start(self):
        self.db = find_dependency(self.container, Database).handle
        event.listen(self.db._session_factory, "after_commit", self._after_commit)
        self.metrics.registry.register(_PendingCollector(self.db))
        if self.enabled:
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
        if session.info.pop(PENDING_FLAG, False):
            self.kick()

    def publish(self, envelope):
        try:
            self.publisher.publish(
                envelope, exchange=self.exchange, routing_key=envelope["event_type"],
                message_id=envelope["event_id"],
            )
        except UndeliverableMessage:
            # No queue is bound for this event type: nobody listens yet. The broker
            # dropped it; count it so operators can see, warn once per type, move on.
            event_type = envelope["event_type"]
            if event_type not in self._unroutable_types:
                self._unroutable_types.add(event_type)
                log.warning("%s: no consumer queue is bound for %s events; they are dropped "
                            "(counted in %s_outbox_unroutable_total)", self.source, event_type, PREFIX)
            self.metrics.outbox_unroutable.labels(event_type).inc()
        else:
            self.metrics.outbox_relayed.labels(envelope["event_type"]).inc()

    def relay_pending(self):
        # On SQLite the service has one connection and a batch holds it while
        # publishing: small batches, and a yield after each, so requests waiting
        # for the connection get it between batches instead of starving.
        batch_size = self.batch_size if self.db.engine.dialect.name == "postgresql" else 20
        total = 0
        while True:
            count = relay_batch(self.db, self.publish, batch_size)
            total += count
            eventlet.sleep(0)
            if count < batch_size:
                return total

    def _run(self):
        backoff = self.poll_seconds
        while self._running:
            try:
                self.relay_pending()
                backoff = self.poll_seconds
            except Exception as exc:
                self.metrics.outbox_publish_failures.inc()
                log.warning("%s outbox relay failed, retrying in %.1fs: %s", self.source, backoff, exc)
                backoff = min(backoff * 2, 30.0)
            try:
                self._wakeup.get(timeout=backoff)
            except Empty:
                pass


class _PendingCollector:
    """Pending outbox events and the age of the oldest, read at scrape time."""

    def __init__(self, db):
        self.db = db

    def describe(self):
        return []

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
