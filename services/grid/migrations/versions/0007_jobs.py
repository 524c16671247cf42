"""jobs: a large import runs in the background and answers with a job (common.jobs)

Revision ID: 0007
"""
from alembic import op
from sqlalchemy import MetaData

from common.jobs import jobs_table

revision = "0007"
down_revision = "0006"


def upgrade():
    jobs_table(MetaData()).create(op.get_bind())


def downgrade():
    op.drop_table("jobs")
