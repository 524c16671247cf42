"""recruitment rules enforced (issue 18): the posts a district officer gave against
them, with the reason; and the trail of staff record edits (field names only)

Revision ID: 0016
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0016"
down_revision = "0015"


def upgrade():
    op.create_table(
        "recruitment_overrides",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("assignment_id", sa.String(36), sa.ForeignKey("assignments.id"), nullable=False, index=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("persons.id"), nullable=False, index=True),
        sa.Column("grid_code", sa.String(24), nullable=False, index=True),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("failed", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by_account_id", sa.String(36), nullable=True),
        sa.Column("by_username", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "person_changes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("persons.id"), nullable=False, index=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("by_account_id", sa.String(36), nullable=True),
        sa.Column("by_username", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
    )


def downgrade():
    op.drop_table("person_changes")
    op.drop_table("recruitment_overrides")
