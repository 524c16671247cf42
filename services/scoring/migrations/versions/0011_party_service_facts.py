"""facts of a party member's service (issue 19 §4): hours logged under two-way
registration, wishes fulfilled, service days held and signed in to. A deployment
that had them before scoring consumed them takes them with a rebuild
(``python -m scoring.rebuild``)

Revision ID: 0011
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0011"
down_revision = "0010"


def _written_at():
    return sa.Column("written_at", UtcDateTime, nullable=True)


def upgrade():
    op.create_table(
        "party_service_facts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("registration_id", sa.String(36), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _written_at(),
    )
    op.create_index("ix_party_service_facts_person_day", "party_service_facts", ["person_id", "day"])
    op.create_table(
        "wish_facts",
        sa.Column("wish_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", UtcDateTime, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _written_at(),
    )
    op.create_index("ix_wish_facts_person_day", "wish_facts", ["person_id", "day"])
    op.create_table(
        "service_day_facts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _written_at(),
    )
    op.create_index("ix_service_day_facts_day_grid", "service_day_facts", ["day", "grid_code"])
    op.create_table(
        "service_day_attendance_facts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("service_day_id", sa.String(36), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("signed_at", UtcDateTime, nullable=False),
        _written_at(),
    )
    op.create_index("ix_service_day_attendance_facts_person_day", "service_day_attendance_facts",
                    ["person_id", "day"])


def downgrade():
    for table in ("service_day_attendance_facts", "service_day_facts", "wish_facts", "party_service_facts"):
        op.drop_table(table)
