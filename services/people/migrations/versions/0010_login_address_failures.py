"""wrong sign-ins counted per name and client address: a lock from one address no
longer locks the account everywhere

Revision ID: 0010
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0010"
down_revision = "0009"


def upgrade():
    op.create_table(
        "login_address_failures",
        sa.Column("name_hash", sa.String(64), primary_key=True),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", UtcDateTime, nullable=True),
        sa.Column("last_failed_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_login_address_failures_last_failed_at", "login_address_failures", ["last_failed_at"])


def downgrade():
    op.drop_table("login_address_failures")
