"""Idempotent consumption against a real database."""
import uuid

import pytest
from sqlalchemy import event, func, select

from common.events import make_envelope
from common.inbox import APPLIED, DUPLICATE, FAILED, REJECTED, consume_batch, consume_once, processed_events
from scoring import MIGRATIONS_DIR
from scoring.indicators import record_reported_ticket, tickets_reported


@pytest.fixture
def db(open_db):
    return open_db("scoring", MIGRATIONS_DIR)


def reported(grid="320508019044001"):
    return make_envelope("tickets", "ticket_reported", {
        "ticket_id": str(uuid.uuid4()), "number": "20261123-00001", "grid_code": grid,
        "source": "grid_patrol", "status": "reported", "reported_at": "2026-11-23T10:00:00+08:00"})


def claims(db):
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(processed_events))


def test_an_event_is_applied_once_however_often_it_arrives(db):
    envelope = reported()
    outcomes = [consume_once(db, envelope, "scoring.handle_ticket_reported", record_reported_ticket)
                for _ in range(3)]
    assert outcomes == [APPLIED, DUPLICATE, DUPLICATE]
    with db.read() as session:
        assert tickets_reported(session)["tickets_reported"] == 1
    assert claims(db) == 1


def test_each_consumer_applies_an_event_once_for_itself(db):
    envelope = reported()
    seen = []
    assert consume_once(db, envelope, "scoring.a", lambda s, e: seen.append("a")) == APPLIED
    assert consume_once(db, envelope, "scoring.b", lambda s, e: seen.append("b")) == APPLIED
    assert seen == ["a", "b"]


def test_a_failed_apply_leaves_no_claim_so_redelivery_applies_it(db):
    envelope = reported()

    def broken(session, env):
        record_reported_ticket(session, env)
        raise RuntimeError("database hiccup")

    with pytest.raises(RuntimeError):
        consume_once(db, envelope, "scoring.handle_ticket_reported", broken)
    assert claims(db) == 0
    assert consume_once(db, envelope, "scoring.handle_ticket_reported", record_reported_ticket) == APPLIED
    with db.read() as session:
        assert tickets_reported(session)["by_grid"] == {"320508019044001": 1}


@pytest.mark.parametrize("body", [
    "not an object", {}, {"event_id": "not-a-uuid", "event_type": "x", "source": "t",
                          "occurred_at": "2026-11-23T10:00:00+08:00", "schema_version": 1, "payload": {}},
    {**make_envelope("tickets", "ticket_reported", {}), "occurred_at": "2026-11-23T10:00:00"},
])
def test_a_malformed_envelope_is_rejected_without_side_effects(db, body):
    assert consume_once(db, body, "scoring.x", lambda s, e: pytest.fail("applied")) == REJECTED
    assert claims(db) == 0


def test_subtree_counts_follow_code_prefixes(db):
    for grid in ("320508019044001", "320508019044001", "320508019045001", "320508014021001"):
        consume_once(db, reported(grid), "scoring.h", record_reported_ticket)
    with db.read() as session:
        street = tickets_reported(session, "320508019")
        everything = tickets_reported(session)
    assert street == {"root": "320508019", "tickets_reported": 3,
                      "by_grid": {"320508019044001": 2, "320508019045001": 1}}
    assert everything["tickets_reported"] == 4


def test_prepare_runs_before_the_transaction_and_hands_its_result_to_apply(db):
    envelope, seen = reported(), []

    def prepare(env):
        seen.append(("prepare", db.engine.pool.checkedout()))  # no connection held yet
        return env["payload"]["grid_code"]

    def apply(session, env, prepared):
        seen.append(("apply", prepared))

    assert consume_once(db, envelope, "scoring.p", apply, prepare) == APPLIED
    assert seen == [("prepare", 0), ("apply", "320508019044001")]


def test_a_batch_is_applied_in_one_transaction_with_repeats_and_bad_bodies_sorted_out(db):
    first, second = reported("320508019044001"), reported("320508019044002")
    commits = []

    def listener(connection):
        commits.append(1)

    event.listen(db.engine, "commit", listener)
    try:
        outcomes = consume_batch(db, [first, second, first, "garbage"], "scoring.h", record_reported_ticket)
    finally:
        event.remove(db.engine, "commit", listener)
    assert outcomes == [APPLIED, APPLIED, DUPLICATE, REJECTED]
    assert len(commits) == 1
    assert consume_batch(db, [second], "scoring.h", record_reported_ticket) == [DUPLICATE]
    with db.read() as session:
        assert tickets_reported(session)["tickets_reported"] == 2


def test_a_failing_event_in_a_batch_fails_alone_and_leaves_no_claim(db):
    good, bad, later = reported(), reported("320508019099001"), reported()

    def picky(session, envelope):
        if envelope["payload"]["grid_code"] == "320508019099001":
            raise RuntimeError("cannot apply this one")
        record_reported_ticket(session, envelope)

    assert consume_batch(db, [good, bad, later], "scoring.h", picky) == [APPLIED, FAILED, APPLIED]
    with db.read() as session:
        assert tickets_reported(session)["tickets_reported"] == 2
        claimed = set(session.scalars(select(processed_events.c.event_id)))
    assert claimed == {good["event_id"], later["event_id"]}


def test_an_event_whose_payload_the_consumer_cannot_use_is_rejected_not_retried_for_ever(db):
    good, bad, late = reported(), reported(), reported()
    del bad["payload"]["grid_code"]
    late["payload"]["reported_at"] = "yesterday"
    outcomes = consume_batch(db, [good, bad, late], "scoring.handle_ticket_reported", record_reported_ticket)
    assert outcomes == [APPLIED, REJECTED, REJECTED]
    assert claims(db) == 1, "only the good event was applied and claimed"
    with db.read() as session:
        assert tickets_reported(session)["tickets_reported"] == 1
