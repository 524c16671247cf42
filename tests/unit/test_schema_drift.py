"""Each service's models and its migrations describe the same schema: a column,
index or NOT NULL added to one and not the other fails here (a real database:
PostgreSQL when there is one, else SQLite)."""
import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from common.cli import open_database


@pytest.mark.parametrize("service", ["grid", "people", "tickets", "scoring"])
def test_the_migrations_build_what_the_models_declare(service, scratch_db):
    package, models = importlib.import_module(service), importlib.import_module(f"{service}.models")
    db = open_database(service, package.MIGRATIONS_DIR, {"DB_URL": scratch_db})
    try:
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), models.Base.metadata)
    finally:
        db.engine.dispose()
    assert differences == []
