"""A callee does not commit after its caller's deadline (issue 21: a request that
reached tickets just before the gateway's deadline was committed after the gateway
had answered 503). Work nobody waits for with a deadline (events, timers, a job a
request started) commits whenever it ends."""
from types import SimpleNamespace

import eventlet
import pytest
from nameko.events import EventHandler
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from common.db import COMMIT_MARGIN_SECONDS, DatabaseHandle, set_commit_deadline
from common.errors import DeadlineExceeded
from common.rpc import CALLER_SENT_AT, CALLER_WAITS, Rpc, _BoundedMethodProxy, caller_deadline, caller_waits_left


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def handle(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'deadline.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE ticket (id INTEGER PRIMARY KEY)"))
    late = []
    db = DatabaseHandle(engine, sessionmaker(bind=engine), on_deadline_exceeded=lambda: late.append(1))
    db.clock = Clock()
    db.late = late
    yield db
    set_commit_deadline(None)
    engine.dispose()


def stored(db):
    with db.read() as session:
        return session.execute(text("SELECT id FROM ticket ORDER BY id")).scalars().all()


def rpc_worker(waits):
    return SimpleNamespace(entrypoint=Rpc(), context_data={CALLER_WAITS: waits})


def test_an_rpc_workers_deadline_is_its_callers_wait_from_its_start_less_the_margin():
    assert caller_deadline(rpc_worker(3), 1000.0, COMMIT_MARGIN_SECONDS) == 1000.0 + 3 - COMMIT_MARGIN_SECONDS
    assert caller_deadline(SimpleNamespace(entrypoint=Rpc(), context_data={}), 1000.0, 0.25) is None
    assert caller_deadline(rpc_worker(True), 1000.0, 0.25) is None
    event = SimpleNamespace(entrypoint=EventHandler("tickets", "ticket_reported"), context_data={CALLER_WAITS: 3})
    assert caller_deadline(event, 1000.0, 0.25) is None, "an event's consumer has no caller waiting"


def test_the_time_a_request_spent_queued_is_taken_off_its_callers_wait():
    """A request redelivered to a restarted service (or queued behind others) has less
    left than its caller's whole wait: the chaos run's keyless intake was committed
    after its 503 because the restarted tickets counted the whole wait again."""
    sent = {CALLER_WAITS: 3, CALLER_SENT_AT: 5000.0}
    assert caller_waits_left(sent, now=5000.0) == 3
    assert caller_waits_left(sent, now=5002.5) == pytest.approx(0.5)
    assert caller_waits_left(sent, now=5010.0) == 0, "queued past its wait: nothing left, never negative"
    assert caller_waits_left(sent, now=4999.0) == 3, "a callee's clock behind the caller's costs nothing"
    assert caller_waits_left({CALLER_WAITS: 3}, now=5002.5) == 3, "a caller that sent no time: its whole wait"
    assert caller_waits_left({CALLER_WAITS: 3, CALLER_SENT_AT: "soon"}, now=5002.5) == 3
    assert caller_waits_left({}, now=5000.0) is None
    queued = SimpleNamespace(entrypoint=Rpc(), context_data=sent)
    assert caller_deadline(queued, 100.0, COMMIT_MARGIN_SECONDS, now=5002.5) == pytest.approx(
        100.0 + 0.5 - COMMIT_MARGIN_SECONDS)


def test_every_request_carries_its_wait_and_when_it_was_sent(monkeypatch):
    monkeypatch.setattr("common.rpc.time.time", lambda: 7000.0)
    proxy = _BoundedMethodProxy.__new__(_BoundedMethodProxy)
    proxy.timeout = 2.0
    monkeypatch.setattr("nameko.rpc.MethodProxy.get_message_headers", lambda self, ctx: {})
    monkeypatch.setattr(_BoundedMethodProxy, "_get_header_name", lambda self, key: f"nameko.{key}", raising=False)
    assert proxy.get_message_headers(None) == {f"nameko.{CALLER_WAITS}": 2.0, f"nameko.{CALLER_SENT_AT}": 7000.0}


def test_a_transaction_past_the_deadline_is_rolled_back_and_counted(handle):
    set_commit_deadline(caller_deadline(rpc_worker(3), handle.clock(), COMMIT_MARGIN_SECONDS))
    with handle.transaction() as session:
        session.execute(text("INSERT INTO ticket (id) VALUES (1)"))
    handle.clock.now += 2.7
    with pytest.raises(DeadlineExceeded) as refused:
        with handle.transaction() as session:
            session.execute(text("INSERT INTO ticket (id) VALUES (2)"))
            handle.clock.now += 0.1  # the statement ran past the deadline
    assert refused.value.code == "DEADLINE_EXCEEDED" and refused.value.details == {"late_seconds": 0.05}
    assert stored(handle) == [1] and handle.late == [1]


def test_without_a_deadline_and_in_another_greenthread_commits_go_through(handle):
    set_commit_deadline(None)
    handle.clock.now += 3600
    with handle.transaction() as session:
        session.execute(text("INSERT INTO ticket (id) VALUES (1)"))
    set_commit_deadline(handle.clock() - 1)  # this greenthread's caller is gone...

    def job():  # ...but a job it started is nobody's answer
        with handle.transaction() as session:
            session.execute(text("INSERT INTO ticket (id) VALUES (2)"))

    eventlet.spawn(job).wait()
    assert stored(handle) == [1, 2] and handle.late == []
