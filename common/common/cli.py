"""Helpers for a service's command-line tools (demo loaders, checks): the same
database, migrations and settings the running service uses."""
import logging
import sys
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from common import config as cfg
from common.db import DatabaseHandle, make_engine
from common.logs import RequestIdFilter, formatter
from common.migrations import upgrade


def open_database(service, migrations_dir, config=None):
    url = cfg.database_url(service, config)
    engine = make_engine(url)
    upgrade(engine, migrations_dir, lock_name=service)
    return DatabaseHandle(engine, sessionmaker(bind=engine, expire_on_commit=False))


def configure_logging(component=None):
    """Log as the components do (``LOG_FORMAT``, ``LOG_LEVEL``); ``component`` names the
    tool in each line (default: the script's package and name, e.g. ``grid.demo``)."""
    if component is None:
        script = Path(sys.argv[0] or "cli")
        component = f"{script.parent.name}.{script.stem}" if script.parent.name else script.stem
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(formatter(cfg.env("LOG_FORMAT", "plain"), component))
    logging.basicConfig(level=cfg.env("LOG_LEVEL", "INFO"), handlers=[handler])
