"""Special groups' follow-up (特殊人群) and group rentals (群租房) on a real database
(PostgreSQL when there is one): the cadences in the targets document, and who is
overdue on a hand-built grid whose visits are known."""
import datetime as dt

import pytest

from common.errors import InvalidInput
from people import MIGRATIONS_DIR, followups, targets
from people.models import Household, Person, Resident, Visit

GRID, OTHER = "320587001001001", "320587001001002"
NOW = dt.datetime(2026, 9, 30, 4, tzinfo=dt.timezone.utc)
CADENCES = {"elderly_alone": 7, "community_correction": 30}


@pytest.fixture
def db(open_db):
    return open_db("people", MIGRATIONS_DIR)


def days_ago(days):
    return NOW - dt.timedelta(days=days)


# --- the cadences ------------------------------------------------------------------------

def test_the_default_cadences_are_the_issues_examples_and_each_says_why():
    loaded = targets.load_targets()
    assert loaded.follow_ups["elderly_alone"] == 7 and loaded.follow_ups["community_correction"] == 30
    assert loaded.group_rental_days == 30
    document = targets.load_targets().document["follow_ups"]
    assert all(entry.get("why") for entry in document["tags"].values()) and document["group_rentals"]["why"]


@pytest.mark.parametrize("follow_ups, path", [
    ({"tags": {"elderly_alone": {"every_days": 0}}}, ("tags", "elderly_alone", "every_days")),
    ({"tags": {"elderly_alone": {"every_days": "7"}}}, ("tags", "elderly_alone", "every_days")),
    ({"tags": {"elderly_alone": {"every_days": 2.5}}}, ("tags", "elderly_alone", "every_days")),
    ({"tags": {"nobody_in_particular": {"every_days": 7}}}, ("tags", "nobody_in_particular")),
    ({"group_rentals": {"every_days": -30}}, ("group_rentals", "every_days")),
])
def test_a_wrong_cadence_is_refused_naming_its_field(follow_ups, path):
    with pytest.raises(InvalidInput) as refused:
        targets.load_targets({"roles": {}, "follow_ups": follow_ups})
    where = refused.value.details["fields"]["follow_ups"]
    for key in path:
        where = where[key]
    assert where, refused.value.details


# --- who is overdue ----------------------------------------------------------------------

def write(session):
    """Four tagged residents of GRID in three households, one tagged resident elsewhere,
    and a group rental's household visited five weeks ago."""
    worker = Person(name="网格员", id_number_hash="h-worker")
    session.add(worker)
    homes = {name: Household(place_code=f"{GRID[:12]}0000{n}", grid_code=GRID, address=f"淳溪路{n}号")
             for n, name in enumerate(("alone", "corrected", "both", "rental"), start=1)}
    elsewhere = Household(place_code=f"{OTHER[:12]}00009", grid_code=OTHER, address="别处")
    session.add_all([*homes.values(), elsewhere])
    session.flush()

    def resident(name, home, tags, registered):
        row = Resident(name=name, gender="男", birth_date=dt.date(1940, 1, 1), id_number_enc="x",
                       id_number_hash=f"h-{name}", id_number_masked="3205**********0000",
                       household_id=home.id, grid_code=home.grid_code, tags=tags, created_at=registered)
        session.add(row)
        return row

    people = {
        "alone": resident("独居老人甲", homes["alone"], ["elderly_alone", "elderly"], days_ago(200)),
        "corrected": resident("矫正对象乙", homes["corrected"], ["community_correction"], days_ago(200)),
        "both": resident("丙", homes["both"], ["community_correction", "elderly_alone"], days_ago(200)),
        "new": resident("新登记丁", homes["both"], ["elderly_alone"], days_ago(2)),
        "untagged": resident("戊", homes["alone"], [], days_ago(200)),
        "elsewhere": resident("己", elsewhere, ["elderly_alone"], days_ago(200)),
    }
    session.flush()

    def visit(home, days, n):
        session.add(Visit(person_id=worker.id, household_id=home.id, grid_code=home.grid_code, client_id=f"c{n}",
                          notes="入户走访", occurred_at=days_ago(days)))
    visit(homes["alone"], 10, 1)       # a week and a half ago: overdue by three days
    visit(homes["corrected"], 12, 2)   # within its month
    visit(homes["both"], 3, 3)         # three days ago: nobody in it is due
    visit(homes["rental"], 35, 4)
    session.flush()
    return people, homes


def test_overdue_follows_each_groups_cadence_from_the_last_visit_or_registration(db):
    with db.transaction() as session:
        people, homes = write(session)
        rentals = [{"code": homes["rental"].place_code, "name": "群租房", "grid_code": GRID,
                    "group_rental_marked_at": days_ago(60).isoformat()},
                   {"code": f"{GRID[:12]}00077", "name": "新标记群租房", "grid_code": GRID,
                    "group_rental_marked_at": days_ago(3).isoformat()}]
        report = followups.overdue(session, root=GRID[:12], cadences=CADENCES, rental_days=30, rentals=rentals,
                                   now=NOW)
    listed = {item["resident_id"]: item for item in report["residents_overdue"]}
    assert set(listed) == {people["alone"].id, people["elsewhere"].id}, listed   # the community's
    alone = listed[people["alone"].id]
    assert (alone["tags"], alone["every_days"], alone["days_overdue"]) == (["elderly_alone"], 7, 3)
    assert alone["last_follow_up_at"] == days_ago(10).isoformat() and alone["address"] == "淳溪路1号"
    assert "id_number" not in alone and "phone" not in alone
    (rental,) = report["group_rentals_overdue"]
    assert (rental["place_code"], rental["days_overdue"]) == (homes["rental"].place_code, 5)
    grids = {row["grid_code"]: row for row in report["grids"]}
    assert grids[GRID] == {"grid_code": GRID, "followed": 4, "overdue": 1, "rentals": 2, "rentals_overdue": 1}
    assert grids[OTHER]["followed"] == 1 and grids[OTHER]["overdue"] == 1    # never visited


def test_the_strictest_cadence_counts_and_one_group_can_be_asked(db):
    with db.transaction() as session:
        people, _ = write(session)
        later = followups.overdue(session, root=GRID, cadences=CADENCES, rental_days=30, rentals=[],
                                  now=NOW + dt.timedelta(days=20))
        corrections = followups.overdue(session, root=GRID, cadences=CADENCES, rental_days=30, rentals=[],
                                        now=NOW + dt.timedelta(days=20), tag="community_correction")
    both = {item["resident_id"]: item for item in later["residents_overdue"]}[people["both"].id]
    assert both["every_days"] == 7 and both["days_overdue"] == 20 - 4
    assert [item["resident_id"] for item in later["residents_overdue"]][0] == people["alone"].id   # most overdue
    assert {item["resident_id"] for item in corrections["residents_overdue"]} == {people["corrected"].id}
    assert corrections["cadences"] == {"community_correction": 30} and corrections["group_rentals_overdue"] == []
