"""places: a place can be marked a group rental (群租房), when and by whom; people's
follow-up list reads them (issue 18)

Revision ID: 0005
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0005"
down_revision = "0004"


def upgrade():
    op.add_column("places", sa.Column("group_rental", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("places", sa.Column("group_rental_marked_at", UtcDateTime, nullable=True))
    op.add_column("places", sa.Column("group_rental_marked_by", sa.String(64), nullable=True))
    op.create_index("ix_places_group_rental", "places", ["group_rental", "grid_code"])


def downgrade():
    op.drop_index("ix_places_group_rental", "places")
    for column in ("group_rental_marked_by", "group_rental_marked_at", "group_rental"):
        op.drop_column("places", column)
