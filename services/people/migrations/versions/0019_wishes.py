"""small wishes (点亮微心愿, issue 19): a resident's wish, approved, claimed by a party
member or a volunteer, fulfilled and confirmed, with the points it earned

Revision ID: 0019
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0019"
down_revision = "0018"


def upgrade():
    op.create_table(
        "wishes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(36), sa.ForeignKey("accounts.id"), nullable=False, index=True),
        sa.Column("resident_id", sa.String(36), sa.ForeignKey("residents.id"), nullable=False),
        sa.Column("household_id", sa.String(36), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("title", sa.String(50), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reviewed_by", sa.String(64), nullable=True),
        sa.Column("reviewed_at", UtcDateTime, nullable=True),
        sa.Column("reject_reason", sa.String(500), nullable=True),
        sa.Column("claimed_by_person_id", sa.String(36), sa.ForeignKey("persons.id"), nullable=True, index=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_at", UtcDateTime, nullable=True),
        sa.Column("fulfil_note", sa.String(500), nullable=True),
        sa.Column("fulfilled_at", UtcDateTime, nullable=True),
        sa.Column("confirmed_at", UtcDateTime, nullable=True),
        sa.Column("withdrawn_at", UtcDateTime, nullable=True),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("points_entry_id", sa.Integer(), sa.ForeignKey("points_ledger.id"), nullable=True),
        sa.Column("posted_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_wishes_grid_posted", "wishes", ["grid_code", "posted_at"],
                    postgresql_ops={"grid_code": "text_pattern_ops"})


def downgrade():
    op.drop_index("ix_wishes_grid_posted", "wishes")
    op.drop_table("wishes")
