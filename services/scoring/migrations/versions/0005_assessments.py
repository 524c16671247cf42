"""judgement: plan versions, self-assessments, street items, ratings, assessments

Revision ID: 0005
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0005"
down_revision = "0004"


def upgrade():
    op.create_table(
        "plan_versions",
        sa.Column("code", sa.String(60), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
    )
    for table, key in (("self_assessments", ("month", "grid_code")), ("street_items", ("period", "subject_id"))):
        op.create_table(
            table,
            sa.Column(key[0], sa.String(7), primary_key=True),
            sa.Column(key[1], sa.String(24 if key[1] == "grid_code" else 64), primary_key=True),
            sa.Column("items", sa.JSON(), nullable=False),
            sa.Column("points", sa.Float(), nullable=False),
            sa.Column("max_points", sa.Float(), nullable=False),
            sa.Column("entered_by", sa.String(64), nullable=False),
            sa.Column("entered_at", UtcDateTime, nullable=False),
        )
    op.create_table(
        "ratings",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("rater_key", sa.String(200), nullable=False),
        sa.Column("rater_account_id", sa.String(64), nullable=False),
        sa.Column("subject_person_id", sa.String(64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("scale_max", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("period", "kind", "rater_key", "subject_person_id", name="uq_ratings_once"),
    )
    op.create_index("ix_ratings_period_subject", "ratings", ["period", "subject_person_id"])
    op.create_table(
        "assessments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("plan_code", sa.String(60), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("scope", sa.String(24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("published_at", UtcDateTime, nullable=True),
        sa.Column("published_by", sa.String(64), nullable=True),
        sa.UniqueConstraint("plan_code", "period", "scope", "version", name="uq_assessments_version"),
    )
    op.create_table(
        "assessment_results",
        sa.Column("assessment_id", sa.String(36), primary_key=True),
        sa.Column("subject_id", sa.String(64), primary_key=True),
        sa.Column("subject_kind", sa.String(10), nullable=False),
        sa.Column("grid_code", sa.String(24), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("ranked_score", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("band", sa.String(20), nullable=True),
        sa.Column("pay_tier", sa.String(20), nullable=True),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("commended", sa.Boolean(), nullable=False),
        sa.Column("reminded", sa.Boolean(), nullable=False),
        sa.Column("breakdown", sa.JSON(), nullable=False),
    )


def downgrade():
    for table in ("assessment_results", "assessments", "ratings", "street_items", "self_assessments",
                  "plan_versions"):
        op.drop_table(table)
