"""a ticket clock about to run out is warned of once (clocks.scan_warnings): the
responsible worker hears of it before the breach, not after

Revision ID: 0018
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0018"
down_revision = "0017"


def upgrade():
    op.create_table(
        "sla_warnings",
        sa.Column("ticket_id", sa.String(36), sa.ForeignKey("tickets.id"), primary_key=True),
        sa.Column("clock", sa.String(64), primary_key=True),
        sa.Column("due", UtcDateTime, nullable=False),
        sa.Column("warned_at", UtcDateTime, nullable=False),
    )


def downgrade():
    op.drop_table("sla_warnings")
