"""facts: scoring's read model of tickets, patrols, visits, posts and households

Revision ID: 0004
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0004"
down_revision = "0003"


def upgrade():
    op.create_table(
        "ticket_facts",
        sa.Column("ticket_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("category", sa.String(10), nullable=False),
        sa.Column("reported_category", sa.String(10), nullable=False),
        sa.Column("grade", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("level", sa.String(12), nullable=True),
        sa.Column("outcome", sa.String(30), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("duplicate_of", sa.String(36), nullable=True),
        sa.Column("resolved_level", sa.String(12), nullable=True),
        sa.Column("reporter_person_id", sa.String(64), nullable=True),
        sa.Column("responsible_person_id", sa.String(64), nullable=True),
        sa.Column("responsible_grid_code", sa.String(24), nullable=True),
        sa.Column("reported_at", UtcDateTime, nullable=False),
        sa.Column("accepted_at", UtcDateTime, nullable=True),
        sa.Column("resolved_at", UtcDateTime, nullable=True),
        sa.Column("feedback_at", UtcDateTime, nullable=True),
        sa.Column("rated_at", UtcDateTime, nullable=True),
        sa.Column("closed_at", UtcDateTime, nullable=True),
        sa.Column("resolve_due", UtcDateTime, nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("reported_day", sa.Date(), nullable=False),
        sa.Column("resolved_day", sa.Date(), nullable=True),
        sa.Column("rated_day", sa.Date(), nullable=True),
    )
    op.create_index("ix_ticket_facts_grid_code", "ticket_facts", ["grid_code"])
    op.create_index("ix_ticket_facts_reporter_day", "ticket_facts", ["reporter_person_id", "reported_day"])
    op.create_index("ix_ticket_facts_responsible_resolved", "ticket_facts", ["responsible_person_id", "resolved_day"])
    op.create_index("ix_ticket_facts_responsible_rated", "ticket_facts", ["responsible_person_id", "rated_day"])
    op.create_table(
        "patrol_facts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("grid_codes", sa.JSON(), nullable=False),
        sa.Column("located_grid_code", sa.String(24), nullable=True),
        sa.Column("inside", sa.Boolean(), nullable=False),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
    )
    op.create_index("ix_patrol_facts_person_day", "patrol_facts", ["person_id", "day"])
    op.create_table(
        "visit_facts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("grid_code", sa.String(24), nullable=True),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
    )
    op.create_index("ix_visit_facts_person_day", "visit_facts", ["person_id", "day"])
    op.create_table(
        "post_facts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_post_facts_person_id", "post_facts", ["person_id"])
    op.create_index("ix_post_facts_grid_code", "post_facts", ["grid_code"])
    op.create_table(
        "household_facts",
        sa.Column("household_id", sa.String(64), primary_key=True),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_household_facts_grid_code", "household_facts", ["grid_code"])


def downgrade():
    for table in ("household_facts", "post_facts", "visit_facts", "patrol_facts", "ticket_facts"):
        op.drop_table(table)
