"""dispatches belong to a round of handling: a reopened ticket the town whistles for
again gets new dispatches (the same department may be summoned again) with new clocks,
and the old round's reports no longer let the town verify

Revision ID: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade():
    with op.batch_alter_table("ticket_dispatches") as batch:
        batch.add_column(sa.Column("whistle_round", sa.Integer(), nullable=False, server_default="0"))
        batch.drop_constraint("uq_dispatch_department", type_="unique")
        batch.create_unique_constraint("uq_dispatch_department", ["ticket_id", "whistle_round", "department"])


def downgrade():
    op.execute("DELETE FROM ticket_dispatches WHERE whistle_round > 0")
    with op.batch_alter_table("ticket_dispatches") as batch:
        batch.drop_constraint("uq_dispatch_department", type_="unique")
        batch.create_unique_constraint("uq_dispatch_department", ["ticket_id", "department"])
        batch.drop_column("whistle_round")
