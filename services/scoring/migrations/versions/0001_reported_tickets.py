"""reported tickets read-copy, outbox and processed events

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime
from common.tables import create_plumbing_tables, drop_plumbing_tables

revision = "0001"
down_revision = None


def upgrade():
    create_plumbing_tables(op.get_bind())
    op.create_table(
        "reported_tickets",
        sa.Column("ticket_id", sa.String(36), primary_key=True),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("reported_at", UtcDateTime, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_reported_tickets_grid_code", "reported_tickets", ["grid_code"])


def downgrade():
    op.drop_table("reported_tickets")
    drop_plumbing_tables(op.get_bind())
