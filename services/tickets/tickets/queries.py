"""Reading tickets: one by id or number, within a viewer's reach, with its dispatches
or the original it was merged into; a page of a list within the caller's reach."""
import base64
import datetime as dt
import json

from sqlalchemy import String, and_, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

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


class shanghai_minute(FunctionElement):
    """SQL: a moment as Shanghai's wall-clock minute, '2026-11-23 09:30', or NULL. An
    export formats its times in the database: psycopg2 makes a datetime of a timestamp
    in about 5 µs, a fifth of a row's cost for every time in it."""
    type = String()
    inherit_cache = True


@compiles(shanghai_minute, "postgresql")
def _shanghai_minute_postgresql(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')"


@compiles(shanghai_minute)
def _shanghai_minute_sqlite(element, compiler, **kw):
    # UtcDateTime keeps UTC text there; China has kept UTC+8, without summer time, since 1991
    return f"strftime('%Y-%m-%d %H:%M', {compiler.process(element.clauses, **kw)}, '+8 hours')"


class cursor_moment(FunctionElement):
    """SQL: ``reported_at`` as the cursor holds it, ISO text in UTC to the microsecond
    (no datetime made per row)."""
    type = String()
    inherit_cache = True


@compiles(cursor_moment, "postgresql")
def _cursor_moment_postgresql(element, compiler, **kw):
    return (f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')")


@compiles(cursor_moment)
def _cursor_moment_sqlite(element, compiler, **kw):
    # UtcDateTime keeps 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC there
    return f"replace({compiler.process(element.clauses, **kw)}, ' ', 'T') || '+00:00'"


# What an export reads of each ticket (reports.ticket_rows takes them in this order), then
# the page's cursor key.
EXPORT_COLUMNS = (
    Ticket.number, shanghai_minute(Ticket.reported_at), Ticket.grid_code, Ticket.category, Ticket.grade,
    Ticket.source, Ticket.status, Ticket.level, Ticket.outcome, Ticket.resolved_level, Ticket.lead_department,
    shanghai_minute(Ticket.accepted_at), shanghai_minute(Ticket.resolved_at), shanghai_minute(Ticket.resolve_due),
    case((and_(Ticket.resolved_at.is_not(None), Ticket.resolve_due.is_not(None),
               Ticket.outcome.is_distinct_from("withdrawn")), Ticket.resolved_at <= Ticket.resolve_due)),
    Ticket.satisfaction, Ticket.reopen_count, Ticket.description, Ticket.reporter_name,
    Ticket.reporter_phone_masked,
    cursor_moment(Ticket.reported_at).label("cursor_at"), Ticket.id)


def export_page(session, filters, limit, now=None):
    """Like :func:`list_tickets` (the same filters, order and cursor), ``limit`` rows of
    EXPORT_COLUMNS instead of whole tickets: an export reads a hundred thousand."""
    return _page(session, select(*EXPORT_COLUMNS), filters, limit, now, session.execute,
                 cursor=lambda row: _encode_cursor(row.cursor_at, row.id))


def count_tickets(session, filters, now=None):
    """How many tickets the list with these filters holds, from its first page on."""
    return session.execute(select(func.count()).select_from(Ticket)
                           .where(*_conditions(dict(filters, before=None), now))).scalar_one()


def _page(session, query, filters, limit, now, run, cursor=None):
    found = run(query.where(*_conditions(filters, now))
                .order_by(Ticket.reported_at.desc(), Ticket.id.desc()).limit(limit + 1)).all()
    page = found[:limit]
    return page, ((cursor or _cursor)(page[-1]) if len(found) > limit else None)


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
        # the first bound alone is one an index range can start from: with the OR only, each
        # page read the index from the newest ticket down (the fiftieth page of an export
        # passed over the 98,000 tickets before it)
        conditions += [Ticket.reported_at <= at,
                       or_(Ticket.reported_at < at, and_(Ticket.reported_at == at, Ticket.id < ticket_id))]
    return conditions


def _cursor(ticket):
    return _encode_cursor(ticket.reported_at, ticket.id)


def _encode_cursor(at, ticket_id):
    """``at``: the ticket's report time, or its ISO text in UTC (cursor_moment)."""
    raw = json.dumps([at if isinstance(at, str) else at.isoformat(), ticket_id], separators=(",", ":"))
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
