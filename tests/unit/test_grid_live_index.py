"""A replica's live index: overlapping rebuilds never leave an older snapshot installed."""
import eventlet
import pytest
from eventlet.event import Event
from shapely.geometry import box, mapping

from grid import MIGRATIONS_DIR, registry
from grid.levels import scheme
from grid.locate import LiveIndex, load_index

LEVELS = scheme()


@pytest.fixture
def db(open_db):
    return open_db("grid", MIGRATIONS_DIR)


def add_district(db, code, x):
    with db.transaction() as session:
        registry.add_grid(session, LEVELS, {"code": code, "name": "测试区", "geometry": mapping(box(x, 31, x + 0.01, 31.01))})


def test_a_slow_rebuild_of_an_older_snapshot_does_not_replace_a_newer_one(db):
    add_district(db, "320581", 121.0)
    read_old, release_old = Event(), Event()
    calls = []

    def load():
        with db.read() as session:
            index = load_index(session)
        calls.append(len(index))
        if len(calls) == 2:  # the first event's rebuild: read before the second change, then slow
            read_old.send()
            release_old.wait()
        return index

    live = LiveIndex(load)
    live.rebuild()
    older = eventlet.spawn(live.rebuild)
    read_old.wait()
    add_district(db, "320582", 121.1)  # the second change, and its rebuild, finish first
    assert live.rebuild() is True
    release_old.send()
    installed = older.wait()
    assert calls == [1, 1, 2]
    assert live.index.locate_code(121.105, 31.005) == "320582"
    assert live.index.locate_code(121.005, 31.005) == "320581"
    assert installed is False  # discarded: it read the database before the second change


def test_each_rebuild_in_turn_is_installed_and_its_own_event_is_not_applied_twice(db):
    loads = []
    live = LiveIndex(lambda: loads.append(1) or load_index_of(db))
    assert live.rebuild("e1") is True and live.rebuild() is True
    live.refresh("e1")  # the broadcast of this replica's own change: already applied
    assert len(loads) == 2 and live.generation == 2
    live.refresh("e2")
    assert len(loads) == 3 and live.generation == 3


def load_index_of(db):
    with db.read() as session:
        return load_index(session)
