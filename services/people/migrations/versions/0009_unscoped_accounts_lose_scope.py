"""an account of no grid-scoped role keeps no grid_scope: a resident or department
account created with one listed other people's records through it

Revision ID: 0009
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"

# common.roles.GRID_SCOPED as it was when this migration was written (a migration
# does not change meaning when the code moves on).
GRID_SCOPED = {"town_leader", "community_officer", "grid_chief", "grid_worker"}


def upgrade():
    accounts = sa.table("accounts", sa.column("id", sa.String), sa.column("roles", sa.JSON),
                        sa.column("grid_scope", sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(accounts.c.id, accounts.c.roles).where(accounts.c.grid_scope.is_not(None)))
    unscoped = [row.id for row in rows if not set(_roles(row.roles)) & GRID_SCOPED]
    for start in range(0, len(unscoped), 500):
        connection.execute(accounts.update().where(accounts.c.id.in_(unscoped[start:start + 500]))
                           .values(grid_scope=None))


def _roles(value):
    if isinstance(value, str):  # a JSON column read without its type's processing
        value = json.loads(value)
    return value or []


def downgrade():
    pass  # the scopes cleared meant nothing to those roles; there is nothing to restore
