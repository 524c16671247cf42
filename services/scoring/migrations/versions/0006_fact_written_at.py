"""facts: when each row was last written (a rebuild removes the rows it did not write)

Revision ID: 0006
"""
from alembic import op
import sqlalchemy as sa

from common.db import UtcDateTime

revision = "0006"
down_revision = "0005"

FACT_TABLES = ("ticket_facts", "patrol_facts", "visit_facts", "post_facts", "household_facts")


def upgrade():
    # Rows written before this column have none: a rebuild treats them as older than itself.
    for table in FACT_TABLES:
        op.add_column(table, sa.Column("written_at", UtcDateTime, nullable=True))


def downgrade():
    for table in FACT_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("written_at")
