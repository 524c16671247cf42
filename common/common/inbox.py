"""Idempotent consumers: an event id is applied once per consumer, however often
the broker delivers it (redelivery after a crash, a relay that published twice).

The claim (a row in ``processed_events``) and the change it guards commit in one
transaction, so "applied" and "recorded as applied" cannot part ways. Two
deliveries racing on two replicas meet on the primary key: the second claim waits
for the first transaction, then finds the row (a duplicate), or takes the claim if
the first rolled back.

Two ways to apply a batch of deliveries: ``idempotent_handler`` claims and applies
them one at a time inside one transaction (the method sees one envelope);
``idempotent_batch_handler`` claims them all with one multi-row statement and hands
the method every envelope it claimed at once, so it can write each table once per
batch. Either way, a batch that fails is applied again one event at a time.
"""
import datetime as dt
import functools
import logging
import re
import uuid

import eventlet
from sqlalchemy import MetaData, bindparam, text

from common.batching import FAILED, batch_event_handler
from common.bulk import insert_rows
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


_CLAIM_MANY = "ON CONFLICT (event_id, consumer) DO NOTHING RETURNING event_id"


def claim_events(session, envelopes, consumer):
    """The ids of those of ``envelopes`` this consumer had not applied yet (and now
    owns): one multi-row insert that skips the (event, consumer) rows already there.
    An event id given twice is claimed once."""
    now, rows, seen = utcnow(), [], set()
    for envelope in envelopes:
        if envelope["event_id"] not in seen:
            seen.add(envelope["event_id"])
            rows.append({"event_id": envelope["event_id"], "consumer": consumer,
                         "event_type": envelope["event_type"], "source": envelope["source"], "processed_at": now})
    return {row[0] for row in insert_rows(session, processed_events, rows, _CLAIM_MANY)}


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
    return _consume(bodies, consumer, lambda envelopes: _apply_together(db, envelopes, consumer, apply, prepare))


def consume_all_at_once(db, bodies, consumer, apply_all):
    """As ``consume_batch``, but the batch is claimed with one statement and
    ``apply_all(session, envelopes)`` gets every envelope claimed (each event id once,
    in delivery order) in one call, inside the claim's transaction; it is not called
    when the batch holds nothing new. The fallback (one event per transaction, when
    the batch fails) calls it with one envelope at a time."""
    return _consume(bodies, consumer, lambda envelopes: _apply_all(db, envelopes, consumer, apply_all))


def _consume(bodies, consumer, apply_in_one_transaction):
    outcomes, envelopes = [REJECTED] * len(bodies), {}
    for index, body in enumerate(bodies):
        envelope = _parsed(body, consumer)
        if envelope is not None:
            envelopes[index] = envelope
    if len(envelopes) > 1:
        try:
            together = apply_in_one_transaction(list(envelopes.values()))
        except Exception:
            log.warning("%s: a batch of %d events failed; applying them one by one", consumer, len(envelopes))
        else:
            for index, outcome in zip(envelopes, together):
                outcomes[index] = outcome
            return outcomes
    for index, envelope in envelopes.items():
        try:
            with _on_behalf_of(envelope):
                outcomes[index] = apply_in_one_transaction([envelope])[0]
        except InvalidInput as exc:  # its payload lacks what the consumer needs: no retry will mend it
            log.error("%s: dropping event %s: %s", consumer, envelope["event_id"], exc.message)
            outcomes[index] = REJECTED
        except Exception:
            log.exception("%s failed on event %s; it will be redelivered", consumer, envelope["event_id"])
            outcomes[index] = FAILED
    return outcomes


def _parsed(body, consumer):
    try:
        return _quick_envelope(body) or parse_envelope(body)
    except InvalidInput as exc:
        log.error("%s: dropping malformed event: %s", consumer, exc.message)
        return None


_ENVELOPE_KEYS = frozenset(("event_id", "event_type", "source", "occurred_at", "schema_version", "payload"))
# An ISO moment as producers write it (datetime.isoformat() with an offset): both
# Python's and marshmallow's parsers take it.
_CANONICAL_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d:\d\d")


def _quick_envelope(body):
    """The envelope ``parse_envelope`` would give, for a body in the shape producers
    send, without marshmallow (a third of a consumer's time per event); None for
    anything else, which ``parse_envelope`` then accepts or rejects as before."""
    if type(body) is not dict or not _ENVELOPE_KEYS <= body.keys() <= _ENVELOPE_KEYS | {"request_id"}:
        return None
    event_type, source, version = body["event_type"], body["source"], body["schema_version"]
    moment, request_id = body["occurred_at"], body.get("request_id")
    if not (type(event_type) is str and 0 < len(event_type) <= 100 and type(source) is str and 0 < len(source) <= 50
            and type(version) is int and version >= 1 and type(body["payload"]) is dict
            and type(body["event_id"]) is str and type(moment) is str and _CANONICAL_MOMENT.fullmatch(moment)
            and (request_id is None or type(request_id) is str)):
        return None
    try:
        event_id = str(uuid.UUID(body["event_id"]))
        occurred_at = dt.datetime.fromisoformat(moment)
    except ValueError:
        return None
    envelope = {"event_id": event_id, "event_type": event_type, "source": source, "occurred_at": occurred_at,
                "schema_version": version, "payload": body["payload"]}
    if "request_id" in body:
        envelope["request_id"] = request_id
    return envelope


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


def _apply_all(db, envelopes, consumer, apply_all):
    with db.transaction() as session:
        claimed = claim_events(session, envelopes, consumer)
        fresh, outcomes = [], []
        for envelope in envelopes:
            if envelope["event_id"] in claimed:
                claimed.discard(envelope["event_id"])  # a repeat within the batch is a duplicate
                fresh.append(envelope)
                outcomes.append(APPLIED)
            else:
                outcomes.append(DUPLICATE)
        if fresh:
            apply_all(session, fresh)
    return outcomes


def _on_behalf_of(envelope):
    return request_context(sane_request_id(envelope.get("request_id")) or current_request_id())


def idempotent_handler(source_service, event_type, retry_delay=1.0, prepare=None, linger=0.0):
    """``@idempotent_handler("tickets", "ticket_reported")`` on a method
    ``(self, session, envelope)`` of a service that has ``db`` and ``metrics``.
    With ``prepare=f``, ``f(self, envelope)`` runs before the transaction and the
    method gets its result: ``(self, session, envelope, prepared)``.

    Delivery is reliable (a durable queue per handler). Deliveries that wait while
    a worker is busy are taken together (``common.batching``): one worker and one
    transaction for all of them; with ``linger`` seconds, a batch that is not full
    waits that long for more. A failed event is requeued after
    ``retry_delay`` seconds instead of dropped; the rest of its batch is acknowledged.
    """

    def decorator(apply):
        def consume(self, bodies, consumer):
            return consume_batch(self.db, bodies, consumer, functools.partial(apply, self),
                                 prepare and functools.partial(prepare, self))
        return _batch_entrypoint(source_service, event_type, retry_delay, apply, consume, linger)

    return decorator


def idempotent_batch_handler(source_service, event_type, retry_delay=1.0, linger=0.0):
    """``@idempotent_batch_handler("tickets", "ticket_reported")`` on a method
    ``(self, session, envelopes)``: as ``idempotent_handler``, but the method gets
    every envelope of the batch that this consumer had not applied yet, together
    (``consume_all_at_once``), so it writes each table once per batch instead of
    once per event. If the batch fails, the method is called again with one
    envelope at a time, each in its own transaction: a bad event holds up only
    itself (rejected when the method raises InvalidInput, else failed and requeued).
    """

    def decorator(apply_all):
        def consume(self, bodies, consumer):
            return consume_all_at_once(self.db, bodies, consumer, functools.partial(apply_all, self))
        return _batch_entrypoint(source_service, event_type, retry_delay, apply_all, consume, linger)

    return decorator


def _batch_entrypoint(source_service, event_type, retry_delay, method, consume, linger=0.0):
    """The batching event handler around ``consume(self, bodies, consumer)``: its
    consumer name is ``<service>.<method name>`` (the key of its claims), and it
    counts its batches and outcomes."""
    @functools.wraps(method)
    def handler(self, bodies):
        outcomes = consume(self, bodies, f"{type(self).name}.{method.__name__}")
        self.metrics.event_batch_size.labels(event_type).observe(len(bodies))
        for outcome in outcomes:
            self.metrics.events_consumed.labels(event_type, outcome).inc()
        if FAILED in outcomes:
            eventlet.sleep(retry_delay)  # no hot loop on a persistent failure
        return outcomes

    return batch_event_handler(source_service, event_type, linger=linger)(handler)
