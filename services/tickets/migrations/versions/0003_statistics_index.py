"""an index for statistics by subtree and period

Revision ID: 0003
"""
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade():
    # text_pattern_ops lets PostgreSQL use the index for the code-prefix (LIKE 'x%')
    # subtree filter whatever the database collation
    op.create_index("ix_tickets_grid_reported", "tickets", ["grid_code", "reported_at"],
                    postgresql_ops={"grid_code": "text_pattern_ops"})


def downgrade():
    op.drop_index("ix_tickets_grid_reported", "tickets")
