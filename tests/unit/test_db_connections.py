"""Pooled connections on a real PostgreSQL: a connection the server dropped is
replaced after idling, and a request that meets one while it is busy gets a 503
that may be retried, never a 500."""
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool

from common import db as dbmodule
from common.db import DatabaseHandle, make_engine
from common.errors import Unavailable


@pytest.fixture
def open_handle(scratch_db, monkeypatch):
    if not scratch_db.startswith("postgresql"):
        pytest.skip("server-side connection loss needs PostgreSQL")
    handles = []

    def make(idle_ping_seconds):
        monkeypatch.setattr(dbmodule, "IDLE_PING_SECONDS", idle_ping_seconds)
        engine = make_engine(scratch_db)
        handles.append(engine)
        return DatabaseHandle(engine, sessionmaker(bind=engine, expire_on_commit=False))

    yield make
    for engine in handles:
        engine.dispose()


def backend_pid(handle):
    with handle.read() as session:
        return session.execute(text("SELECT pg_backend_pid()")).scalar_one()


def terminate(handle, pid):
    """What a server restart does to a pooled connection, from outside the pool."""
    outside = create_engine(handle.engine.url, poolclass=NullPool)
    with outside.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    outside.dispose()


def test_an_idle_connection_the_server_dropped_is_replaced_unseen(open_handle):
    handle = open_handle(0.0)  # every checkout counts as idle: pinged first
    pid = backend_pid(handle)
    terminate(handle, pid)
    assert backend_pid(handle) != pid


def test_a_busy_connection_the_server_dropped_gives_503_then_recovers(open_handle):
    handle = open_handle(3600.0)  # never idle long enough to be pinged
    pid = backend_pid(handle)
    terminate(handle, pid)
    with pytest.raises(Unavailable) as lost:
        with handle.transaction() as session:
            session.execute(text("SELECT 1"))
    assert lost.value.code == "DATABASE_UNAVAILABLE"
    assert backend_pid(handle) != pid  # the pool reconnected



def test_a_connection_the_server_dropped_after_a_read_s_query_leaves_the_read_whole(open_handle):
    """Found by the chaos test: the read's rollback on the dead connection failed, and
    that error reached the caller as a 500 although the read had its rows."""
    handle = open_handle(3600.0)
    pid = backend_pid(handle)
    with handle.read() as session:
        assert session.execute(text("SELECT 41 + 1")).scalar_one() == 42
        terminate(handle, pid)
        time.sleep(0.3)  # the server process is gone before the read ends
    assert backend_pid(handle) != pid  # the pool reconnected
