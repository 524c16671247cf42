"""Alembic, run programmatically: each service keeps its revisions in
``services/<name>/migrations``; they are applied when the service starts, under a
lock so that several replicas starting at once migrate one after the other."""
import logging
import zlib
from contextlib import contextmanager

from alembic import command, context
from alembic.config import Config
from sqlalchemy import text

log = logging.getLogger(__name__)


@contextmanager
def _migration_lock(connection, lock_name):
    if connection.dialect.name != "postgresql":
        yield  # SQLite serialises writers itself
        return
    key = zlib.crc32(f"migrate:{lock_name}".encode())
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
    connection.commit()
    try:
        yield
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        connection.commit()


@contextmanager
def _sqlite_foreign_keys_off(connection):
    """SQLite changes a column by rebuilding its table (copy, drop, rename), and the
    drop fails while other tables' foreign keys point at it. The documented way: keys
    off around the change (outside any transaction), then check them all."""
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"migration left {len(broken)} rows with broken foreign keys, e.g. {broken[0]}")
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def upgrade(engine, migrations_dir, lock_name, revision="head"):
    alembic_cfg = Config()
    alembic_cfg.set_main_option("script_location", str(migrations_dir))
    with engine.connect() as connection:
        with _migration_lock(connection, lock_name), _sqlite_foreign_keys_off(connection):
            alembic_cfg.attributes["connection"] = connection
            command.upgrade(alembic_cfg, revision)
            connection.commit()


def run_migrations(target_metadata):
    """Body of every service's ``migrations/env.py``."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
