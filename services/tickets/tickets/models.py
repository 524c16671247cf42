"""The tickets database's tables, and finding a ticket by id or readable number."""
import re
import uuid

from sqlalchemy import (JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, select,
                        text)
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UtcDateTime, utcnow
from common.tables import service_base
from tickets.exceptions import TicketNotFound

Base = service_base()


def _category_given(context):
    """A row inserted without its first category (fixtures, scripts) takes its category."""
    return context.get_current_parameters().get("category") or "OT99"


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    number: Mapped[str] = mapped_column(String(20), unique=True)
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    source: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    # common.textsig of the description, computed when the ticket is reported (the only
    # time its description is written): the snapshot carries it, never the text.
    description_sig: Mapped[str | None] = mapped_column(String(256), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="reported", index=True)
    reporter_account_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # The staff member who reported it (the actor's person_id; None for residents,
    # departments and accounts linked to nobody): whose own report it is, for scoring.
    reporter_person_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reported_at = mapped_column(UtcDateTime, nullable=False, default=utcnow, index=True)
    category: Mapped[str] = mapped_column(String(10), default="OT99", index=True)
    # The category as first reported: recategorising keeps it (scoring's accuracy index).
    reported_category: Mapped[str] = mapped_column(String(10), default=_category_given)
    grade: Mapped[str] = mapped_column(String(10), default="daily")
    level: Mapped[str | None] = mapped_column(String(12), index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_name: Mapped[str | None] = mapped_column(String(50))
    reporter_phone_enc: Mapped[str | None] = mapped_column(String(200))
    reporter_phone_masked: Mapped[str | None] = mapped_column(String(11))
    accepted_at = mapped_column(UtcDateTime, nullable=True)
    handling_at = mapped_column(UtcDateTime, nullable=True)
    resolved_at = mapped_column(UtcDateTime, nullable=True)
    resolved_level: Mapped[str | None] = mapped_column(String(12))
    # The staff member whose step resolved it (resolve, a town's verify, the reporter's
    # withdrawal), None for anyone else; cleared on reopening, as resolved_at is.
    resolved_by_person_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    feedback_at = mapped_column(UtcDateTime, nullable=True)
    rated_at = mapped_column(UtcDateTime, nullable=True)
    closed_at = mapped_column(UtcDateTime, nullable=True)
    reopened_at = mapped_column(UtcDateTime, nullable=True)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(30))
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended_at = mapped_column(UtcDateTime, nullable=True)
    suspended_seconds: Mapped[int] = mapped_column(Integer, default=0)
    meeting_disposal: Mapped[bool] = mapped_column(Boolean, default=False)
    lead_department: Mapped[str | None] = mapped_column(String(40))
    # The level that blew the latest whistle (community or town): its departments report
    # back to it and it verifies their work. Kept, as lead_department is, after a reopen.
    whistle_level: Mapped[str | None] = mapped_column(String(12))
    duplicate_of: Mapped[str | None] = mapped_column(String(36), index=True)
    likely_duplicate_of: Mapped[str | None] = mapped_column(String(36))
    accept_due = mapped_column(UtcDateTime, nullable=True)
    respond_due = mapped_column(UtcDateTime, nullable=True)
    resolve_due = mapped_column(UtcDateTime, nullable=True)
    trail_head: Mapped[str | None] = mapped_column(String(64))
    responsible_person_id: Mapped[str | None] = mapped_column(String(36), index=True)
    responsible_role: Mapped[str | None] = mapped_column(String(40))
    responsible_grid_code: Mapped[str | None] = mapped_column(String(24))
    # A report through a grid's public card: a keyed hash of the client address (the
    # per-address limit counts these), and why it waits for review (a burst), if it does ...
    client_address_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # ... and a keyed hash of the tracking code its reporter was given (no account to follow it by)
    tracking_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True, index=True)
    review_flag: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    # The household the report is for: a resident's own, or one a party member carries up.
    household_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # text_pattern_ops: PostgreSQL uses it for the code-prefix (LIKE 'x%') subtree filter
        Index("ix_tickets_grid_reported", "grid_code", "reported_at", postgresql_ops={"grid_code": "text_pattern_ops"}),
        Index("ix_tickets_category_status_reported", "category", "status", "reported_at"),  # duplicate search
        Index("ix_tickets_card_reports", "grid_code", "source", "reported_at"),  # a card's burst
        Index("ix_tickets_client_address", "client_address_hash", "reported_at"),  # an address's limit
        # the statistics' breakdown per summoned department (migration 0019)
        Index("ix_tickets_whistled", "reported_at", postgresql_where=text("lead_department IS NOT NULL"),
              sqlite_where=text("lead_department IS NOT NULL")),
    )


class TicketCounter(Base):
    """Per-day sequence behind readable ticket numbers (``20261123-00001``)."""

    __tablename__ = "ticket_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Dispatch(Base):
    """A department summoned by the whistle (吹哨), with its own clocks, in a round of
    handling (``whistle_round``: the ticket's ``reopen_count`` then; only the current
    round's dispatches act and run late)."""

    __tablename__ = "ticket_dispatches"
    __table_args__ = (UniqueConstraint("ticket_id", "whistle_round", "department", name="uq_dispatch_department"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    whistle_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    department: Mapped[str] = mapped_column(String(40), index=True)
    lead: Mapped[bool] = mapped_column(Boolean, default=False)
    dispatched_at = mapped_column(UtcDateTime, nullable=False)
    sign_due = mapped_column(UtcDateTime, nullable=False)
    contact_due = mapped_column(UtcDateTime, nullable=False)
    attend_due = mapped_column(UtcDateTime, nullable=False)
    signed_at = mapped_column(UtcDateTime, nullable=True)
    contacted_at = mapped_column(UtcDateTime, nullable=True)
    reported_at = mapped_column(UtcDateTime, nullable=True)
    report: Mapped[str | None] = mapped_column(Text)


class TrailEntry(Base):
    __tablename__ = "ticket_trail"
    __table_args__ = (UniqueConstraint("ticket_id", "seq", name="uq_trail_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    actor_account_id: Mapped[str | None] = mapped_column(String(36))
    actor_username: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(30))
    at: Mapped[str] = mapped_column(String(40))  # ISO text: hashed exactly as written
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    from_level: Mapped[str | None] = mapped_column(String(12))
    to_level: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    row_digest: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # trail.row_digest after this step
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class IdempotentRequest(Base):
    """The first answer to a request sent with an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotent_requests"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict] = mapped_column(JSON)
    created_at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


class SlaBreach(Base):
    """One row per ticket and clock: the primary key makes a breach count once,
    however many replicas scan at the same moment."""

    __tablename__ = "sla_breaches"

    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    clock: Mapped[str] = mapped_column(String(64), primary_key=True)  # "contact:" + a 40-character code + "#N"
    due = mapped_column(UtcDateTime, nullable=False)
    breached_at = mapped_column(UtcDateTime, nullable=False)
    escalated_to: Mapped[str | None] = mapped_column(String(12))


class SlaWarning(Base):
    """A ticket clock that reached WARN_AT of its time (clocks.scan_warnings): warned once
    per clock and round, however many replicas scan."""

    __tablename__ = "sla_warnings"

    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    clock: Mapped[str] = mapped_column(String(64), primary_key=True)  # as a breach names it ("resolve#1")
    due = mapped_column(UtcDateTime, nullable=False)
    warned_at = mapped_column(UtcDateTime, nullable=False)


class GridStaff(Base):
    """People's grid assignments as this service last heard of them (``person_assigned``
    and ``person_left`` events, and a periodic snapshot): whom a new ticket is given to."""

    __tablename__ = "grid_staff"

    assignment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36))
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    role: Mapped[str] = mapped_column(String(40))
    role_label: Mapped[str | None] = mapped_column(String(40))
    start_date = mapped_column(Date, nullable=False)
    end_date = mapped_column(Date, nullable=True)


class ReporterContactRead(Base):
    """Every clear read of a reporter's name and phone by someone other than the
    reporter: who, when, which ticket (as people logs clear reads of residents)."""

    __tablename__ = "reporter_contact_reads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    viewer_account_id: Mapped[str] = mapped_column(String(36), index=True)
    viewer_username: Mapped[str] = mapped_column(String(64))
    at = mapped_column(UtcDateTime, nullable=False, default=utcnow)


# --- finding a ticket (here, below the trail and the reads: both need it) ------------

READABLE_NUMBER = re.compile(r"^\d{8}-\d{5,}$")  # intake.next_number's 20261123-00001


def get_ticket(session, ticket_id, for_update=False):
    """The ticket with this id, or with this readable number (what a reporter quotes
    on the phone)."""
    by_number = READABLE_NUMBER.match(ticket_id or "")
    query = select(Ticket).where((Ticket.number if by_number else Ticket.id) == ticket_id)
    ticket = session.scalar(query.with_for_update() if for_update else query)
    if ticket is None:
        raise not_found(ticket_id)
    return ticket


def not_found(ticket_id):
    """The answer for a ticket that does not exist, and for one beyond the caller's
    reach: numbers are sequential, so a different answer would tell which exist."""
    by_number = READABLE_NUMBER.match(ticket_id or "")
    return TicketNotFound(f"No ticket has the {'number' if by_number else 'id'} {ticket_id}.",
                          details={"ticket_id": ticket_id})
