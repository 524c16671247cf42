"""jobs: a large roster import runs in the background and answers with a job (common.jobs)

Revision ID: 0027
"""
from alembic import op
from sqlalchemy import MetaData

from common.jobs import jobs_table

revision = "0027"
down_revision = "0026"


def upgrade():
    jobs_table(MetaData()).create(op.get_bind())


def downgrade():
    op.drop_table("jobs")
