"""facts of sentiment records (社情民意, issue 18): the sentiment index counts them. A
deployment that had records before scoring consumed them takes them with a rebuild
(``python -m scoring.rebuild``)

Revision ID: 0009
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0009"
down_revision = "0008"


def upgrade():
    op.create_table(
        "sentiment_facts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("household_id", sa.String(64), nullable=True),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("follow_up_count", sa.Integer(), nullable=False),
        sa.Column("followed_up_at", UtcDateTime, nullable=True),
        sa.Column("closed_at", UtcDateTime, nullable=True),
        sa.Column("ticket_id", sa.String(36), nullable=True),
        sa.Column("content_sig", sa.String(256), nullable=True),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("written_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_sentiment_facts_person_day", "sentiment_facts", ["person_id", "day"])


def downgrade():
    op.drop_table("sentiment_facts")
