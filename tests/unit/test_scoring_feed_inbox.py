"""The batch-apply consumer (common.inbox.consume_all_at_once) against a real database:
one claim statement per batch, the method gets every new envelope at once, and a
batch that fails is applied again one event at a time, as idempotent_handler does."""
import uuid

import pytest
from sqlalchemy import event, func, select

from common.errors import InvalidInput
from common.events import make_envelope, parse_envelope
from common.inbox import (APPLIED, DUPLICATE, FAILED, REJECTED, _parsed, _quick_envelope, claim_events,
                          consume_all_at_once, processed_events)
from scoring import MIGRATIONS_DIR


@pytest.fixture(params=["scratch", "sqlite"])
def db(request, open_db, tmp_path):
    return open_db("scoring", MIGRATIONS_DIR, f"sqlite:///{tmp_path / 'scoring.db'}" if request.param == "sqlite"
                   else None)


def envelope(n=0):
    return make_envelope("tickets", "ticket_reported", {"n": n}, request_id=f"req-{n}")


def claims(db):
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(processed_events))


def test_the_method_gets_every_new_envelope_once_in_one_call_after_one_claim(db):
    first, second, third = envelope(1), envelope(2), envelope(3)
    assert consume_all_at_once(db, [first], "scoring.h", lambda s, es: None) == [APPLIED]
    calls, statements = [], []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        outcomes = consume_all_at_once(db, [first, second, "garbage", second, third], "scoring.h",
                                       lambda session, envelopes: calls.append([e["payload"]["n"] for e in envelopes]))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert outcomes == [DUPLICATE, APPLIED, REJECTED, DUPLICATE, APPLIED]
    assert calls == [[2, 3]]
    assert [s.split(" (")[0] for s in statements] == ["INSERT INTO processed_events"]
    assert claims(db) == 3
    assert consume_all_at_once(db, [first, third], "scoring.h", lambda s, es: pytest.fail("nothing is new")) == \
        [DUPLICATE, DUPLICATE]
    assert consume_all_at_once(db, [first], "scoring.other", lambda s, es: None) == [APPLIED], "claims per consumer"


def test_a_failed_batch_is_applied_one_by_one_rejecting_or_requeuing_only_the_culprits(db):
    batch = [envelope(n) for n in range(5)]
    calls = []

    def apply_all(session, envelopes):
        numbers = [e["payload"]["n"] for e in envelopes]
        calls.append(numbers)
        if 1 in numbers:
            raise InvalidInput("n=1 lacks what the consumer needs", code="INVALID_PAYLOAD")
        if 3 in numbers:
            raise RuntimeError("the database went away")

    assert consume_all_at_once(db, batch, "scoring.h", apply_all) == [APPLIED, REJECTED, APPLIED, FAILED, APPLIED]
    assert calls == [[0, 1, 2, 3, 4], [0], [1], [2], [3], [4]]
    with db.read() as session:
        claimed = set(session.scalars(select(processed_events.c.event_id)))
    assert claimed == {batch[n]["event_id"] for n in (0, 2, 4)}, "no claim survives a rolled-back apply"
    assert consume_all_at_once(db, [batch[3]], "scoring.h", lambda s, es: None) == [APPLIED], "redelivered: applied"


def test_a_batch_claims_what_is_new_and_a_repeat_once(db):
    first, second, third = envelope(1), envelope(2), envelope(3)
    with db.transaction() as session:
        assert claim_events(session, [first, second, first], "scoring.h") == {first["event_id"], second["event_id"]}
    with db.transaction() as session:
        assert claim_events(session, [first, second, third], "scoring.h") == {third["event_id"]}
    assert claims(db) == 3


@pytest.mark.parametrize("body", [
    envelope(7),
    {**envelope(8), "event_id": str(uuid.uuid4()).upper()},              # another spelling of a UUID
    {**envelope(8), "event_id": uuid.uuid4().hex},
    {**envelope(9), "occurred_at": "2026-11-23T04:25:02Z"},               # parsed by the schema
    {**envelope(9), "occurred_at": "2026-11-23T04:25:02"},                # no offset: refused
    {**envelope(9), "occurred_at": "2026-13-23T04:25:02+00:00"},          # no such month: refused
    {**envelope(9), "schema_version": "1"},                               # the schema's integer takes text
    {**envelope(9), "schema_version": 0},
    {**envelope(9), "schema_version": True},
    {**envelope(9), "event_id": "not-a-uuid"},
    {**envelope(9), "source": ""},
    {**envelope(9), "payload": []},
    {**envelope(9), "request_id": None},
    {**envelope(9), "unexpected": 1},
    {k: v for k, v in envelope(9).items() if k != "payload"},
    "not an object",
])
def test_the_quick_envelope_parse_agrees_with_the_schema(body):
    try:
        expected = parse_envelope(body)
    except InvalidInput:
        expected = None
    quick = _quick_envelope(body)
    if quick is not None:
        assert quick == expected, "the quick path gives exactly what the schema gives"
    assert _parsed(body, "scoring.h") == expected


def test_what_producers_send_takes_the_quick_path():
    body = envelope(1)
    assert _quick_envelope(body) == parse_envelope(body)
    assert _quick_envelope({k: v for k, v in body.items() if k != "request_id"}) is not None
