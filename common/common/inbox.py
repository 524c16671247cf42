"""Idempotent consumers: an event id is applied once per consumer, however often
the broker delivers it (redelivery after a crash, a relay that published twice).

The claim (a row in ``processed_events``) and the change it guards commit in one
transaction, so "applied" and "recorded as applied" cannot part ways. Two
deliveries racing on two replicas meet on the primary key: the second claim waits
for the first transaction, then finds the row (a duplicate), or takes the claim if
the first rolled back.
"""
import functools
import logging

import eventlet
from nameko.events import event_handler
from sqlalchemy import MetaData, bindparam, text

from common.db import UtcDateTime, utcnow
from common.errors import InvalidInput
from common.events import parse_envelope
from common.tables import add_plumbing_tables

log = logging.getLogger(__name__)

_, processed_events = add_plumbing_tables(MetaData())

# Text, built once: SQLAlchemy compiles an ``on_conflict_do_nothing()`` construct anew
# for every event, and every consumed event runs this claim.
_CLAIM = text(
    "INSERT INTO processed_events (event_id, consumer, event_type, source, processed_at) "
    "VALUES (:event_id, :consumer, :event_type, :source, :processed_at) "
    "ON CONFLICT (event_id, consumer) DO NOTHING RETURNING event_id"
).bindparams(bindparam("processed_at", type_=UtcDateTime()))

APPLIED, DUPLICATE, REJECTED = "applied", "duplicate", "rejected"


def claim_event(session, envelope, consumer):
    """True if this consumer has not applied the event yet (and now owns it): one
    insert that does nothing if the (event, consumer) row is there already."""
    claimed = session.execute(_CLAIM, {
        "event_id": envelope["event_id"], "consumer": consumer, "event_type": envelope["event_type"],
        "source": envelope["source"], "processed_at": utcnow()}).first()
    return claimed is not None


def consume_once(db, body, consumer, apply, prepare=None):
    """Parse ``body`` as an envelope and run ``apply(session, envelope)`` at most
    once for this consumer. Returns APPLIED, DUPLICATE or REJECTED.

    ``prepare(envelope)``, if given, runs first and outside the transaction (remote
    calls belong there, not while a connection is held); its result is passed on as
    ``apply(session, envelope, prepared)``.
    """
    try:
        envelope = parse_envelope(body)
    except InvalidInput as exc:
        log.error("%s: dropping malformed event: %s", consumer, exc.message)
        return REJECTED
    extra = () if prepare is None else (prepare(envelope),)
    with db.transaction() as session:
        if not claim_event(session, envelope, consumer):
            return DUPLICATE
        apply(session, envelope, *extra)
    return APPLIED


def idempotent_handler(source_service, event_type, retry_delay=1.0, prepare=None):
    """``@idempotent_handler("tickets", "ticket_reported")`` on a method
    ``(self, session, envelope)`` of a service that has ``db`` and ``metrics``.
    With ``prepare=f``, ``f(self, envelope)`` runs before the transaction and the
    method gets its result: ``(self, session, envelope, prepared)``.

    Delivery is reliable (a durable queue per handler) and a failure requeues the
    event after ``retry_delay`` seconds instead of dropping it.
    """

    def decorator(apply):
        @functools.wraps(apply)
        def handler(self, body):
            consumer = f"{type(self).name}.{apply.__name__}"
            try:
                outcome = consume_once(self.db, body, consumer, functools.partial(apply, self),
                                       prepare and functools.partial(prepare, self))
            except Exception:
                log.exception("%s failed; the event will be redelivered", consumer)
                eventlet.sleep(retry_delay)  # no hot loop on a persistent failure
                raise
            self.metrics.events_consumed.labels(event_type, outcome).inc()
            return outcome

        return event_handler(
            source_service, event_type, reliable_delivery=True, requeue_on_error=True,
        )(handler)

    return decorator
