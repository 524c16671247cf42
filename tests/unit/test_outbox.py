"""The transactional outbox against a real database (PostgreSQL when available)."""
import eventlet
import pytest
from sqlalchemy import select

from common.db import utcnow
from common.outbox import OutboxWriter, Relay, RelayError, envelope_of, outbox_events, relay_batch
from tickets import MIGRATIONS_DIR


@pytest.fixture
def db(open_db):
    return open_db("tickets", MIGRATIONS_DIR)


def stage(db, count, event_type="ticket_reported"):
    writer = OutboxWriter("tickets")
    with db.transaction() as session:
        return [writer.add(session, event_type, {"n": n})["event_id"] for n in range(count)]


def rows(db):
    with db.read() as session:
        return session.execute(select(outbox_events).order_by(outbox_events.c.created_at)).all()


def test_event_rolls_back_with_its_change(db):
    with pytest.raises(RuntimeError):
        with db.transaction() as session:
            OutboxWriter("tickets").add(session, "ticket_reported", {"n": 1})
            raise RuntimeError("the change failed")
    assert rows(db) == []


def test_relay_publishes_in_order_and_marks_each_event(db):
    staged = stage(db, 3)
    published = []
    assert relay_batch(db, published.append) == 3
    assert [e["event_id"] for e in published] == staged
    assert published[0]["source"] == "tickets" and published[0]["payload"] == {"n": 0}
    assert all(row.published_at is not None for row in rows(db))
    assert relay_batch(db, published.append) == 0 and len(published) == 3


def test_a_publish_failure_keeps_the_event_pending_with_the_error(db):
    staged = stage(db, 4)
    published = []

    def flaky(envelope):
        if len(published) == 2:
            raise ConnectionError("broker went away")
        published.append(envelope["event_id"])

    with pytest.raises(RelayError):
        relay_batch(db, flaky)
    state = {row.event_id: row for row in rows(db)}
    assert [state[e].published_at is not None for e in staged] == [True, True, False, False]
    assert state[staged[2]].attempts == 1 and "broker went away" in state[staged[2]].last_error
    assert relay_batch(db, lambda e: published.append(e["event_id"])) == 2
    assert published == staged


def test_two_relays_share_the_backlog_without_waiting_for_each_other(db, infra):
    if not infra.postgres:
        pytest.skip("row locks with SKIP LOCKED need PostgreSQL")
    staged = stage(db, 10)
    published = {"a": [], "b": []}
    finished = []

    def relay(name, delay):
        def publish(envelope):
            eventlet.sleep(delay)
            published[name].append(envelope["event_id"])
        relay_batch(db, publish, limit=5)
        finished.append(name)

    slow = eventlet.spawn(relay, "a", 0.2)
    eventlet.sleep(0.1)  # "a" holds its five rows
    fast = eventlet.spawn(relay, "b", 0.0)
    fast.wait()
    slow.wait()
    assert finished == ["b", "a"], "the second relay was blocked by the first"
    assert len(published["a"]) == 5 and len(published["b"]) == 5
    assert sorted(published["a"] + published["b"]) == sorted(staged)


def test_a_long_relay_does_not_starve_requests_for_the_only_sqlite_connection(open_db, tmp_path):
    """Embedded mode has one connection; the relay must let waiting requests in
    between its batches rather than keep the connection until the backlog is gone."""
    db = open_db("tickets", MIGRATIONS_DIR, f"sqlite:///{tmp_path / 'relay.db'}")
    stage(db, 200)
    finished = []

    def slow_publish(envelope):
        eventlet.sleep(0.002)  # a broker round trip

    relay = Relay(db, slow_publish)

    def request():
        eventlet.sleep(0.01)  # arrives while the relay is busy
        with db.read() as session:
            session.execute(select(outbox_events.c.event_id).limit(1)).all()
        finished.append("request")

    waiting = eventlet.spawn(request)
    relay.relay_pending()
    finished.append("relay")
    waiting.wait()
    assert finished == ["request", "relay"]


def test_committed_events_go_out_from_memory_in_commit_order_and_are_marked(db):
    published = []
    relay = Relay(db, published.append)
    db.on_commit(relay.committed)
    first, second = stage(db, 2), stage(db, 1)
    with pytest.raises(RuntimeError):  # a rolled-back change queues nothing
        with db.transaction() as session:
            OutboxWriter("tickets").add(session, "ticket_reported", {"n": 9})
            raise RuntimeError("the change failed")
    assert relay.relay_fresh() == 3
    assert [envelope["event_id"] for envelope in published] == first + second
    state = {row.event_id: row for row in rows(db)}
    assert published == [envelope_of(state[envelope["event_id"]]) for envelope in published], \
        "from memory, each event is what the poll pass would have built from its row"
    assert sorted(state) == sorted(first + second)
    assert all(row.published_at is not None and row.attempts == 1 for row in state.values())
    assert relay.relay_pending() == 0, "the poll pass found nothing left to send"


def test_the_poll_pass_leaves_fresh_events_to_the_process_that_committed_them(db):
    staged = stage(db, 2)  # committed by "another process": nothing queued in memory here
    published = []
    relay = Relay(db, lambda envelope: published.append(envelope["event_id"]))
    assert relay.relay_pending(older_than=60) == 0 and published == []
    assert relay.relay_pending() == 2 and published == staged


def test_the_first_poll_pass_takes_what_was_left_before_the_relay_began_not_what_came_since(db):
    """A commit that raced the first pass was sent by it and again from memory (the
    outbox test saw probe_happened relayed twice)."""
    left_behind = stage(db, 1)
    began = utcnow()
    stage(db, 1)  # staged by this process after the relay began: relay_fresh's to send
    published = []
    relay = Relay(db, lambda envelope: published.append(envelope["event_id"]))
    assert relay.relay_pending(created_before=began) == 1 and published == left_behind


def test_a_failed_fresh_publish_leaves_the_rest_pending_for_the_poll_pass(db):
    published = []

    def flaky(envelope):
        if len(published) == 1:
            raise ConnectionError("broker went away")
        published.append(envelope["event_id"])

    relay = Relay(db, flaky)
    db.on_commit(relay.committed)
    staged = stage(db, 3)
    with pytest.raises(ConnectionError):
        relay.relay_fresh()
    assert not relay.fresh, "memory let go of the rest: the table has them"
    pending = [row.event_id for row in rows(db) if row.published_at is None]
    assert pending == staged[1:]
    relay.publish = lambda envelope: published.append(envelope["event_id"])
    assert relay.relay_pending() == 2
    assert published == staged


def test_the_relay_loop_recovers_what_a_broker_failure_left_behind(db):
    """The loop as a container runs it: a fresh publish fails (the broker is away),
    the relay backs off, and the poll pass sends the event once it is past the grace."""
    from types import SimpleNamespace

    from common.outbox import Outbox
    from prometheus_client import CollectorRegistry, Counter

    published, broker_up = [], []

    def publish(envelope):
        if not broker_up:
            broker_up.append(True)  # the next attempt finds the broker back
            raise ConnectionError("broker went away")
        published.append(envelope["event_id"])

    outbox = Outbox()
    outbox.source, outbox.poll_seconds, outbox.grace_seconds, outbox.consumer_queues = "tickets", 0.1, 0.3, []
    outbox.metrics = SimpleNamespace(outbox_publish_failures=Counter("f", "f", registry=CollectorRegistry()))
    outbox._wakeup, outbox._running = eventlet.queue.LightQueue(maxsize=1), True
    outbox.relay = Relay(db, publish)
    db.on_commit(outbox._after_commit)
    runner = eventlet.spawn(outbox._run)
    eventlet.sleep(0.05)  # past the first poll pass, which found nothing
    staged = stage(db, 1)
    eventlet.sleep(0.15)
    assert published == [] and broker_up, "the fresh publish failed; the event waits in the table"
    for _ in range(40):
        if published:
            break
        eventlet.sleep(0.05)
    outbox._running = False
    outbox.kick()
    runner.wait()
    assert published == staged, "the poll pass sent it once it was older than the grace"
    assert outbox.metrics.outbox_publish_failures._value.get() == 1
    assert all(row.published_at is not None for row in rows(db))
