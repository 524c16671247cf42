import uuid

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UtcDateTime, utcnow
from common.tables import service_base

Base = service_base()


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    number: Mapped[str] = mapped_column(String(20), unique=True)
    grid_code: Mapped[str] = mapped_column(String(24), index=True)
    source: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="reported")
    reporter_account_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    reported_at = mapped_column(UtcDateTime, default=utcnow)
    created_at = mapped_column(UtcDateTime, default=utcnow)
    updated_at = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class TicketCounter(Base):
    """Per-day sequence behind readable ticket numbers (``20261123-00001``)."""

    __tablename__ = "ticket_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
