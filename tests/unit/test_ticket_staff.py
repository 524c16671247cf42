"""The responsible grid worker: people's assignments as tickets keeps them, and the
rule that picks one for a ticket (a real database: PostgreSQL when there is one)."""
import datetime as dt

import pytest

from tickets import MIGRATIONS_DIR
from tickets.models import GridStaff
from tickets.staff import merge_snapshot, record_assignment, responsible_for

TODAY = dt.date(2026, 11, 23)
GROUP, VILLAGE = "320508019044001", "320508019044"


def view(assignment_id, grid_code, role, start="2026-01-01", end=None, person_id=None):
    return {"id": assignment_id, "person_id": person_id or f"p-{assignment_id}", "grid_code": grid_code,
            "role": role, "role_label": "专职网格员", "start_date": start, "end_date": end}


@pytest.fixture
def db(open_db):
    return open_db("tickets", MIGRATIONS_DIR)


def pick(db, grid_code, on=TODAY):
    with db.read() as session:
        found = responsible_for(session, grid_code, on)
        return found and found.assignment_id


def record(db, *views):
    with db.transaction() as session:
        for each in views:
            record_assignment(session, each)


def test_the_full_time_worker_of_the_grid_itself_answers_first(db):
    record(db, view("chief", GROUP, "grid_chief"), view("part", GROUP, "part_time_worker"),
           view("police", GROUP, "grid_police"), view("village", VILLAGE, "full_time_worker"),
           view("full", GROUP, "full_time_worker"))
    assert pick(db, GROUP) == "full"
    assert pick(db, GROUP + "01") == "full", "a micro-grid without staff goes to the nearest grid above"
    assert pick(db, VILLAGE) == "village"
    assert pick(db, "320508014021001") is None, "nobody in that grid or above it"


def test_the_grid_chief_answers_when_the_grid_has_no_full_time_worker_and_police_never_do(db):
    record(db, view("police", GROUP, "grid_police"), view("part", GROUP, "part_time_worker"))
    assert pick(db, GROUP) == "part"
    record(db, view("chief", GROUP, "grid_chief"))
    assert pick(db, GROUP) == "chief"


def test_only_assignments_running_on_the_day_count_and_a_left_event_ends_one(db):
    record(db, view("later", GROUP, "full_time_worker", start="2026-12-01"),
           view("now", GROUP, "full_time_worker", start="2026-03-01"))
    assert pick(db, GROUP) == "now"
    record(db, view("now", GROUP, "full_time_worker", start="2026-03-01", end="2026-11-23"))
    assert pick(db, GROUP) == "now", "the end date is the last day of the post"
    assert pick(db, GROUP, TODAY + dt.timedelta(days=1)) is None
    assert pick(db, GROUP, dt.date(2026, 12, 1)) == "later"


def test_a_person_assigned_event_arriving_after_the_person_left_one_does_not_reopen_the_post(db):
    record(db, view("now", GROUP, "full_time_worker", end="2026-11-20"))  # the two queues raced
    record(db, view("now", GROUP, "full_time_worker"))
    assert pick(db, GROUP) is None
    assert pick(db, GROUP, dt.date(2026, 11, 20)) == "now"


def test_a_snapshot_adds_what_was_missed_ends_what_ended_and_never_reopens(db):
    record(db, view("a", GROUP, "full_time_worker"), view("b", GROUP, "grid_chief", end="2026-11-01"),
           view("c", GROUP, "part_time_worker"))
    snapshot = [view("a", GROUP, "full_time_worker", end="2026-11-20"),  # ended while tickets was away
                view("b", GROUP, "grid_chief"),  # older than the person_left event tickets applied
                view("d", VILLAGE, "full_time_worker")]  # made before tickets listened
    with db.transaction() as session:
        assert merge_snapshot(session, snapshot) == (1, 1)
    with db.read() as session:
        ends = {row.assignment_id: row.end_date for row in session.query(GridStaff)}
    assert ends == {"a": dt.date(2026, 11, 20), "b": dt.date(2026, 11, 1), "c": None, "d": None}
    assert pick(db, GROUP) == "c" and pick(db, VILLAGE) == "d"
    with db.transaction() as session:
        assert merge_snapshot(session, snapshot) == (0, 0), "the same snapshot again changes nothing"


def test_a_rehomed_ticket_goes_to_the_retired_grids_worker_until_people_carries_her_post_over(db):
    retired, new = GROUP, VILLAGE + "007"
    record(db, view("chief", VILLAGE, "grid_chief"), view("full", retired, "full_time_worker", end="2026-11-23"))
    with db.read() as session:
        assert responsible_for(session, new, TODAY).assignment_id == "chief"
        assert responsible_for(session, new, TODAY, previous=retired).assignment_id == "full"
    record(db, view("carried", new, "part_time_worker"))
    with db.read() as session:
        assert responsible_for(session, new, TODAY, previous=retired).assignment_id == "carried", \
            "a post in the new grid itself comes before the retired grid's"
