"""party branches and groups (网格党支部 / 党小组, issue 19 §1) on grids and communities,
with their members

Revision ID: 0020
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0020"
down_revision = "0019"


def upgrade():
    op.create_table(
        "party_branches",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("grid_code", sa.String(24), nullable=False, index=True),
        sa.Column("secretary_id", sa.String(36), sa.ForeignKey("persons.id"), nullable=False, index=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_party_branches_grid_name", "party_branches", ["grid_code", "name"],
                    postgresql_ops={"grid_code": "text_pattern_ops"})
    op.create_table(
        "party_memberships",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("branch_id", sa.String(36), sa.ForeignKey("party_branches.id"), nullable=False, index=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("persons.id"), nullable=False, index=True),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.UniqueConstraint("branch_id", "person_id", name="uq_party_membership"),
    )


def downgrade():
    op.drop_table("party_memberships")
    op.drop_index("ix_party_branches_grid_name", "party_branches")
    op.drop_table("party_branches")
