"""The request id rides with an event from the outbox to its consumers' log lines."""
import uuid

import pytest

from common.events import make_envelope, parse_envelope
from common.inbox import APPLIED, consume_batch
from common.logs import current_request_id, request_context
from common.outbox import STAGED, add_event
from scoring import MIGRATIONS_DIR


@pytest.fixture
def db(open_db):
    return open_db("scoring", MIGRATIONS_DIR)


def test_an_event_staged_while_handling_a_request_names_it(db):
    with db.transaction() as session:
        with request_context("req-outbox-1"):
            named = add_event(session, "scoring", "probe_happened", {"n": 1})
        anonymous = add_event(session, "scoring", "probe_happened", {"n": 2})
        assert session.info[STAGED] == [named, anonymous]
    assert named["request_id"] == "req-outbox-1"
    assert "request_id" not in anonymous  # optional: absent when no request caused it
    assert parse_envelope(named)["request_id"] == "req-outbox-1"
    assert "request_id" not in parse_envelope(anonymous)


def test_a_consumer_applies_each_event_on_behalf_of_its_request(db):
    seen = []

    def apply(session, envelope):
        seen.append((envelope["payload"]["n"], current_request_id()))

    bodies = [make_envelope("tickets", "probe_happened", {"n": 1}, request_id="req-a"),
              make_envelope("tickets", "probe_happened", {"n": 2}),
              make_envelope("tickets", "probe_happened", {"n": 3}, request_id="not sane; dropped")]
    with request_context(None):
        assert consume_batch(db, bodies, f"scoring.probe_{uuid.uuid4().hex[:6]}", apply) == [APPLIED] * 3
        assert current_request_id() is None
    assert seen == [(1, "req-a"), (2, None), (3, None)]
