"""the department contact clock: when a dispatched department contacted the reporter

Revision ID: 0005
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0005"
down_revision = "0004"


def upgrade():
    op.add_column("ticket_dispatches", sa.Column("contacted_at", UtcDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("ticket_dispatches") as batch:  # SQLite rebuilds the table
        batch.drop_column("contacted_at")
