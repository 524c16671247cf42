"""tickets, numbering, outbox and processed events

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
        "tickets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("number", sa.String(20), nullable=False, unique=True),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reporter_account_id", sa.String(36), nullable=True),
        sa.Column("reported_at", UtcDateTime, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_tickets_grid_code", "tickets", ["grid_code"])
    op.create_table(
        "ticket_counters",
        sa.Column("day", sa.String(8), primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )


def downgrade():
    op.drop_table("ticket_counters")
    op.drop_table("tickets")
    drop_plumbing_tables(op.get_bind())
