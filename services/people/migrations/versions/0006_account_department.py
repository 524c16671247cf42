"""accounts of departments name their department (who tickets are dispatched to)

Revision ID: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("department_code", sa.String(40), nullable=True))


def downgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("department_code")
