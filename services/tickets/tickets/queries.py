"""Reading tickets: one by id or number, within a viewer's reach, with its dispatches
or the original it was merged into; a page of a list within the caller's reach."""
import base64
import datetime as dt
import json

from sqlalchemy import and_, func, or_, select

from common.db import utcnow
from common.errors import InvalidInput
from common.shanghai import day_start
from tickets import clocks, visibility
from tickets.models import Dispatch, Ticket, get_ticket, not_found


def dispatches_of(session, ticket_id):
    return session.scalars(select(Dispatch).where(Dispatch.ticket_id == ticket_id).order_by(Dispatch.id)).all()


def reachable(session, ticket_id, viewer, for_update=False):
    """(ticket, its dispatches), or 404 TICKET_NOT_FOUND, the very answer a free id or
    number gets, if ``viewer`` (a workflow.Actor; None: an internal caller, which
    reaches everything) does not reach it."""
    ticket = get_ticket(session, ticket_id, for_update=for_update)
    dispatches = dispatches_of(session, ticket.id)
    if viewer is not None and not visibility.in_sight(ticket, dispatches, viewer):
        raise not_found(ticket_id)
    return ticket, dispatches


def original_of(session, ticket, limit=10):
    """The open ticket a merged one now lives on (following merges of merges), or None."""
    while ticket.duplicate_of and limit:
        ticket, limit = get_ticket(session, ticket.duplicate_of), limit - 1
    return ticket if limit else None


def descriptions(session, ticket_ids):
    """{ticket_id: description} of those that exist."""
    return dict(session.execute(select(Ticket.id, Ticket.description).where(Ticket.id.in_(list(ticket_ids)))).all())


# --- a page of a list ---------------------------------------------------------------

def within_reach(filters, actor):
    """The filters a list runs with for ``actor`` (a workflow.Actor; None: an internal
    caller, which reaches everything): one that reaches grids, or asks for a root, gets
    that subtree checked against its reach (403 OUT_OF_SCOPE beyond it) or its own; one
    that reaches no subtree (a resident, a department) gets what it reported and what
    was dispatched to its department. ``responsible=me`` is the caller's own person."""
    filters = dict(filters)
    responsible = filters.pop("responsible", None)
    if responsible == "me":
        if actor is None or not actor.person_id:
            raise InvalidInput("responsible=me needs an account linked to a staff member (person_id).",
                               code="NO_PERSON", details={"field": "responsible"})
        responsible = actor.person_id
    filters["responsible_person_id"] = responsible
    if actor is not None:
        if actor.reaches_grids or filters.get("root"):
            filters["root"] = actor.effective_root(filters.get("root"))
        else:
            filters.update(reporter_account_id=actor.account_id, department=actor.department)
    return filters


def list_tickets(session, filters, now=None):
    """A page of tickets, newest first, and the cursor of the next page (None on the
    last). ``filters`` as :class:`tickets.schemas.TicketFilterSchema` loads them;
    ``reporter_account_id`` / ``department`` keep the tickets that account reported
    or that were dispatched to that department (either one); ``household_ids`` those
    reported for these households."""
    return _page(session, select(Ticket), filters, filters["limit"], now, session.scalars)


# What an export (reports.ticket_row) reads of each ticket, and the page's cursor key.
EXPORT_COLUMNS = (Ticket.id, Ticket.number, Ticket.reported_at, Ticket.grid_code, Ticket.category, Ticket.grade,
                  Ticket.source, Ticket.status, Ticket.level, Ticket.outcome, Ticket.resolved_level,
                  Ticket.lead_department, Ticket.accepted_at, Ticket.resolved_at, Ticket.resolve_due,
                  Ticket.satisfaction, Ticket.reopen_count, Ticket.description, Ticket.reporter_name,
                  Ticket.reporter_phone_masked)


def export_page(session, filters, limit, now=None):
    """Like :func:`list_tickets` (the same filters, order and cursor), ``limit`` rows of
    EXPORT_COLUMNS instead of whole tickets: an export reads a hundred thousand."""
    return _page(session, select(*EXPORT_COLUMNS), filters, limit, now, session.execute)


def count_tickets(session, filters, now=None):
    """How many tickets the list with these filters holds, from its first page on."""
    return session.execute(select(func.count()).select_from(Ticket)
                           .where(*_conditions(dict(filters, before=None), now))).scalar_one()


def _page(session, query, filters, limit, now, run):
    found = run(query.where(*_conditions(filters, now))
                .order_by(Ticket.reported_at.desc(), Ticket.id.desc()).limit(limit + 1)).all()
    page = found[:limit]
    return page, (_cursor(page[-1]) if len(found) > limit else None)


def _conditions(filters, now):
    conditions = []
    if filters.get("root"):
        conditions.append(Ticket.grid_code.startswith(filters["root"]))
    if filters.get("responsible_person_id"):
        conditions.append(Ticket.responsible_person_id == filters["responsible_person_id"])
    if filters.get("household_ids") is not None:  # a party member's households (an empty list: none)
        conditions.append(Ticket.household_id.in_(filters["household_ids"]))
    if filters.get("status"):
        conditions.append(Ticket.status.in_(filters["status"]))
    for column in ("category", "grade", "source", "level", "review_flag"):
        if filters.get(column):
            conditions.append(getattr(Ticket, column) == filters[column])
    if filters.get("overdue"):
        conditions.append(clocks.overdue(now or utcnow()))
    if filters.get("start"):
        conditions.append(Ticket.reported_at >= day_start(filters["start"]))
    if filters.get("end"):
        conditions.append(Ticket.reported_at < day_start(filters["end"] + dt.timedelta(days=1)))
    reach = []
    if filters.get("reporter_account_id"):
        reach.append(Ticket.reporter_account_id == filters["reporter_account_id"])
    if filters.get("department"):
        reach.append(Ticket.id.in_(select(Dispatch.ticket_id).where(Dispatch.department == filters["department"])))
    if reach:
        conditions.append(or_(*reach))
    if filters.get("before"):
        at, ticket_id = _read_cursor(filters["before"])
        conditions.append(or_(Ticket.reported_at < at, and_(Ticket.reported_at == at, Ticket.id < ticket_id)))
    return conditions


def _cursor(ticket):
    raw = json.dumps([ticket.reported_at.isoformat(), ticket.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _read_cursor(cursor):
    try:
        at, ticket_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at = dt.datetime.fromisoformat(at)
        if at.tzinfo is None:  # ours always carry their offset
            raise ValueError("naive time")
        return at, str(ticket_id)
    except (ValueError, TypeError):
        raise InvalidInput("before is not a cursor this list gave out (use its next value).",
                           details={"field": "before"}) from None
