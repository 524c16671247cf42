"""the closed loop: categories, grades, location, state timestamps, SLA deadlines,
dispatches, the hash-chained trail, idempotent requests, SLA breaches

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op

from common.db import UtcDateTime

revision = "0002"
down_revision = "0001"

TICKET_COLUMNS = (
    ("category", sa.String(10), "OT99"), ("grade", sa.String(10), "daily"), ("level", sa.String(12), None),
    ("lon", sa.Float, None), ("lat", sa.Float, None), ("attachments", sa.JSON, None),
    ("anonymous", sa.Boolean, False), ("reporter_name", sa.String(50), None),
    ("reporter_phone_enc", sa.String(200), None), ("reporter_phone_masked", sa.String(11), None),
    ("accepted_at", UtcDateTime, None), ("handling_at", UtcDateTime, None), ("resolved_at", UtcDateTime, None),
    ("resolved_level", sa.String(12), None), ("feedback_at", UtcDateTime, None), ("rated_at", UtcDateTime, None),
    ("closed_at", UtcDateTime, None), ("reopened_at", UtcDateTime, None), ("reopen_count", sa.Integer, 0),
    ("outcome", sa.String(30), None), ("satisfaction", sa.Integer, None), ("suspended", sa.Boolean, False),
    ("suspended_at", UtcDateTime, None), ("suspended_seconds", sa.Integer, 0), ("meeting_disposal", sa.Boolean, False),
    ("lead_department", sa.String(40), None), ("duplicate_of", sa.String(36), None),
    ("likely_duplicate_of", sa.String(36), None), ("accept_due", UtcDateTime, None),
    ("respond_due", UtcDateTime, None), ("resolve_due", UtcDateTime, None), ("trail_head", sa.String(64), None),
)


def upgrade():
    with op.batch_alter_table("tickets") as batch:
        for name, kind, default in TICKET_COLUMNS:
            server_default = None if default is None else sa.text(repr(default) if isinstance(default, str)
                                                                  else str(default).lower())
            batch.add_column(sa.Column(name, kind, nullable=True, server_default=server_default))
    for name in ("status", "category", "reported_at", "level", "duplicate_of"):
        op.create_index(f"ix_tickets_{name}", "tickets", [name])
    op.create_table(
        "ticket_dispatches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.String(36), sa.ForeignKey("tickets.id"), nullable=False, index=True),
        sa.Column("department", sa.String(40), nullable=False, index=True),
        sa.Column("lead", sa.Boolean, nullable=False),
        sa.Column("dispatched_at", UtcDateTime, nullable=False),
        sa.Column("sign_due", UtcDateTime, nullable=False),
        sa.Column("contact_due", UtcDateTime, nullable=False),
        sa.Column("attend_due", UtcDateTime, nullable=False),
        sa.Column("signed_at", UtcDateTime),
        sa.Column("reported_at", UtcDateTime),
        sa.Column("report", sa.Text),
        sa.UniqueConstraint("ticket_id", "department", name="uq_dispatch_department"),
    )
    op.create_table(
        "ticket_trail",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.String(36), sa.ForeignKey("tickets.id"), nullable=False, index=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("actor_account_id", sa.String(36)),
        sa.Column("actor_username", sa.String(64)),
        sa.Column("actor_role", sa.String(30)),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("from_state", sa.String(20)),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("from_level", sa.String(12)),
        sa.Column("to_level", sa.String(12)),
        sa.Column("note", sa.Text),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("ticket_id", "seq", name="uq_trail_seq"),
    )
    op.create_table(
        "idempotent_requests",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("account_id", sa.String(36), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("response", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "sla_breaches",
        sa.Column("ticket_id", sa.String(36), sa.ForeignKey("tickets.id"), primary_key=True),
        sa.Column("clock", sa.String(30), primary_key=True),
        sa.Column("due", UtcDateTime, nullable=False),
        sa.Column("breached_at", UtcDateTime, nullable=False),
        sa.Column("escalated_to", sa.String(12)),
    )


def downgrade():
    for table in ("sla_breaches", "idempotent_requests", "ticket_trail", "ticket_dispatches"):
        op.drop_table(table)
    for name in ("status", "category", "reported_at", "level", "duplicate_of"):
        op.drop_index(f"ix_tickets_{name}", "tickets")
    with op.batch_alter_table("tickets") as batch:
        for name, _, _ in reversed(TICKET_COLUMNS):
            batch.drop_column(name)
