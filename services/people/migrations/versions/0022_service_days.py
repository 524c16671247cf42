"""grid service days (网格服务日, issue 19 §1): one a grid a month, with the sign-ins of
the party members who came

Revision ID: 0022
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0022"
down_revision = "0021"


def upgrade():
    op.create_table(
        "service_days",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("activity", sa.String(200), nullable=False),
        sa.Column("branch_id", sa.String(36), sa.ForeignKey("party_branches.id"), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("grid_code", "month", name="uq_service_day_grid_month"),
    )
    op.create_index("ix_service_days_month_grid", "service_days", ["month", "grid_code"])
    op.create_table(
        "service_day_sign_ins",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("service_day_id", sa.String(36), sa.ForeignKey("service_days.id"), nullable=False),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("persons.id"), nullable=False, index=True),
        sa.Column("signed_by", sa.String(64), nullable=False),
        sa.Column("signed_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("service_day_id", "person_id", name="uq_service_day_person"),
    )


def downgrade():
    op.drop_table("service_day_sign_ins")
    op.drop_index("ix_service_days_month_grid", "service_days")
    op.drop_table("service_days")
