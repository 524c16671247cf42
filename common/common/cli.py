"""Helpers for a service's command-line tools (demo loaders, checks): the same
database, migrations and settings the running service uses."""
import logging

from sqlalchemy.orm import sessionmaker

from common import config as cfg
from common.db import DatabaseHandle, make_engine
from common.migrations import upgrade


def open_database(service, migrations_dir, config=None):
    url = cfg.database_url(service, config)
    engine = make_engine(url)
    upgrade(engine, migrations_dir, lock_name=service)
    return DatabaseHandle(engine, sessionmaker(bind=engine, expire_on_commit=False))


def configure_logging():
    logging.basicConfig(
        level=cfg.env("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
