"""Power over a person comes from a post running today in the caller's scope (for a
round or a visit: on its day): a post that ended (someone who left the grid years
ago) or one not begun yet gives none. A round shows to the scope the worker was
posted in on its day (a real database)."""
import datetime as dt

import pytest

from common.errors import Forbidden
from common.shanghai import shanghai_date
from people import MIGRATIONS_DIR
from people.models import Assignment, Household, PatrolCheckin, Person
from people.patrols import may_record_visit, patrols
from people.staff import person_in_reach

OLD, NEW = "320508019044", "320508014021"  # the community 李娜 left, the one she works in now
TODAY = shanghai_date()
YEAR = dt.timedelta(days=365)


@pytest.fixture
def db(open_db):
    handle = open_db("people", MIGRATIONS_DIR)
    with handle.transaction() as session:
        session.add_all([Person(id="p-left", name="李娜", status="active"),
                         Person(id="p-soon", name="王强", status="active"),
                         Household(id="h-old", place_code=f"{OLD}00100001", grid_code=f"{OLD}001")])
        session.flush()
        session.add_all([
            Assignment(person_id="p-left", grid_code=f"{OLD}001", role="full_time_worker",
                       start_date=TODAY - 5 * YEAR, end_date=TODAY - 2 * YEAR),
            Assignment(person_id="p-left", grid_code=f"{NEW}001", role="full_time_worker",
                       start_date=TODAY - 2 * YEAR + dt.timedelta(days=1)),
            Assignment(person_id="p-soon", grid_code=f"{OLD}001", role="full_time_worker",
                       start_date=TODAY + dt.timedelta(days=30))])
    return handle


def test_only_a_post_running_today_puts_a_person_in_reach(db):
    with db.read() as session:
        with pytest.raises(Forbidden) as left:
            person_in_reach(session, "p-left", OLD)  # ended two years ago
        assert NEW not in repr(left.value.to_dict()), "where she works now is not for the old community to learn"
        assert person_in_reach(session, "p-left", NEW).id == "p-left"
        with pytest.raises(Forbidden):
            person_in_reach(session, "p-soon", OLD)  # not begun yet
        assert person_in_reach(session, "p-left", None).id == "p-left"


def test_a_visit_needs_the_visitor_posted_in_scope_on_its_day(db):
    now = dt.datetime.now(dt.timezone.utc)
    with db.read() as session:
        with pytest.raises(Forbidden):
            may_record_visit(session, {"person_id": "p-left", "household_id": "h-old", "occurred_at": now}, OLD)
        # made while she was posted there, uploaded after she left: still hers to record
        may_record_visit(session, {"person_id": "p-left", "household_id": "h-old", "occurred_at": now - 3 * YEAR},
                         OLD)


def test_a_round_shows_to_the_scope_the_worker_was_posted_in_that_day(db):
    def round_(client_id, days_ago, posted_in, located_in):
        return PatrolCheckin(person_id="p-left", client_id=client_id, lon=120.6, lat=31.3,
                             occurred_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago),
                             assigned_grid_codes=[posted_in], located_grid_code=located_in, inside=False)

    with db.transaction() as session:
        session.add_all([round_("then", 3 * 365, f"{OLD}001", "320508014099001"),  # strayed, while posted in OLD
                         round_("now", 1, f"{NEW}001", "320508014099001")])  # after leaving OLD
    with db.read() as session:
        assert [r.client_id for r in patrols(session, root=OLD).rows] == ["then"]
        assert [r.client_id for r in patrols(session, root=NEW).rows] == ["now"]
