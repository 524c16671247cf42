"""volunteer points: rewards, balances, append-only ledger

Revision ID: 0003
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0003"
down_revision = "0002"


def upgrade():
    op.create_table(
        "rewards",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("cost", sa.Integer, nullable=False),
        sa.Column("stock", sa.Integer),
        sa.CheckConstraint("cost > 0", name="ck_rewards_cost_positive"),
        sa.CheckConstraint("stock IS NULL OR stock >= 0", name="ck_rewards_stock_not_negative"),
    )
    op.create_table(
        "points_balances",
        sa.Column("person_id", sa.String(36), sa.ForeignKey("persons.id"), primary_key=True),
        sa.Column("balance", sa.Integer, nullable=False),
        sa.CheckConstraint("balance >= 0", name="ck_points_balance_not_negative"),
    )
    op.create_table(
        "points_ledger",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("persons.id"), nullable=False, index=True),
        sa.Column("delta", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("activity", sa.String(200)),
        sa.Column("hours", sa.Float),
        sa.Column("reward_code", sa.String(40)),
        sa.Column("approver", sa.String(64), nullable=False),
        sa.Column("balance_after", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )


def downgrade():
    for table in ("points_ledger", "points_balances", "rewards"):
        op.drop_table(table)
