"""the log of clear reads of a reporter's contact details (who, when, which ticket)

Revision ID: 0011
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0011"
down_revision = "0010"


def upgrade():
    op.create_table(
        "reporter_contact_reads",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.String(36), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("viewer_account_id", sa.String(36), nullable=False),
        sa.Column("viewer_username", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_reporter_contact_reads_ticket_id", "reporter_contact_reads", ["ticket_id"])
    op.create_index("ix_reporter_contact_reads_viewer_account_id", "reporter_contact_reads", ["viewer_account_id"])


def downgrade():
    op.drop_table("reporter_contact_reads")
