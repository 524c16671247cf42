"""sentiment records (社情民意, issue 18) and their follow-ups; records listed by the
grid they concern and their time (a subtree's records, newest first)

Revision ID: 0013
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0013"
down_revision = "0012"


def upgrade():
    op.create_table(
        "sentiment_records",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("persons.id"), nullable=False, index=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("grid_code", sa.String(24), nullable=False, index=True),
        sa.Column("household_id", sa.String(36), sa.ForeignKey("households.id"), nullable=True),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("content_sig", sa.String(256), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("follow_up_count", sa.Integer, nullable=False),
        sa.Column("followed_up_at", UtcDateTime, nullable=True),
        sa.Column("closed_at", UtcDateTime, nullable=True),
        sa.Column("ticket_id", sa.String(36), nullable=True),
        sa.Column("ticket_number", sa.String(20), nullable=True),
        sa.Column("occurred_at", UtcDateTime, nullable=False, index=True),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("person_id", "client_id", name="uq_sentiment_client"),
    )
    op.create_table(
        "sentiment_follow_ups",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("sentiment_id", sa.String(36), sa.ForeignKey("sentiment_records.id"), nullable=False, index=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=True),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("ticket_id", sa.String(36), nullable=True),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("sentiment_id", "client_id", name="uq_sentiment_follow_up_client"),
    )


def downgrade():
    op.drop_table("sentiment_follow_ups")
    op.drop_table("sentiment_records")
