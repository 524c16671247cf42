"""broadcasts and inboxes with read receipts

Revision ID: 0005
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0005"
down_revision = "0004"


def upgrade():
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("scope_grid", sa.String(24)),
        sa.Column("scope_role", sa.String(40)),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("recipient_count", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "inbox_items",
        sa.Column("broadcast_id", sa.String(36), sa.ForeignKey("broadcasts.id"), primary_key=True),
        sa.Column("account_id", sa.String(36), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("recipient_scope", sa.String(24)),
        sa.Column("delivered_at", UtcDateTime, nullable=False),
        sa.Column("read_at", UtcDateTime),
    )
    op.create_index("ix_inbox_items_account_id", "inbox_items", ["account_id"])


def downgrade():
    op.drop_table("inbox_items")
    op.drop_table("broadcasts")
