"""wrong sign-ins to usernames without an account, counted and locked like an account's;
when an account's or a name's last wrong sign-in was (older ones stop counting)

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
        sa.Column("name_hash", sa.String(64), primary_key=True),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", UtcDateTime, nullable=True),
        sa.Column("last_failed_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_login_failures_last_failed_at", "login_failures", ["last_failed_at"])
    op.add_column("accounts", sa.Column("last_failed_at", UtcDateTime, nullable=True))


def downgrade():
    with op.batch_alter_table("accounts") as batch:  # SQLite rebuilds the table
        batch.drop_column("last_failed_at")
    op.drop_table("login_failures")
