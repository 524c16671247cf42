"""what integrity (issue 17) reads of people's records: a household keeps how many
residents are registered in it (its snapshot carries the count), and a visit keeps
the text signature of its notes (common.textsig), computed once, so that neither the
notes nor a signature computed per read leave people

Revision ID: 0012
"""
import sqlalchemy as sa
from alembic import op

from common import textsig

revision = "0012"
down_revision = "0011"

BATCH = 1000


def upgrade():
    with op.batch_alter_table("households") as batch:
        batch.add_column(sa.Column("residents", sa.Integer, nullable=False, server_default="0"))
    op.execute("UPDATE households SET residents = (SELECT count(*) FROM residents "
               "WHERE residents.household_id = households.id)")
    with op.batch_alter_table("household_visits") as batch:
        batch.add_column(sa.Column("notes_sig", sa.String(256), nullable=True))
    _sign_old_visits(op.get_bind())


def _sign_old_visits(connection):
    """The visits stored before: signed here, a batch at a time in id order (about
    half a millisecond a visit)."""
    after = ""
    read = sa.text("SELECT id, notes FROM household_visits WHERE id > :after ORDER BY id LIMIT :limit")
    write = sa.text("UPDATE household_visits SET notes_sig = :sig WHERE id = :id")
    while True:
        rows = connection.execute(read, {"after": after, "limit": BATCH}).all()
        if not rows:
            return
        signed = [{"id": row.id, "sig": textsig.signature(row.notes)} for row in rows]
        signed = [item for item in signed if item["sig"] is not None]
        if signed:
            connection.execute(write, signed)
        after = rows[-1].id


def downgrade():
    with op.batch_alter_table("household_visits") as batch:
        batch.drop_column("notes_sig")
    with op.batch_alter_table("households") as batch:
        batch.drop_column("residents")
