"""facts integrity (issue 17) reads: a patrol's point, a visit's and a ticket's text
signature (common.textsig), who resolved a ticket, a household's registered residents,
and when a rater's account was created. Rows from before have none: a rebuild
(``python -m scoring.rebuild``) takes them from the owners.

Revision ID: 0006_integrity_facts
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0006_integrity_facts"
down_revision = "0006"

COLUMNS = {
    "patrol_facts": (("lon", sa.Float), ("lat", sa.Float)),
    "visit_facts": (("notes_sig", lambda: sa.String(256)),),
    "ticket_facts": (("resolved_by_person_id", lambda: sa.String(64)), ("description_sig", lambda: sa.String(256))),
    "household_facts": (("residents", sa.Integer),),
    "ratings": (("rater_account_created_at", UtcDateTime),),
}


def upgrade():
    for table, columns in COLUMNS.items():
        for name, kind in columns:
            op.add_column(table, sa.Column(name, kind(), nullable=True))


def downgrade():
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:  # SQLite rebuilds the table
            for name, _ in reversed(columns):
                batch.drop_column(name)
