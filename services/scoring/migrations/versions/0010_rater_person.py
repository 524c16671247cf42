"""ratings: the staff member who gave each (integrity's "only top marks" reads what a
person gave). Ratings stored before this have none: their rater's account is known, not
the person, and the check reads them as given by nobody

Revision ID: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade():
    op.add_column("ratings", sa.Column("rater_person_id", sa.String(64), nullable=True))
    op.create_index("ix_ratings_rater_person", "ratings", ["rater_person_id", "created_at"])


def downgrade():
    op.drop_index("ix_ratings_rater_person", "ratings")
    op.drop_column("ratings", "rater_person_id")
