"""Concurrent changes under one parent, on the real database (PostgreSQL here; the test
process is green, so these transactions truly overlap): no overlapping siblings, no
code handed out twice, no 500."""
import eventlet
import pytest
from shapely.geometry import box, mapping

from common.errors import AppError
from grid import MIGRATIONS_DIR, history, places, registry
from grid.levels import scheme
from grid.models import Grid, Place

LEVELS = scheme()
X, Y = 121.0, 31.0
COMMUNITY = "320581001001"
RUNS = 6


@pytest.fixture
def db(open_db, scratch_db):
    if not scratch_db.startswith("postgresql"):
        pytest.skip("the race needs PostgreSQL (SQLite serialises writers)")
    handle = open_db("grid", MIGRATIONS_DIR)
    whole = mapping(box(X, Y, X + 0.06, Y + 0.02))
    with handle.transaction() as session:
        registry.import_features(session, LEVELS, {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": whole, "properties": {"code": code, "name": name, "parent_code": parent}}
            for code, name, parent in [("320581", "常熟市", None), ("320581001", "虞山街道", "320581"),
                                       (COMMUNITY, "书院社区", "320581001")]]})
    return handle


def concurrently(db, changes):
    """Run each change in its own transaction, all at once; (results, expected errors).
    Anything else (an IntegrityError, a StaleDataError: a 500) is raised."""
    def run(change):
        try:
            with db.transaction() as session:
                return change(session)
        except AppError as exc:
            return exc

    outcomes = [thread.wait() for thread in [eventlet.spawn(run, change) for change in changes]]
    return ([o for o in outcomes if not isinstance(o, AppError)], [o for o in outcomes if isinstance(o, AppError)])


def active_grids(db):
    with db.read() as session:
        return {g.code: g.name for g in session.query(Grid).filter(Grid.parent_code == COMMUNITY,
                                                                   Grid.status == "active")}


def test_concurrent_creates_of_one_area_leave_one_grid_there(db):
    west = mapping(box(X, Y, X + 0.01, Y + 0.02))
    made, refused = concurrently(db, [
        lambda session, i=i: registry.add_grid(session, LEVELS, {"name": f"网格{i}", "parent_code": COMMUNITY,
                                                                  "geometry": west}).code
        for i in range(RUNS)])
    assert len(made) == 1 and {e.code for e in refused} == {"OVERLAPS_SIBLING"}
    assert list(active_grids(db)) == made


def test_concurrent_numbered_creates_and_splits_get_distinct_codes(db):
    strips = [box(X + 0.01 * i, Y, X + 0.01 * (i + 1), Y + 0.02) for i in range(RUNS)]
    made, refused = concurrently(db, [
        lambda session, i=i: (registry.add_grid(session, LEVELS, {"name": f"网格{i}", "parent_code": COMMUNITY,
                                                                   "geometry": mapping(strips[i])}).code, strips[i])
        for i in range(RUNS)])
    assert refused == [] and len({code for code, _ in made}) == RUNS
    halves = [(code, [{"name": f"{code}西", "geometry": mapping(box(s.bounds[0], Y, s.centroid.x, Y + 0.02))},
                      {"name": f"{code}东", "geometry": mapping(box(s.centroid.x, Y, s.bounds[2], Y + 0.02))}])
              for code, s in made]
    split, refused = concurrently(db, [
        lambda session, code=code, parts=parts: [g.code for g in history.split_grid(session, LEVELS, code, parts)[1]]
        for code, parts in halves])
    assert refused == [] and len({c for codes in split for c in codes}) == 2 * RUNS
    assert len(active_grids(db)) == 2 * RUNS


def test_concurrent_splits_of_one_grid_split_it_once(db):
    with db.transaction() as session:
        code = registry.add_grid(session, LEVELS, {"name": "网格", "parent_code": COMMUNITY,
                                                   "geometry": mapping(box(X, Y, X + 0.02, Y + 0.02))}).code
    parts = [{"name": "西", "geometry": mapping(box(X, Y, X + 0.01, Y + 0.02))},
             {"name": "东", "geometry": mapping(box(X + 0.01, Y, X + 0.02, Y + 0.02))}]
    split, refused = concurrently(db, [lambda session: history.split_grid(session, LEVELS, code, parts)[1][0].code]
                                  * RUNS)
    assert len(split) == 1 and {e.code for e in refused} == {"GRID_RETIRED"}
    assert sorted(active_grids(db).values()) == ["东", "西"]


def test_concurrent_places_in_one_community_get_distinct_numbers(db):
    with db.transaction() as session:
        grid = registry.add_grid(session, LEVELS, {"name": "网格", "parent_code": COMMUNITY,
                                                   "geometry": mapping(box(X, Y, X + 0.02, Y + 0.02))}).code
    made, refused = concurrently(db, [
        lambda session, i=i: places.add_place(session, LEVELS, {"type": "building", "name": f"{i}号楼",
                                                                "lon": X + 0.001 * (i + 1), "lat": Y + 0.01}, grid).code
        for i in range(RUNS)])
    assert refused == [] and len(set(made)) == RUNS
    with db.read() as session:
        assert session.query(Place).count() == RUNS


def test_a_unique_key_taken_first_by_another_transaction_is_a_409(db):
    from grid.exceptions import ConcurrentChange
    with pytest.raises(ConcurrentChange) as caught:
        with registry.writing(db) as session:  # as if another replica stored the code just before
            session.add(Grid(code=COMMUNITY, name="重复", level="community", depth=3, kind="basic",
                             parent_code="320581001", status="active"))
    assert caught.value.code == "CONCURRENT_CHANGE"
    with db.read() as session:
        assert session.get(Grid, COMMUNITY).name == "书院社区"
