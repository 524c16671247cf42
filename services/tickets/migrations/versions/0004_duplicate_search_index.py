"""an index for the likely-duplicate search (same category, open, recent)

Revision ID: 0004
"""
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade():
    op.create_index("ix_tickets_category_status_reported", "tickets", ["category", "status", "reported_at"])


def downgrade():
    op.drop_index("ix_tickets_category_status_reported", "tickets")
