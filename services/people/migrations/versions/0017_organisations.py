"""organisations registered per grid (组织, issue 18): enterprises, social
organisations, property companies, owners' committees

Revision ID: 0017
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0017"
down_revision = "0016"


def upgrade():
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=True, unique=True),
        sa.Column("grid_code", sa.String(24), nullable=False, index=True),
        sa.Column("place_code", sa.String(24), nullable=True),
        sa.Column("address", sa.String(200), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("contact_name", sa.String(50), nullable=True),
        sa.Column("department_code", sa.String(40), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_organisations_grid_name", "organisations", ["grid_code", "name"],
                    postgresql_ops={"grid_code": "text_pattern_ops"})


def downgrade():
    op.drop_index("ix_organisations_grid_name", "organisations")
    op.drop_table("organisations")
