"""a reopened ticket is no longer resolved at any level (reopen used to keep the old
resolved_level, which the statistics then counted as solved)

Revision ID: 0008
"""
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade():
    op.execute("UPDATE tickets SET resolved_level = NULL "
               "WHERE status IN ('reported', 'accepted', 'handling') AND resolved_level IS NOT NULL")


def downgrade():
    pass  # the old level is not worth keeping: nothing read it while the ticket was open
