"""the responsible grid worker: people's assignments kept here, and who answers for each ticket

Revision ID: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade():
    op.create_table(
        "grid_staff",
        sa.Column("assignment_id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("role_label", sa.String(40), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
    )
    op.create_index("ix_grid_staff_grid_code", "grid_staff", ["grid_code"])
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("responsible_person_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("responsible_role", sa.String(40), nullable=True))
        batch.add_column(sa.Column("responsible_grid_code", sa.String(24), nullable=True))
    op.create_index("ix_tickets_responsible_person_id", "tickets", ["responsible_person_id"])


def downgrade():
    op.drop_index("ix_tickets_responsible_person_id", "tickets")
    with op.batch_alter_table("tickets") as batch:  # SQLite rebuilds the table
        batch.drop_column("responsible_grid_code")
        batch.drop_column("responsible_role")
        batch.drop_column("responsible_person_id")
    op.drop_index("ix_grid_staff_grid_code", "grid_staff")
    op.drop_table("grid_staff")
