"""persons, assignments, departments, households, residents, PII access log

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0002"
down_revision = "0001"


def upgrade():
    op.create_table(
        "persons",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("gender", sa.String(10)),
        sa.Column("birth_date", sa.Date),
        sa.Column("phone_enc", sa.String(200)),
        sa.Column("phone_hash", sa.String(64), index=True),
        sa.Column("id_number_enc", sa.String(200)),
        sa.Column("id_number_hash", sa.String(64), unique=True),
        sa.Column("party_member", sa.Boolean, nullable=False),
        sa.Column("smartphone_user", sa.Boolean, nullable=False),
        sa.Column("violation_recorded", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("persons.id"), nullable=False, index=True),
        sa.Column("grid_code", sa.String(24), nullable=False, index=True),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "departments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("grid_code", sa.String(24)),
        sa.Column("liaison_ids", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "households",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("place_code", sa.String(24), nullable=False, index=True),
        sa.Column("grid_code", sa.String(24), nullable=False, index=True),
        sa.Column("address", sa.String(200)),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "residents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("gender", sa.String(10), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("id_number_enc", sa.String(200), nullable=False),
        sa.Column("id_number_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("id_number_masked", sa.String(18), nullable=False),
        sa.Column("phone_enc", sa.String(200)),
        sa.Column("phone_hash", sa.String(64), index=True),
        sa.Column("phone_masked", sa.String(11)),
        sa.Column("household_id", sa.String(36), sa.ForeignKey("households.id"), index=True),
        sa.Column("grid_code", sa.String(24), index=True),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "pii_access_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("viewer_account_id", sa.String(36), nullable=False, index=True),
        sa.Column("viewer_username", sa.String(64), nullable=False),
        sa.Column("subject_kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False, index=True),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
    )


def downgrade():
    for table in ("pii_access_log", "residents", "households", "departments", "assignments", "persons"):
        op.drop_table(table)
