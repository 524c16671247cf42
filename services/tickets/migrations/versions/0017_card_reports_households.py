"""reports through a grid's public card, and the household a report is for

A report sent through the QR code on a grid's board (source ``qr_card``) keeps a keyed
hash of the client address it came from (never the address): the per-address limit
counts those; and a keyed hash of the tracking code its reporter was given, to follow
it with no account. ``review_flag`` marks a report that came in a burst for an officer to
look at first. ``household_id`` names the household a report is for: a resident's
own, or one a party member carries up (三带去三带回); the member sees its tickets.

Revision ID: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"


def upgrade():
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("client_address_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("tracking_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("review_flag", sa.String(20), nullable=True))
        batch.add_column(sa.Column("household_id", sa.String(36), nullable=True))
    op.create_index("ix_tickets_card_reports", "tickets", ["grid_code", "source", "reported_at"])
    op.create_index("ix_tickets_client_address", "tickets", ["client_address_hash", "reported_at"])
    op.create_index("ix_tickets_tracking_hash", "tickets", ["tracking_hash"], unique=True)
    op.create_index("ix_tickets_household_id", "tickets", ["household_id"])
    op.create_index("ix_tickets_review_flag", "tickets", ["review_flag"])


def downgrade():
    for name in ("ix_tickets_review_flag", "ix_tickets_household_id", "ix_tickets_tracking_hash",
                 "ix_tickets_client_address", "ix_tickets_card_reports"):
        op.drop_index(name, table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        for column in ("household_id", "review_flag", "tracking_hash", "client_address_hash"):
            batch.drop_column(column)
