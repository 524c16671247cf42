"""what integrity (issue 17) reads of a ticket, in its snapshot: the text signature of
its description (common.textsig, computed once: the description never leaves
tickets) and the staff member whose step resolved it (kept on the row, so that a
rebuild from ``ticket_snapshots`` knows it as the live events did)

Revision ID: 0014
"""
import sqlalchemy as sa
from alembic import op

from common import textsig

revision = "0014"
down_revision = "0013"

BATCH = 1000


def upgrade():
    # Tickets resolved before: nobody is known (the trail names accounts, not persons).
    op.add_column("tickets", sa.Column("resolved_by_person_id", sa.String(64), nullable=True))
    op.add_column("tickets", sa.Column("description_sig", sa.String(256), nullable=True))
    _sign_old_tickets(op.get_bind())


def _sign_old_tickets(connection):
    """The tickets reported before: signed here, a batch at a time in id order (about
    half a millisecond a ticket). Their versions stay: scoring takes the signatures
    with its next rebuild."""
    after = ""
    read = sa.text("SELECT id, description FROM tickets WHERE id > :after ORDER BY id LIMIT :limit")
    write = sa.text("UPDATE tickets SET description_sig = :sig WHERE id = :id")
    while True:
        rows = connection.execute(read, {"after": after, "limit": BATCH}).all()
        if not rows:
            return
        signed = [{"id": row.id, "sig": textsig.signature(row.description)} for row in rows]
        signed = [item for item in signed if item["sig"] is not None]
        if signed:
            connection.execute(write, signed)
        after = rows[-1].id


def downgrade():
    with op.batch_alter_table("tickets") as batch:  # SQLite rebuilds the table
        batch.drop_column("description_sig")
        batch.drop_column("resolved_by_person_id")
