"""notifications in the inbox: a broadcast is a notice someone sent or a notification a
ticket event asked of someone (people.notifications), naming its ticket

Revision ID: 0026
"""
import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"


def upgrade():
    with op.batch_alter_table("broadcasts") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="notice"))
        batch.add_column(sa.Column("ticket_id", sa.String(36), nullable=True))


def downgrade():
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_column("ticket_id")
        batch.drop_column("kind")
