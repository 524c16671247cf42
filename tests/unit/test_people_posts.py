"""Posts on grids that a split or a merge retires are carried over to the new grids
(a real database: PostgreSQL when there is one)."""
import datetime as dt

import pytest

from people import MIGRATIONS_DIR
from people.models import Assignment, Person
from people.staff import assign, carry_posts

SPLIT_DAY = dt.date(2026, 11, 23)
OLD, WEST, EAST = "320508019044001", "320508019044004", "320508019044005"


@pytest.fixture
def db(open_db):
    return open_db("people", MIGRATIONS_DIR)


def person(session, name):
    someone = Person(name=name, status="active")
    session.add(someone)
    session.flush()
    return someone.id


def posts(session, person_id):
    rows = session.query(Assignment).filter_by(person_id=person_id).order_by(Assignment.grid_code)
    return [(a.grid_code, a.role, a.start_date.isoformat(), a.end_date and a.end_date.isoformat()) for a in rows]


def test_a_split_gives_each_part_the_posts_of_the_retired_grid_and_ends_them_there(db):
    with db.transaction() as session:
        worker, chief, gone = person(session, "小李"), person(session, "老陈"), person(session, "老王")
        assign(session, worker, OLD, "full_time_worker", dt.date(2026, 1, 1))
        assign(session, chief, OLD, "grid_chief", dt.date(2026, 1, 1), dt.date(2027, 6, 30))
        assign(session, gone, OLD, "part_time_worker", dt.date(2025, 1, 1), dt.date(2026, 10, 31))
        ended, created = carry_posts(session, [OLD], [WEST, EAST], SPLIT_DAY)
        assert len(ended) == 2 and len(created) == 4, "the post that had ended stays where it was"
        assert posts(session, worker) == [
            (OLD, "full_time_worker", "2026-01-01", "2026-11-23"),
            (WEST, "full_time_worker", "2026-11-23", None), (EAST, "full_time_worker", "2026-11-23", None)]
        assert posts(session, chief)[1:] == [(WEST, "grid_chief", "2026-11-23", "2027-06-30"),
                                             (EAST, "grid_chief", "2026-11-23", "2027-06-30")]
        assert posts(session, gone) == [(OLD, "part_time_worker", "2025-01-01", "2026-10-31")]
        assert carry_posts(session, [OLD], [WEST, EAST], SPLIT_DAY + dt.timedelta(days=1)) == ([], [])


def test_a_merge_gives_one_post_per_person_and_role_and_keeps_posts_already_held(db):
    merged = "320508019044006"
    with db.transaction() as session:
        worker, chief = person(session, "小李"), person(session, "老陈")
        assign(session, worker, WEST, "full_time_worker", dt.date(2026, 1, 1), dt.date(2026, 12, 31))
        assign(session, worker, EAST, "full_time_worker", dt.date(2026, 3, 1))
        assign(session, chief, WEST, "grid_chief", dt.date(2026, 1, 1))
        assign(session, chief, merged, "grid_chief", dt.date(2026, 11, 1))  # posted there already
        future = assign(session, chief, EAST, "building_head", dt.date(2027, 1, 1))
        ended, created = carry_posts(session, [WEST, EAST], [merged], SPLIT_DAY)
        assert len(ended) == 4 and len(created) == 2
        carried = {(a.person_id, a.role): (a.start_date.isoformat(), a.end_date) for a in created}
        assert carried == {(worker, "full_time_worker"): ("2026-11-23", None),  # the later of the two ends
                           (chief, "building_head"): ("2027-01-01", None)}  # a post not begun yet keeps its start
        assert future.end_date == dt.date(2027, 1, 1), "an end never before its start"
