"""patrol check-ins and household visits, deduplicated by the phone's client id

Revision ID: 0004
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0004"
down_revision = "0003"


def upgrade():
    op.create_table(
        "patrol_checkins",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("persons.id"), nullable=False, index=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("occurred_at", UtcDateTime, nullable=False, index=True),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("assigned_grid_codes", sa.JSON, nullable=False),
        sa.Column("located_grid_code", sa.String(24)),
        sa.Column("inside", sa.Boolean, nullable=False),
        sa.UniqueConstraint("person_id", "client_id", name="uq_patrol_client"),
    )
    op.create_table(
        "household_visits",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("persons.id"), nullable=False, index=True),
        sa.Column("household_id", sa.String(36), sa.ForeignKey("households.id"), nullable=False, index=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("occurred_at", UtcDateTime, nullable=False, index=True),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("person_id", "client_id", name="uq_visit_client"),
    )


def downgrade():
    op.drop_table("household_visits")
    op.drop_table("patrol_checkins")
