from sqlalchemy import Integer, String
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
