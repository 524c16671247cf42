"""two-way registration (双报到, issue 19 §1): party members employed elsewhere registered
with the community they live in, and the service they log there

Revision ID: 0021
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0021"
down_revision = "0020"


def upgrade():
    op.create_table(
        "party_registrations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("persons.id"), nullable=False, unique=True),
        sa.Column("employer_code", sa.String(40), nullable=False, index=True),
        sa.Column("community_code", sa.String(24), nullable=False),
        sa.Column("registered_by", sa.String(64), nullable=False),
        sa.Column("registered_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_party_registrations_community", "party_registrations", ["community_code", "registered_at"],
                    postgresql_ops={"community_code": "text_pattern_ops"})
    op.create_table(
        "party_service_entries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("registration_id", sa.String(36), sa.ForeignKey("party_registrations.id"), nullable=False),
        sa.Column("community_code", sa.String(24), nullable=False),
        sa.Column("activity", sa.String(200), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("logged_by", sa.String(64), nullable=False),
        sa.Column("logged_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_party_service_registration_day", "party_service_entries", ["registration_id", "day"])


def downgrade():
    op.drop_index("ix_party_service_registration_day", "party_service_entries")
    op.drop_table("party_service_entries")
    op.drop_index("ix_party_registrations_community", "party_registrations")
    op.drop_table("party_registrations")
