"""wrong sign-ins to usernames without an account, counted and locked like an account's

Revision ID: 0008
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0008"
down_revision = "0007"


def upgrade():
    op.create_table(
        "login_failures",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", UtcDateTime, nullable=True),
    )


def downgrade():
    op.drop_table("login_failures")
