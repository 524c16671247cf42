"""Ticket numbering, the event payload every ticket event starts from, and listing."""
from sqlalchemy import or_, select

from common.db import add_to_counter
from common.shanghai import SHANGHAI
from tickets.models import Dispatch, Ticket, TicketCounter


def next_number(session, now):
    """Readable number per Shanghai calendar day. The counter row is updated in
    the ticket's transaction, so concurrent intakes serialise on it and a
    rolled-back intake gives its number back."""
    day = now.astimezone(SHANGHAI).strftime("%Y%m%d")
    return f"{day}-{add_to_counter(session, TicketCounter.__table__, {'day': day}, 'last', 1):05d}"


def reported_event(ticket):
    return {
        "ticket_id": ticket.id, "number": ticket.number, "grid_code": ticket.grid_code,
        "source": ticket.source, "status": ticket.status, "category": ticket.category, "grade": ticket.grade,
        "reported_at": ticket.reported_at.isoformat(), "responsible_person_id": ticket.responsible_person_id,
    }


def list_tickets(session, grid_prefix=None, limit=50, responsible_person_id=None, reporter_account_id=None,
                 department=None):
    """Newest first. ``reporter_account_id`` / ``department``: only tickets that account
    reported or that were dispatched to that department (either one)."""
    query = select(Ticket).order_by(Ticket.reported_at.desc()).limit(limit)
    if grid_prefix:
        query = query.where(Ticket.grid_code.startswith(grid_prefix))
    if responsible_person_id:
        query = query.where(Ticket.responsible_person_id == responsible_person_id)
    reach = []
    if reporter_account_id:
        reach.append(Ticket.reporter_account_id == reporter_account_id)
    if department:
        reach.append(Ticket.id.in_(select(Dispatch.ticket_id).where(Dispatch.department == department)))
    if reach:
        query = query.where(or_(*reach))
    return session.scalars(query).all()

