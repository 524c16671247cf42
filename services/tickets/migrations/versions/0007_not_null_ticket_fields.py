"""ticket fields every ticket has, declared NOT NULL (0002 added them as nullable)

Revision ID: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"

# column, type, value for a row written before the column was filled on every insert
FIELDS = (
    ("category", sa.String(10), "'OT99'"), ("grade", sa.String(10), "'daily'"), ("attachments", sa.JSON(), "'[]'"),
    ("anonymous", sa.Boolean(), "false"), ("reopen_count", sa.Integer(), "0"), ("suspended", sa.Boolean(), "false"),
    ("suspended_seconds", sa.Integer(), "0"), ("meeting_disposal", sa.Boolean(), "false"),
)


def upgrade():
    for name, _, value in FIELDS:
        op.execute(f"UPDATE tickets SET {name} = {value} WHERE {name} IS NULL")
    with op.batch_alter_table("tickets") as batch:
        for name, kind, _ in FIELDS:
            batch.alter_column(name, existing_type=kind, nullable=False)


def downgrade():
    with op.batch_alter_table("tickets") as batch:
        for name, kind, _ in FIELDS:
            batch.alter_column(name, existing_type=kind, nullable=True)
