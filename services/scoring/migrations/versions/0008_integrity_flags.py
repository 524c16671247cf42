"""integrity: flags a detector raised, their review trail, the thresholds' versions

Revision ID: 0008
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0008"
down_revision = "0006_integrity_facts"


def upgrade():
    # The scan reads a period's tickets by who resolved them (the acting person).
    op.create_index("ix_ticket_facts_resolver_resolved", "ticket_facts", ["resolved_by_person_id", "resolved_day"])
    op.create_table(
        "integrity_flags",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("pattern", sa.String(40), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False, index=True),
        sa.Column("grid_code", sa.String(24), nullable=False, index=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("raised_at", UtcDateTime, nullable=False),
        sa.Column("reviewed_at", UtcDateTime, nullable=True),
        sa.Column("reviewed_by", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("deduction", sa.Float(), nullable=False, server_default="0"),
        sa.UniqueConstraint("pattern", "person_id", "fingerprint", name="uq_integrity_flags_evidence"),
    )
    op.create_index("ix_integrity_flags_period_status", "integrity_flags", ["period", "status"])
    op.create_table(
        "integrity_reviews",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("flag_id", sa.String(36), nullable=False, index=True),
        sa.Column("decision", sa.String(12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("reviewer_account_id", sa.String(64), nullable=False),
        sa.Column("deduction", sa.Float(), nullable=False),
        sa.Column("reviewed_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "integrity_thresholds",
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "integrity_marks",
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("marked_at", UtcDateTime, nullable=False),
    )


def downgrade():
    op.drop_index("ix_ticket_facts_resolver_resolved", "ticket_facts")
    op.drop_table("integrity_marks")
    op.drop_table("integrity_thresholds")
    op.drop_table("integrity_reviews")
    op.drop_index("ix_integrity_flags_period_status", "integrity_flags")
    op.drop_table("integrity_flags")
