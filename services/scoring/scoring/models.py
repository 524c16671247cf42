from sqlalchemy import JSON, Boolean, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UtcDateTime
from common.tables import service_base

Base = service_base()


class ReportedTicket(Base):
    """Read-copy of each reported ticket, fed by ``ticket_reported`` events: the
    raw material of the reporting indicators."""

    __tablename__ = "reported_tickets"

    ticket_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    source: Mapped[str] = mapped_column(String(30))
    reported_at = mapped_column(UtcDateTime, nullable=False)
    received_at = mapped_column(UtcDateTime, nullable=False)


class TicketMove(Base):
    """Where a ticket lives now, if a grid split or merge re-homed it: the latest
    ``ticket_rehomed`` by its time. The per-grid figures count the ticket here; it
    may arrive before the ticket's ``ticket_reported`` (another queue)."""

    __tablename__ = "ticket_moves"

    ticket_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(24))
    moved_at = mapped_column(UtcDateTime, nullable=False)


class TrailWitness(Base):
    """The newest entry of each ticket's trail that its events announced (``trail_seq``,
    ``trail_head``): kept here, outside the tickets database, so deleting a trail's last
    entries together with its head there is caught by ``tickets.verify``."""

    __tablename__ = "trail_witnesses"

    ticket_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    trail_seq: Mapped[int] = mapped_column(Integer)
    trail_head: Mapped[str] = mapped_column(String(64))
    witnessed_at = mapped_column(UtcDateTime, nullable=False)


# --- facts: scoring's read model of the owners' records ----------------------------------
# One row per record, the latest snapshot its owner announced (scoring.facts builds each
# row from an event payload or from the owner's paged RPC alike). Each row carries the
# Shanghai days that periods are counted by, so a period is a range on an index.

class TicketFact(Base):
    __tablename__ = "ticket_facts"

    ticket_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(20))
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    source: Mapped[str] = mapped_column(String(30))
    category: Mapped[str] = mapped_column(String(10))
    reported_category: Mapped[str] = mapped_column(String(10))
    grade: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    level: Mapped[str | None] = mapped_column(String(12), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(30), nullable=True)
    satisfaction: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reopen_count: Mapped[int] = mapped_column(Integer)
    duplicate_of: Mapped[str | None] = mapped_column(String(36), nullable=True)
    resolved_level: Mapped[str | None] = mapped_column(String(12), nullable=True)
    reporter_person_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    responsible_person_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    responsible_grid_code: Mapped[str | None] = mapped_column(String(24), nullable=True)
    reported_at = mapped_column(UtcDateTime, nullable=False)
    accepted_at = mapped_column(UtcDateTime, nullable=True)
    resolved_at = mapped_column(UtcDateTime, nullable=True)
    feedback_at = mapped_column(UtcDateTime, nullable=True)
    rated_at = mapped_column(UtcDateTime, nullable=True)
    closed_at = mapped_column(UtcDateTime, nullable=True)
    resolve_due = mapped_column(UtcDateTime, nullable=True)
    on_time: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    reported_day = mapped_column(Date, nullable=False)
    resolved_day = mapped_column(Date, nullable=True)
    rated_day = mapped_column(Date, nullable=True)

    __table_args__ = (
        Index("ix_ticket_facts_reporter_day", "reporter_person_id", "reported_day"),
        Index("ix_ticket_facts_responsible_resolved", "responsible_person_id", "resolved_day"),
        Index("ix_ticket_facts_responsible_rated", "responsible_person_id", "rated_day"),
    )


class PatrolFact(Base):
    __tablename__ = "patrol_facts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64))
    grid_codes: Mapped[list] = mapped_column(JSON, default=list)
    located_grid_code: Mapped[str | None] = mapped_column(String(24), nullable=True)
    inside: Mapped[bool] = mapped_column(Boolean)
    occurred_at = mapped_column(UtcDateTime, nullable=False)
    received_at = mapped_column(UtcDateTime, nullable=True)
    day = mapped_column(Date, nullable=False)

    __table_args__ = (Index("ix_patrol_facts_person_day", "person_id", "day"),)


class VisitFact(Base):
    __tablename__ = "visit_facts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[str] = mapped_column(String(64))
    grid_code: Mapped[str | None] = mapped_column(String(24), nullable=True)
    occurred_at = mapped_column(UtcDateTime, nullable=False)
    received_at = mapped_column(UtcDateTime, nullable=True)
    day = mapped_column(Date, nullable=False)

    __table_args__ = (Index("ix_visit_facts_person_day", "person_id", "day"),)


class PostFact(Base):
    """A staff post (assignment): who answers for which grid, in which role, when."""

    __tablename__ = "post_facts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    role: Mapped[str] = mapped_column(String(40))
    start_date = mapped_column(Date, nullable=False)
    end_date = mapped_column(Date, nullable=True)


class HouseholdFact(Base):
    __tablename__ = "household_facts"

    household_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
