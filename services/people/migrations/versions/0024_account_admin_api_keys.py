"""accounts administered (disabled, reset, unlocked, tokens revoked: each logged) and
API keys for department systems

``token_version`` rises whenever an account's tokens must end (disabled, password
changed or reset, signed out everywhere); the gateway refuses a token carrying an older
one. ``must_change_password``: set by an administrator's reset, cleared by the holder's
own change. ``account_events``: who did what to which account, and when. ``api_keys``:
a department system's keys, kept as SHA-256 digests (a key is 256 random bits: no
dictionary reaches it), found by their public prefix.

Revision ID: 0024
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0024"
down_revision = "0023"


def upgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("token_version", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("tokens_revoked_at", UtcDateTime, nullable=True))
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_accounts_tokens_revoked_at", "accounts", ["tokens_revoked_at"])
    op.create_table(
        "account_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("by_account_id", sa.String(36), nullable=True),
        sa.Column("by_username", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_account_events_account_id", "account_events", ["account_id", "id"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("prefix", sa.String(16), nullable=False, unique=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("department_code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("last_used_at", UtcDateTime, nullable=True),
        sa.Column("revoked_at", UtcDateTime, nullable=True),
        sa.Column("replaced_by", sa.String(36), nullable=True),
    )
    op.create_index("ix_api_keys_department_code", "api_keys", ["department_code"])


def downgrade():
    op.drop_index("ix_api_keys_department_code", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_index("ix_account_events_account_id", table_name="account_events")
    op.drop_table("account_events")
    op.drop_index("ix_accounts_tokens_revoked_at", table_name="accounts")
    with op.batch_alter_table("accounts") as batch:
        for column in ("must_change_password", "tokens_revoked_at", "token_version"):
            batch.drop_column(column)
