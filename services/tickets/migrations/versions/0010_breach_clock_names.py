"""a breach's clock name holds a department code as long as people's (40) and its
round ("contact:" + code + "#12"); 30 characters failed the whole SLA scan's
transaction on one such breach

Revision ID: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade():
    with op.batch_alter_table("sla_breaches") as batch:
        batch.alter_column("clock", existing_type=sa.String(30), type_=sa.String(64), existing_nullable=False)


def downgrade():
    with op.batch_alter_table("sla_breaches") as batch:
        batch.alter_column("clock", existing_type=sa.String(64), type_=sa.String(30), existing_nullable=False)
