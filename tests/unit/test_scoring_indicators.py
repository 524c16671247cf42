"""Scoring's per-grid figures on a real database: a re-homed ticket counts under
the grid it lives in now, whatever order the events arrive in."""
import pytest

from common.events import make_envelope
from scoring import MIGRATIONS_DIR, indicators

OLD, WEST, EAST = "320581001001001", "320581001001002", "320581001001003"


@pytest.fixture
def db(open_db):
    return open_db("scoring", MIGRATIONS_DIR)


def reported(db, ticket_id, grid_code=OLD):
    with db.transaction() as session:
        indicators.record_reported_ticket(session, make_envelope("tickets", "ticket_reported", {
            "ticket_id": ticket_id, "grid_code": grid_code, "source": "grid_patrol",
            "reported_at": "2026-11-23T08:00:00+08:00"}))


def rehomed(db, ticket_id, to_grid_code, at, from_grid_code=OLD):
    with db.transaction() as session:
        indicators.record_rehomed_ticket(session, make_envelope("tickets", "ticket_rehomed", {
            "ticket_id": ticket_id, "from_grid_code": from_grid_code, "to_grid_code": to_grid_code,
            "reason": "split", "at": at}))


def by_grid(db, root=None):
    with db.read() as session:
        return indicators.tickets_reported(session, root)["by_grid"]


def test_a_rehomed_ticket_counts_under_its_new_grid(db):
    reported(db, "a")
    reported(db, "b")
    rehomed(db, "a", EAST, "2026-11-24T10:00:00+08:00")
    assert by_grid(db) == {OLD: 1, EAST: 1}
    assert by_grid(db, EAST) == {EAST: 1} and by_grid(db, OLD) == {OLD: 1}


def test_a_move_that_arrives_before_the_report_still_counts(db):
    rehomed(db, "a", WEST, "2026-11-24T10:00:00+08:00")
    assert by_grid(db) == {}, "a move alone is not a reported ticket"
    reported(db, "a")
    assert by_grid(db) == {WEST: 1}


def test_of_two_moves_the_later_wins_in_any_order(db):
    reported(db, "a")
    rehomed(db, "a", EAST, "2026-11-25T10:00:00+08:00", from_grid_code=WEST)  # the second move, delivered first
    rehomed(db, "a", WEST, "2026-11-24T10:00:00+08:00")
    assert by_grid(db) == {EAST: 1}


def test_a_bad_move_payload_is_rejected_naming_the_field(db):
    from common.errors import InvalidInput
    with pytest.raises(InvalidInput) as raised:
        rehomed(db, "a", EAST, "yesterday")
    assert "at" in str(raised.value.details)
