"""Ticket intake, free of nameko: numbering and the ``ticket_reported`` event."""
from zoneinfo import ZoneInfo

from sqlalchemy import select

from common.db import dialect_insert
from tickets.exceptions import TicketNotFound
from tickets.models import Ticket, TicketCounter

SHANGHAI = ZoneInfo("Asia/Shanghai")


def next_number(session, now):
    """Readable number per Shanghai calendar day. The counter row is updated in
    the ticket's transaction, so concurrent intakes serialise on it and a
    rolled-back intake gives its number back."""
    day = now.astimezone(SHANGHAI).strftime("%Y%m%d")
    insert = dialect_insert(session)
    result = session.execute(
        insert(TicketCounter).values(day=day, last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": TicketCounter.last + 1})
        .returning(TicketCounter.last)
    ).scalar_one()
    return f"{day}-{result:05d}"


def report_ticket(session, data, now):
    ticket = Ticket(
        number=next_number(session, now), grid_code=data["grid_code"], source=data["source"],
        description=data["description"], status="reported",
        reporter_account_id=data.get("reporter_account_id"), reported_at=now,
    )
    session.add(ticket)
    session.flush()
    return ticket


def reported_event(ticket):
    return {
        "ticket_id": ticket.id, "number": ticket.number, "grid_code": ticket.grid_code,
        "source": ticket.source, "status": ticket.status, "category": ticket.category, "grade": ticket.grade,
        "reported_at": ticket.reported_at.isoformat(),
    }


def get_ticket(session, ticket_id):
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound(f"No ticket has the id {ticket_id}.", details={"ticket_id": ticket_id})
    return ticket


def list_tickets(session, grid_prefix=None, limit=50):
    query = select(Ticket).order_by(Ticket.reported_at.desc()).limit(limit)
    if grid_prefix:
        query = query.where(Ticket.grid_code.startswith(grid_prefix))
    return session.scalars(query).all()

