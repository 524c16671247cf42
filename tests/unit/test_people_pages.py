"""People's records for scoring's read model (a real database: PostgreSQL when there
is one): paged reads whose items are the event payloads, staff names that are never a
resident's, residents' own accounts and their homes, the visit's grid kept on its row,
and grid labels read in one query."""
import datetime as dt
import uuid

import pytest
from sqlalchemy import event, text

from common.db import make_engine
from common.errors import Conflict, InvalidInput, NotFound
from common.migrations import upgrade
from common import textsig
from common.pii import PiiCipher
from common.validation import load
from idnumbers import fresh_id_number
from people import MIGRATIONS_DIR, accounts, pages, patrols, residents, staff
from people.models import Assignment, Household, PatrolCheckin, Visit
from people.schemas import AccountSchema, StaffNamesSchema

CIPHER = PiiCipher(bytes(32))
HERE, THERE = "320508019044001", "320508019044002"
WHEN = dt.datetime(2026, 11, 23, 1, 30, tzinfo=dt.timezone.utc)


@pytest.fixture
def db(open_db):
    return open_db("people", MIGRATIONS_DIR)


def household(session, grid_code=HERE, place=None):
    return residents.register_household(session, {}, {"code": place or f"{grid_code}00001", "grid_code": grid_code})


def resident(session, home=None, name="居民甲"):
    return residents.register_resident(session, CIPHER, {"name": name, "id_number": fresh_id_number(),
                                                         "household_id": home.id if home else None})


def worker(session, name="网格员甲", grid_code=HERE):
    person = staff.create_person(session, CIPHER, {"name": name})
    staff.assign(session, person.id, grid_code, "full_time_worker", dt.date(2026, 1, 1))
    return person


def walk(session, model, payload, limit):
    """Every page from the first; returns (items, pages)."""
    items, after, count = [], None, 0
    while True:
        page = pages.page(session, model, payload, *pages.page_args(after, limit))
        items += page["items"]
        count += 1
        if page["next"] is None:
            return items, count
        key = "household_id" if payload is residents.household_payload else "id"
        assert page["next"] == page["items"][-1][key]
        after = page["next"]


# --- paged reads --------------------------------------------------------------------------

def test_a_page_walk_returns_every_patrol_once_in_id_order_with_the_event_payload(db):
    with db.transaction() as session:
        person = worker(session)
        made = [patrols.record_patrol(session, {"person_id": person.id, "client_id": f"c{n}", "lon": 120.6,
                                                "lat": 31.3, "occurred_at": WHEN + dt.timedelta(minutes=n)},
                                      [HERE], HERE if n % 2 else None) for n in range(7)]
        expected = sorted((patrols.patrol_payload(c) for c in made), key=lambda p: p["id"])
    with db.read() as session:
        for limit in (1, 2, 3, 7, 5000):
            items, count = walk(session, PatrolCheckin, patrols.patrol_payload, limit)
            assert items == expected, limit
            assert count == -(-7 // limit), "a full last page already says next None"
    first = expected[0]
    assert set(first) == {"id", "person_id", "grid_codes", "located_grid_code", "inside", "lon", "lat",
                          "occurred_at", "received_at"}
    assert (first["lon"], first["lat"]) == (120.6, 31.3)
    assert first["grid_codes"] == [HERE] and dt.datetime.fromisoformat(first["received_at"]).tzinfo is not None


def test_an_empty_table_is_one_last_page(db):
    with db.read() as session:
        assert pages.page(session, Visit, patrols.visit_payload, *pages.page_args(None, 1000)) == {
            "items": [], "next": None}
        beyond = pages.page(session, Visit, patrols.visit_payload, *pages.page_args("ffffffff", 10))
        assert beyond == {"items": [], "next": None}


@pytest.mark.parametrize("limit", [0, -1, 5001, 10 ** 12, "many", None, True, 2.5])
def test_a_limit_outside_1_to_5000_is_a_400_naming_limit(limit):
    with pytest.raises(InvalidInput) as refused:
        pages.page_args(None, limit)
    assert refused.value.code == "VALIDATION_FAILED" and set(refused.value.details["fields"]) == {"limit"}


@pytest.mark.parametrize("after", [5, "", "x" * 65, ["a"]])
def test_a_cursor_that_is_no_id_is_a_400_naming_after(after):
    with pytest.raises(InvalidInput) as refused:
        pages.page_args(after, 10)
    assert set(refused.value.details["fields"]) == {"after"}


def test_the_bounds_themselves_are_taken():
    assert pages.page_args(None, 1) == (None, 1) and pages.page_args("a", 5000) == ("a", 5000)
    assert pages.page_args() == (None, 1000)


def test_a_visit_keeps_the_grid_its_household_was_in_when_visited(db):
    with db.transaction() as session:
        person = worker(session)
        home = household(session)
        visit = patrols.record_visit(session, {"person_id": person.id, "household_id": home.id, "client_id": "v1",
                                               "notes": "走访独居老人，身体状况良好", "occurred_at": WHEN})
        residents.move_household(session, home.id, {"code": f"{THERE}00001", "grid_code": THERE})
        later = patrols.record_visit(session, {"person_id": person.id, "household_id": home.id, "client_id": "v2",
                                               "notes": "再访", "occurred_at": WHEN + dt.timedelta(days=1)})
    with db.read() as session:
        items, _ = walk(session, Visit, patrols.visit_payload, 1)
    by_id = {item["id"]: item for item in items}
    assert by_id[visit.id]["grid_code"] == HERE and by_id[later.id]["grid_code"] == THERE
    assert set(by_id[visit.id]) == {"id", "person_id", "household_id", "grid_code", "notes_sig", "occurred_at",
                                    "received_at"}
    assert "notes'" not in repr(items) and "走访" not in repr(items)


def test_a_visit_carries_the_signature_of_its_notes_never_the_notes(db):
    notes = "入户走访独居老人张大爷，家中水电正常，提醒冬季注意用火安全。"
    with db.transaction() as session:
        person, home = worker(session), household(session)
        made = [patrols.record_visit(session, {"person_id": person.id, "household_id": home.id, "client_id": f"v{n}",
                                               "notes": text, "occurred_at": WHEN})
                for n, text in enumerate((notes, notes.replace("张大爷", "李大妈"), "正常"))]
        assert made[0].notes_sig == textsig.signature(notes)  # stored once, with the visit
    with db.read() as session:
        items, _ = walk(session, Visit, patrols.visit_payload, 2)
    signed = {item["id"]: item["notes_sig"] for item in items}
    assert signed[made[0].id] == textsig.signature(notes) and textsig.is_signature(signed[made[1].id])
    assert textsig.similarity(signed[made[0].id], signed[made[1].id]) > 0.7
    assert signed[made[2].id] is None, "too short to sign"
    assert "大爷" not in repr(items) and "正常" not in repr(items)


def test_assignment_and_household_pages_carry_what_their_events_carry(db):
    with db.transaction() as session:
        people = [worker(session, f"网格员{n}") for n in range(3)]
        staff.end_assignment(session, staff.assignments(session, person_id=people[0].id)[0].id, dt.date(2026, 6, 30))
        homes = [household(session, place=f"{HERE}0000{n}") for n in range(4)]
    with db.read() as session:
        posts, _ = walk(session, Assignment, staff.assignment_view, 2)
        houses, _ = walk(session, Household, residents.household_payload, 3)
    assert [p["id"] for p in posts] == sorted(p["id"] for p in posts) and len(posts) == 3
    ended = next(p for p in posts if p["person_id"] == people[0].id)
    assert ended["end_date"] == "2026-06-30" and ended["role"] == "full_time_worker" and ended["grid_code"] == HERE
    assert ended["version"] == 2 and {p["version"] for p in posts if p is not ended} == {1}
    assert sorted(h["household_id"] for h in houses) == sorted(h.id for h in homes)
    assert houses[0] == {"household_id": houses[0]["household_id"], "grid_code": HERE,
                         "place_code": houses[0]["place_code"], "residents": 0, "version": 1}


def test_a_household_counts_its_residents_each_registration_a_new_version(db):
    """``resident_registered`` carries the household as the page does: a consumer keeps
    the count of the newest version, so a late or repeated event cannot count twice."""
    with db.transaction() as session:
        home, other = household(session), household(session, place=f"{HERE}00002")
        first = residents.resident_payload(session, resident(session, home))
        second = residents.resident_payload(session, resident(session, home, name="居民乙"))
        homeless = residents.resident_payload(session, resident(session, name="居民丙"))
    assert (first["household"]["residents"], first["household"]["version"]) == (1, 2)
    assert (second["household"]["residents"], second["household"]["version"]) == (2, 3)
    assert homeless["household"] is None and homeless["household_id"] is None
    assert set(first) == {"resident_id", "household_id", "grid_code", "tags", "household"}
    assert "居民" not in repr([first, second, homeless])
    with db.read() as session:
        houses, _ = walk(session, Household, residents.household_payload, 1)
    by_id = {house["household_id"]: house for house in houses}
    assert by_id[home.id] == second["household"] and by_id[other.id]["residents"] == 0
    with db.transaction() as session:
        moved, _ = residents.move_household(session, home.id, {"code": f"{THERE}00001", "grid_code": THERE})
        assert residents.household_payload(moved)["residents"] == 2 and moved.version == 4


def test_a_change_to_a_post_or_a_household_is_a_new_version(db):
    """Their events travel through separate queues: the version tells a consumer
    which snapshot is the newest, whatever order they arrive in."""
    with db.transaction() as session:
        person = worker(session)
        post = staff.assignments(session, person_id=person.id)[0]
        home = household(session)
        assert (staff.assignment_view(post)["version"], residents.household_payload(home)["version"]) == (1, 1)
        assert staff.assignment_view(staff.end_assignment(session, post.id, dt.date(2026, 12, 31)))["version"] == 2
        assert staff.assignment_view(staff.end_assignment(session, post.id, dt.date(2026, 11, 30)))["version"] == 3
        moved, _ = residents.move_household(session, home.id, {"code": f"{THERE}00001", "grid_code": THERE})
        assert residents.household_payload(moved)["version"] == 2
        ended, created = staff.carry_posts(session, [HERE], [THERE], dt.date(2026, 11, 1))
        assert [staff.assignment_view(a)["version"] for a in ended] == [4]
        assert [staff.assignment_view(a)["version"] for a in created] == [1]


# --- staff names ------------------------------------------------------------------------------

def test_staff_names_are_staff_only_never_a_residents(db):
    with db.transaction() as session:
        person = worker(session, "王网格")
        someone = resident(session, household(session), name="李居民")
    with db.read() as session:
        names = staff.staff_names(session, [person.id, someone.id, str(uuid.uuid4()), person.id])
    assert names == {person.id: "王网格"}


def test_staff_names_take_at_most_20000_ids():
    assert load(StaffNamesSchema, {"person_ids": ["a"] * 20000})["person_ids"] == ["a"] * 20000
    for wrong in (["a"] * 20001, "a", [1], None, [""]):
        with pytest.raises(InvalidInput) as refused:
            load(StaffNamesSchema, {"person_ids": wrong})
        assert set(refused.value.details["fields"]) == {"person_ids"}, wrong


def test_20000_staff_names_in_one_call(db):
    with db.transaction() as session:
        person = worker(session, "赵网格")
    ids = [str(uuid.uuid4()) for _ in range(19999)] + [person.id]
    with db.read() as session:
        assert staff.staff_names(session, ids) == {person.id: "赵网格"}


# --- residents' accounts ----------------------------------------------------------------------

def account(session, **fields):
    data = load(AccountSchema, {"username": f"r{uuid.uuid4().hex[:10]}", "display_name": "居民",
                                "password": "Passw0rd-2026", "roles": ["resident"], **fields})
    return accounts.create_account(session, data)


def test_a_residents_account_finds_their_home(db):
    with db.transaction() as session:
        home = household(session)
        mine = account(session, resident_id=resident(session, home).id)
    with db.read() as session:
        assert accounts.resident_home(session, mine.id) == {"household_id": home.id, "grid_code": HERE}
    with db.transaction() as session:
        residents.move_household(session, home.id, {"code": f"{THERE}00001", "grid_code": THERE})
    with db.read() as session:
        assert accounts.resident_home(session, mine.id) == {"household_id": home.id, "grid_code": THERE}


def test_when_an_account_was_created_is_told_and_an_unknown_one_is_a_404(db):
    with db.transaction() as session:
        mine = account(session)
    with db.read() as session:
        told = accounts.account_created_at(session, mine.id)
        with pytest.raises(NotFound) as nobody:
            accounts.account_created_at(session, str(uuid.uuid4()))
    assert told == {"account_id": mine.id, "created_at": mine.created_at.isoformat()}
    assert dt.datetime.fromisoformat(told["created_at"]).tzinfo is not None
    assert nobody.value.code == "ACCOUNT_NOT_FOUND"


def test_no_home_without_a_resident_or_a_household(db):
    with db.transaction() as session:
        plain = account(session)
        homeless = account(session, resident_id=resident(session).id)
        staff_account = account(session, roles=["grid_worker"], grid_scope=HERE, person_id=worker(session).id)
    with db.read() as session:
        for account_id in (plain.id, homeless.id, staff_account.id):
            with pytest.raises(NotFound) as missing:
                accounts.resident_home(session, account_id)
            assert missing.value.code == "RESIDENT_NOT_FOUND"
        with pytest.raises(NotFound) as nobody:
            accounts.resident_home(session, str(uuid.uuid4()))
        assert nobody.value.code == "ACCOUNT_NOT_FOUND"


def test_a_resident_has_one_account_and_must_exist(db):
    with db.transaction() as session:
        someone = resident(session, household(session))
        first = account(session, resident_id=someone.id)
    assert first.resident_id == someone.id and accounts.account_payload(first)["resident_id"] == someone.id
    with pytest.raises(Conflict) as taken:
        with db.transaction() as session:
            account(session, resident_id=someone.id)
    assert taken.value.code == "RESIDENT_HAS_ACCOUNT" and taken.value.details == {"field": "resident_id"}
    assert first.username not in taken.value.message, "the holder's sign-in name is not told"
    with pytest.raises(InvalidInput) as unknown:
        with db.transaction() as session:
            account(session, resident_id=str(uuid.uuid4()))
    assert unknown.value.code == "UNKNOWN_RESIDENT" and unknown.value.details == {"field": "resident_id"}


def test_a_resident_id_belongs_on_a_resident_account_alone(db):
    with db.transaction() as session:
        someone = resident(session, household(session))
        person = worker(session)
    for fields in ({"roles": ["grid_worker"], "grid_scope": HERE}, {"roles": ["resident", "admin"]},
                   {"roles": ["resident"], "person_id": person.id}):
        with pytest.raises(InvalidInput) as refused:
            with db.transaction() as session:
                account(session, resident_id=someone.id, **fields)
        assert "resident_id" in refused.value.details["fields"], fields
    with db.transaction() as session:
        assert account(session, resident_id=someone.id).resident_id == someone.id


def test_the_account_event_names_no_one(db):
    with db.transaction() as session:
        someone = resident(session, household(session))
        created = account(session, resident_id=someone.id, display_name="张三")
        payload = accounts.account_payload(created)
    assert payload == {"id": created.id, "roles": ["resident"], "grid_scope": None, "person_id": None,
                       "resident_id": someone.id}


# --- the migration ---------------------------------------------------------------------------

def test_old_visits_take_their_households_grid(scratch_db):
    engine = make_engine(scratch_db)
    try:
        upgrade(engine, MIGRATIONS_DIR, "people", revision="0010")
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO persons (id, name, party_member, smartphone_user, "
                                    "violation_recorded, status, created_at, updated_at) VALUES ('p1', '甲', false, "
                                    "true, false, 'active', :now, :now)"), {"now": WHEN})
            connection.execute(text("INSERT INTO households (id, place_code, grid_code, created_at) "
                                    "VALUES ('h1', :place, :grid, :now)"),
                               {"place": f"{THERE}00001", "grid": THERE, "now": WHEN})
            connection.execute(text("INSERT INTO household_visits (id, person_id, household_id, client_id, notes, "
                                    "occurred_at, received_at) VALUES ('v1', 'p1', 'h1', 'c1', '走访', :now, :now)"),
                               {"now": WHEN})
        upgrade(engine, MIGRATIONS_DIR, "people")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT grid_code FROM household_visits")).scalars().all() == [THERE]
    finally:
        engine.dispose()


def test_old_households_count_their_residents_and_old_visits_are_signed(scratch_db):
    notes = "入户走访，老人独自居住，生活基本能够自理，子女每周探望。"
    engine = make_engine(scratch_db)
    try:
        upgrade(engine, MIGRATIONS_DIR, "people", revision="0011")
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO persons (id, name, party_member, smartphone_user, "
                                    "violation_recorded, status, created_at, updated_at) VALUES ('p1', '甲', false, "
                                    "true, false, 'active', :now, :now)"), {"now": WHEN})
            for home in ("h1", "h2"):
                connection.execute(text("INSERT INTO households (id, place_code, grid_code, created_at, version) "
                                        "VALUES (:id, :place, :grid, :now, 1)"),
                                   {"id": home, "place": f"{HERE}00001", "grid": HERE, "now": WHEN})
            for n in range(3):
                connection.execute(text(
                    "INSERT INTO residents (id, name, gender, birth_date, id_number_enc, id_number_hash, "
                    "id_number_masked, household_id, grid_code, tags, created_at, updated_at) VALUES (:id, '乙', "
                    "'男', '1950-01-01', 'x', :hash, 'x', 'h1', :grid, '[]', :now, :now)"),
                    {"id": f"r{n}", "hash": f"hash{n}", "grid": HERE, "now": WHEN})
            for visit, text_ in (("v1", notes), ("v2", "正常")):
                connection.execute(text("INSERT INTO household_visits (id, person_id, household_id, grid_code, "
                                        "client_id, notes, occurred_at, received_at) VALUES (:id, 'p1', 'h1', :grid, "
                                        ":id, :notes, :now, :now)"),
                                   {"id": visit, "grid": HERE, "notes": text_, "now": WHEN})
        upgrade(engine, MIGRATIONS_DIR, "people")
        with engine.connect() as connection:
            counts = dict(connection.execute(text("SELECT id, residents FROM households")).all())
            signed = dict(connection.execute(text("SELECT id, notes_sig FROM household_visits")).all())
    finally:
        engine.dispose()
    assert counts == {"h1": 3, "h2": 0}
    assert signed == {"v1": textsig.signature(notes), "v2": None}


# --- grid labels ------------------------------------------------------------------------------

def test_grid_labels_name_retired_grids_too_in_one_query(open_db):
    from grid import MIGRATIONS_DIR as GRID_MIGRATIONS, registry
    from grid.levels import scheme

    grid_db = open_db("grid", GRID_MIGRATIONS)
    with grid_db.transaction() as session:
        registry.import_features(session, scheme(), {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": None, "properties": {"code": code, "name": name, "parent_code": parent}}
            for code, name, parent in [("320509", "示范区", None), ("320509001", "示范街道", "320509"),
                                       ("320509001001", "示范社区", "320509001")]]})
        gone = registry.add_grid(session, scheme(), {"name": "甲", "parent_code": "320509001001"})
        gone.status = "retired"
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(grid_db.engine, "before_cursor_execute", listen)
    try:
        with grid_db.read() as session:
            codes = [f"9{n:011d}" for n in range(19998)] + ["320509001", gone.code]
            labels = registry.grid_labels(session, codes)
    finally:
        event.remove(grid_db.engine, "before_cursor_execute", listen)
    assert labels == {
        "320509001": {"name": "示范街道", "level": "town", "depth": 2, "kind": "basic"},
        gone.code: {"name": "甲", "level": "villager_group", "depth": 4, "kind": "basic"}}
    assert len([s for s in statements if "grids" in s]) == 1


def test_grid_labels_take_at_most_20000_codes():
    from grid.schemas import GridLabelsQuery

    assert len(load(GridLabelsQuery, {"codes": ["320509"] * 20000})["codes"]) == 20000
    for wrong in (["320509"] * 20001, "320509", [320509], None):
        with pytest.raises(InvalidInput) as refused:
            load(GridLabelsQuery, {"codes": wrong})
        assert set(refused.value.details["fields"]) == {"codes"}, wrong
