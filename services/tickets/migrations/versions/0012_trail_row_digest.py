"""the trail seals the ticket row: each new entry carries a digest of the guarded
fields as its step left them (entries written before have none and verify as before)

Revision ID: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade():
    op.add_column("ticket_trail", sa.Column("row_digest", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("ticket_trail") as batch:  # SQLite rebuilds the table
        batch.drop_column("row_digest")
