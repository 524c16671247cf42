"""coverage (issue 18): the visit and patrol targets as versioned documents, and the
indexes the coverage report and the visit list read by: visits by the household's
grid and time (a subtree's visits, newest first); by household and time, carrying
the visitor and the grid (on PostgreSQL the report's pass over a period's visits
reads this index alone, in household order); households by grid (a subtree's
households in order)

Revision ID: 0014
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0014"
down_revision = "0013"

# text_pattern_ops: PostgreSQL uses the index for the code-prefix (LIKE 'x%') subtree
# filter whatever the database's collation (SQLite ignores the option).
PREFIX = {"grid_code": "text_pattern_ops"}


def upgrade():
    op.create_table(
        "coverage_targets",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_visits_grid_time", "household_visits", ["grid_code", "occurred_at"], postgresql_ops=PREFIX)
    op.create_index("ix_visits_household_time", "household_visits", ["household_id", "occurred_at"],
                    postgresql_include=["person_id", "grid_code"])
    op.create_index("ix_households_grid_id", "households", ["grid_code", "id"], postgresql_ops=PREFIX)


def downgrade():
    op.drop_index("ix_households_grid_id", "households")
    op.drop_index("ix_visits_household_time", "household_visits")
    op.drop_index("ix_visits_grid_time", "household_visits")
    op.drop_table("coverage_targets")
