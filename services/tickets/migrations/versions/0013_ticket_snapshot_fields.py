"""the ticket keeps who reported it (a staff member's person id) and the category it
was first reported under, for the snapshot its events carry to scoring

Revision ID: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade():
    # Older tickets: no reporter person is known, and their category stands for the first
    # (the trail seals reported_category only where it differs from category: see trail).
    op.add_column("tickets", sa.Column("reporter_person_id", sa.String(64), nullable=True))
    op.add_column("tickets", sa.Column("reported_category", sa.String(10), nullable=True))
    op.execute("UPDATE tickets SET reported_category = category")
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("reported_category", existing_type=sa.String(10), nullable=False)


def downgrade():
    with op.batch_alter_table("tickets") as batch:  # SQLite rebuilds the table
        batch.drop_column("reported_category")
        batch.drop_column("reporter_person_id")
