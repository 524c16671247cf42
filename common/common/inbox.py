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
from sqlalchemy import MetaData, bindparam, text

from common.batching import FAILED, batch_event_handler
from common.db import UtcDateTime, utcnow
from common.errors import InvalidInput
from common.events import parse_envelope
from common.logs import current_request_id, request_context, sane_request_id
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
    envelope = _parsed(body, consumer)
    if envelope is None:
        return REJECTED
    return _apply_together(db, [envelope], consumer, apply, prepare)[0]


def consume_batch(db, bodies, consumer, apply, prepare=None):
    """``consume_once`` for several deliveries, applied in one transaction (one
    commit, not one per event). If that transaction fails, each event is tried in a
    transaction of its own, so a bad event holds up only itself: its outcome is
    FAILED (requeue it), or REJECTED if ``apply`` found its payload unusable
    (InvalidInput: a retry would fail the same way), the others' APPLIED, DUPLICATE or
    REJECTED, in order."""
    outcomes, envelopes = [REJECTED] * len(bodies), {}
    for index, body in enumerate(bodies):
        envelope = _parsed(body, consumer)
        if envelope is not None:
            envelopes[index] = envelope
    if len(envelopes) > 1:
        try:
            together = _apply_together(db, list(envelopes.values()), consumer, apply, prepare)
        except Exception:
            log.warning("%s: a batch of %d events failed; applying them one by one", consumer, len(envelopes))
        else:
            for index, outcome in zip(envelopes, together):
                outcomes[index] = outcome
            return outcomes
    for index, envelope in envelopes.items():
        try:
            outcomes[index] = _apply_together(db, [envelope], consumer, apply, prepare)[0]
        except InvalidInput as exc:  # its payload lacks what the consumer needs: no retry will mend it
            log.error("%s: dropping event %s: %s", consumer, envelope["event_id"], exc.message)
            outcomes[index] = REJECTED
        except Exception:
            log.exception("%s failed on event %s; it will be redelivered", consumer, envelope["event_id"])
            outcomes[index] = FAILED
    return outcomes


def _parsed(body, consumer):
    try:
        return parse_envelope(body)
    except InvalidInput as exc:
        log.error("%s: dropping malformed event: %s", consumer, exc.message)
        return None


def _apply_together(db, envelopes, consumer, apply, prepare):
    extras = []
    for envelope in envelopes:
        with _on_behalf_of(envelope):
            extras.append(() if prepare is None else (prepare(envelope),))
    outcomes = []
    with db.transaction() as session:
        for envelope, extra in zip(envelopes, extras):
            with _on_behalf_of(envelope):  # its log lines name the request that caused the event
                if claim_event(session, envelope, consumer):  # a repeat within the batch finds the claim too
                    apply(session, envelope, *extra)
                    outcomes.append(APPLIED)
                else:
                    outcomes.append(DUPLICATE)
    return outcomes


def _on_behalf_of(envelope):
    return request_context(sane_request_id(envelope.get("request_id")) or current_request_id())


def idempotent_handler(source_service, event_type, retry_delay=1.0, prepare=None):
    """``@idempotent_handler("tickets", "ticket_reported")`` on a method
    ``(self, session, envelope)`` of a service that has ``db`` and ``metrics``.
    With ``prepare=f``, ``f(self, envelope)`` runs before the transaction and the
    method gets its result: ``(self, session, envelope, prepared)``.

    Delivery is reliable (a durable queue per handler). Deliveries that wait while
    a worker is busy are taken together (``common.batching``): one worker and one
    transaction for all of them. A failed event is requeued after ``retry_delay``
    seconds instead of dropped; the rest of its batch is acknowledged.
    """

    def decorator(apply):
        @functools.wraps(apply)
        def handler(self, bodies):
            consumer = f"{type(self).name}.{apply.__name__}"
            outcomes = consume_batch(self.db, bodies, consumer, functools.partial(apply, self),
                                     prepare and functools.partial(prepare, self))
            self.metrics.event_batch_size.labels(event_type).observe(len(bodies))
            for outcome in outcomes:
                self.metrics.events_consumed.labels(event_type, outcome).inc()
            if FAILED in outcomes:
                eventlet.sleep(retry_delay)  # no hot loop on a persistent failure
            return outcomes

        return batch_event_handler(source_service, event_type)(handler)

    return decorator
