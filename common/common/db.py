"""SQLAlchemy 2 as a nameko dependency: one database per service, migrations applied
on start, one session per transaction.

Green under eventlet: ``nameko run`` (and the test conftest) call
``eventlet.monkey_patch()``, which installs psycopg2's wait callback so queries
overlap instead of blocking the process. SQLite through the standard library is
blocking, so for SQLite a service uses a single pooled connection: greenthreads
queue for it (a green wait) instead of spinning in SQLite's busy handler, which
would block the whole process while another greenthread holds the write lock.
"""
import datetime as dt
import functools
import logging
import time
from contextlib import contextmanager

import eventlet
from eventlet import corolocal

from nameko.extensions import DependencyProvider
from sqlalchemy import DateTime, create_engine, event, text
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import sessionmaker
from sqlalchemy.types import TypeDecorator

from common import config as cfg
from common.errors import DeadlineExceeded, Unavailable
from common.metrics import metrics_for
from common.migrations import upgrade
from common.rpc import caller_deadline

log = logging.getLogger(__name__)


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


class UtcDateTime(TypeDecorator):
    """Timezone-aware datetimes stored as UTC on every backend (SQLite keeps none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware datetime")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def dialect_insert(session):
    """``insert`` of the session's dialect, which offers ``on_conflict_do_*`` (an
    upsert in one statement on both PostgreSQL and SQLite)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def add_to_counter(session, table, keys, column, amount):
    """Add ``amount`` to ``column`` of the row of ``table`` with ``keys`` (a dict of
    key column -> value), creating the row with ``amount`` if it is missing; returns
    the new value. One statement, safe under concurrency, on PostgreSQL and SQLite.

    Written as text because SQLAlchemy cannot cache the compiled form of its
    ``on_conflict_do_update`` construct, and counters sit on hot paths (every
    intake, every consumed event)."""
    params = dict(keys, amount=amount)
    return session.execute(_counter_statement(table.name, tuple(keys), column), params).scalar_one()


@functools.lru_cache(maxsize=None)
def _counter_statement(table, key_columns, column):
    keys = ", ".join(key_columns)
    return text(
        f"INSERT INTO {table} ({keys}, {column}) VALUES ({', '.join(':' + k for k in key_columns)}, :amount) "
        f"ON CONFLICT ({keys}) DO UPDATE SET {column} = {table}.{column} + excluded.{column} RETURNING {column}")


def make_engine(url):
    """An engine whose errors never show the statement's parameters: a failed insert
    of a resident would log their name and numbers."""
    if url.startswith("sqlite"):
        engine = create_engine(url, pool_size=1, max_overflow=0, pool_timeout=30, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    engine = create_engine(url, pool_size=10, max_overflow=10, pool_timeout=10, hide_parameters=True)
    _ping_after_idle(engine, IDLE_PING_SECONDS)
    return engine


IDLE_PING_SECONDS = 5.0


def _ping_after_idle(engine, idle_seconds):
    """Check a pooled connection before use only if it sat idle: one that was in use
    a moment ago is known good, and SQLAlchemy's ``pool_pre_ping`` costs a round trip
    on every transaction. A connection broken while busy (the server restarted under
    load) fails its statement; SQLAlchemy then drops the whole pool and the caller
    gets a 503 it may retry (``DatabaseHandle``)."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as exc:  # any failure: the pool reconnects and tries again
            raise DisconnectionError(str(exc)) from exc


# The deadline of the RPC worker running in this greenthread (Database.worker_setup):
# a job or thread it starts runs in another greenthread, with none.
_worker = corolocal.local()
COMMIT_MARGIN_SECONDS = 0.25  # the commit and the reply still have to happen before it


def set_commit_deadline(deadline):
    """``time.monotonic()`` after which this greenthread's transactions are rolled back
    instead of committed; None: no deadline."""
    _worker.deadline = deadline


class DatabaseHandle:
    """What a worker gets: transactions and reads on its service's database.

    A transaction of an RPC worker whose caller has stopped waiting (its deadline, see
    ``caller_deadline``, has passed when it is about to commit) is rolled back with
    DeadlineExceeded: the caller already answered 503, and a client that retries
    without an idempotency key would otherwise store the same thing twice. What the
    transaction wrote to the outbox rolls back with it."""

    clock = staticmethod(time.monotonic)

    def __init__(self, engine, session_factory, on_deadline_exceeded=None):
        self.engine = engine
        self._session_factory = session_factory
        self._on_deadline_exceeded = on_deadline_exceeded

    def on_commit(self, listener):
        """Call ``listener(session)`` after every commit of a session from this handle."""
        event.listen(self._session_factory, "after_commit", listener)

    @contextmanager
    def transaction(self):
        """A session committed on success and rolled back on any error."""
        session = self._session_factory()
        try:
            yield session
            self._refuse_past_deadline()
            session.commit()
        except PoolTimeout:
            _roll_back(session)
            raise _busy() from None
        except OperationalError as exc:
            _roll_back(session)
            raise _unavailable(exc) from exc
        except BaseException:
            _roll_back(session)
            raise
        finally:
            session.close()

    def _refuse_past_deadline(self):
        deadline = getattr(_worker, "deadline", None)
        if deadline is None:
            return
        late = self.clock() - deadline
        if late <= 0:
            return
        if self._on_deadline_exceeded is not None:
            self._on_deadline_exceeded()
        log.warning("transaction rolled back: its caller stopped waiting %.2fs ago (less the %.2fs margin)",
                    late, COMMIT_MARGIN_SECONDS)
        raise DeadlineExceeded("The caller stopped waiting before this could be stored; nothing was stored. "
                               "Please retry.", details={"late_seconds": round(late, 2)})

    @contextmanager
    def read(self):
        session = self._session_factory()
        try:
            yield session
        except PoolTimeout:
            raise _busy() from None
        except OperationalError as exc:
            raise _unavailable(exc) from exc
        finally:
            _roll_back(session)
            session.close()

    def read_all(self, *works):
        """``[work(session) for work in works]``, each in a read of its own, all at once
        on PostgreSQL (each its own connection and server process: a report made of
        several independent scans takes as long as the longest, not their sum, where
        cores are free). On SQLite, whose one connection serialises them anyway, in
        turn. An error in any is raised once all have ended."""

        def run(work):
            with self.read() as session:
                return work(session)

        if self.engine.dialect.name != "postgresql" or len(works) < 2:
            return [run(work) for work in works]
        pool = eventlet.GreenPool(len(works))
        threads = [pool.spawn(run, work) for work in works]
        pool.waitall()
        return [thread.wait() for thread in threads]

    def ping(self):
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


def _roll_back(session):
    """Roll back, on a connection that may have died meanwhile: the server then rolled
    back already and SQLAlchemy discards the connection. Its error must not replace
    the answer: a read that got its rows, or the 503 of a failed transaction (the
    chaos test saw a 500 when a connection was terminated after a read's query)."""
    try:
        session.rollback()
    except OperationalError as exc:
        log.warning("rollback on a lost database connection: %s",
                    str(exc.orig if exc.orig is not None else exc).strip()[:300])


def _unavailable(exc):
    """The server went away, refused the connection or gave up on the transaction
    (deadlock, serialisation failure, SQLite's lock timeout): nothing was stored,
    and the same request may succeed when retried."""
    log.warning("database operation failed: %s", str(exc.orig if exc.orig is not None else exc).strip()[:300])
    return Unavailable("The database could not complete this request; nothing was stored. Please retry.",
                       code="DATABASE_UNAVAILABLE")


def _busy():
    return Unavailable("The database is too busy to take this request now; please retry.",
                       code="DATABASE_BUSY")


class Database(DependencyProvider):
    """``db = Database(migrations_dir, bootstrap=fn)``.

    ``bootstrap(handle, config)`` runs once after migrations, before any entrypoint
    starts: the place for first-run data such as the first admin account.
    """

    def __init__(self, migrations_dir, bootstrap=None):
        self.migrations_dir = migrations_dir
        self.bootstrap = bootstrap
        self.handle = None

    def setup(self):
        url = cfg.database_url(self.container.service_name, self.container.config)
        engine = make_engine(url)
        upgrade(engine, self.migrations_dir, lock_name=self.container.service_name)
        self.handle = DatabaseHandle(engine, sessionmaker(bind=engine, expire_on_commit=False),
                                     metrics_for(self.container).deadline_exceeded.inc)
        if self.bootstrap is not None:
            self.bootstrap(self.handle, self.container.config)
        log.info("%s database ready (%s)", self.container.service_name, engine.url.render_as_string())

    def stop(self):
        if self.handle is not None:
            self.handle.engine.dispose()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self.handle

    def worker_setup(self, worker_ctx):  # runs in the worker's greenthread, as it starts
        set_commit_deadline(caller_deadline(worker_ctx, time.monotonic(), COMMIT_MARGIN_SECONDS))

    def worker_teardown(self, worker_ctx):
        set_commit_deadline(None)


def find_dependency(container, kind):
    """The container's dependency provider of a given class (providers that work
    together, like the outbox relay and the database, find each other this way)."""
    for extension in container.dependencies:
        if isinstance(extension, kind):
            return extension
    raise LookupError(f"{container.service_name} has no {kind.__name__} dependency")
