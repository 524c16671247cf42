"""The demo data `make run` loads: the district with the building the demo resident
lives in, and the people, each loaded twice (a second `make run` adds nothing)."""
from sqlalchemy import func, select, text

from common.pii import PiiCipher
from grid import MIGRATIONS_DIR as GRID_MIGRATIONS
from grid import demo as grid_demo
from grid.generator import build, small_spec
from grid.models import Place
from people import MIGRATIONS_DIR as PEOPLE_MIGRATIONS
from people import demo as people_demo
from people.accounts import find_by_username
from people.models import Household, Resident

CIPHER = PiiCipher(bytes(32))


def test_the_demo_building_is_in_the_first_grid_where_the_people_demo_expects_it(open_db):
    db = open_db("grid", GRID_MIGRATIONS)
    grid_demo.load_collection(build(small_spec(), radius_deg=0.03), db)
    code = grid_demo.load_building(db)
    assert grid_demo.load_building(db) == code == people_demo.DEMO_HOME["code"]
    with db.read() as session:
        place = session.scalars(select(Place)).one()
        assert (place.grid_code, place.name) == (people_demo.DEMO_HOME["grid_code"], "彩香一村3幢")
        assert session.execute(text("SELECT count(*) FROM outbox_events WHERE event_type = 'place_added'")).scalar() == 1


def test_the_demo_resident_has_a_home_in_the_first_grid_and_his_account(open_db):
    db = open_db("people", PEOPLE_MIGRATIONS)
    for _ in range(2):
        people_demo.load_demo(db, "GridDemo2026", CIPHER)
    with db.read() as session:
        (resident,) = session.scalars(select(Resident)).all()
        assert session.scalar(select(func.count()).select_from(Household)) == 1
        assert resident.grid_code == people_demo.DEMO_HOME["grid_code"]
        assert find_by_username(session, "jumin_zhang").resident_id == resident.id
        events = dict(session.execute(text("SELECT event_type, count(*) FROM outbox_events GROUP BY event_type")).all())
    assert events["household_registered"] == events["resident_registered"] == 1
    assert events["person_assigned"] == len(people_demo.DEMO_STAFF)
