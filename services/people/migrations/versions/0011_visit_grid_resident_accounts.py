"""a visit keeps the grid its household lay in when visited (scoring credits the
visit there, even after the household moves); a resident may have an account of their
own (a resident rates the workers of their own grid); posts and households carry a
version in their events, so a consumer keeps the newest snapshot whatever the order

Revision ID: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade():
    with op.batch_alter_table("household_visits") as batch:
        batch.add_column(sa.Column("grid_code", sa.String(24), nullable=True))
    # Old visits: their household's grid now, the best record there is of where they were.
    op.execute("UPDATE household_visits SET grid_code = (SELECT households.grid_code FROM households "
               "WHERE households.id = household_visits.household_id)")
    with op.batch_alter_table("household_visits") as batch:
        batch.alter_column("grid_code", existing_type=sa.String(24), nullable=False)
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("resident_id", sa.String(36), nullable=True))
        batch.create_index("ix_accounts_resident_id", ["resident_id"], unique=True)
    for table in ("assignments", "households"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))


def downgrade():
    for table in ("assignments", "households"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_index("ix_accounts_resident_id")
        batch.drop_column("resident_id")
    with op.batch_alter_table("household_visits") as batch:
        batch.drop_column("grid_code")
