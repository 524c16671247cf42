"""the ticket keeps the level that blew its whistle (community or town): its
departments report back there, and that level verifies their work

Revision ID: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"


def upgrade():
    # Every whistle before this was the town's, the only level that could blow one (the
    # trail seals whistle_level only where it differs from that: see trail.LATER_FIELDS).
    op.add_column("tickets", sa.Column("whistle_level", sa.String(12), nullable=True))
    op.execute("UPDATE tickets SET whistle_level = 'town' WHERE lead_department IS NOT NULL")


def downgrade():
    with op.batch_alter_table("tickets") as batch:  # SQLite rebuilds the table
        batch.drop_column("whistle_level")
