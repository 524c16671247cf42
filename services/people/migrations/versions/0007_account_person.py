"""an account may be a person's own (a grid worker signing in sees the tickets they answer for)

Revision ID: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("person_id", sa.String(36), nullable=True))
        batch.create_index("ix_accounts_person_id", ["person_id"], unique=True)


def downgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.drop_index("ix_accounts_person_id")
        batch.drop_column("person_id")
