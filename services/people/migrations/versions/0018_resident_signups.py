"""residents' sign-ups (issue 19): a resident signs up; a community officer approves it
by linking it to a registered resident, which opens the account

Revision ID: 0018
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0018"
down_revision = "0017"


def upgrade():
    op.create_table(
        "resident_signups",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, index=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("phone_enc", sa.String(200), nullable=False),
        sa.Column("phone_hash", sa.String(64), nullable=False, index=True),
        sa.Column("phone_masked", sa.String(11), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("grid_code", sa.String(24), nullable=True, index=True),
        sa.Column("verification", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("address_hash", sa.String(64), nullable=False, index=True),
        sa.Column("created_at", UtcDateTime, nullable=False, index=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", UtcDateTime, nullable=True),
        sa.Column("account_id", sa.String(36), nullable=True),
    )


def downgrade():
    op.drop_table("resident_signups")
