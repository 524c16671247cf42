"""party-member households (党员中心户, issue 19 §1): a member linked to 10-15 neighbouring
households of their grid, a household to one member at most

Revision ID: 0023
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0023"
down_revision = "0022"


def upgrade():
    op.create_table(
        "party_households",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("persons.id"), nullable=False, index=True),
        sa.Column("household_id", sa.String(36), sa.ForeignKey("households.id"), nullable=False, unique=True),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("linked_by", sa.String(64), nullable=False),
        sa.Column("linked_at", UtcDateTime, nullable=False),
    )


def downgrade():
    op.drop_table("party_households")
