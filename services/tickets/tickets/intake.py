"""Ticket numbering, the snapshot every ticket event carries, and listing."""
import base64
import datetime as dt
import json

from sqlalchemy import and_, or_, select

from common.db import add_to_counter, utcnow
from common.errors import InvalidInput
from common.shanghai import SHANGHAI, day_start
from tickets import clocks
from tickets.workflow import staff_person
from tickets.models import Dispatch, Ticket, TicketCounter


def next_number(session, now):
    """Readable number per Shanghai calendar day. The counter row is updated in
    the ticket's transaction, so concurrent intakes serialise on it and a
    rolled-back intake gives its number back."""
    day = now.astimezone(SHANGHAI).strftime("%Y%m%d")
    return f"{day}-{add_to_counter(session, TicketCounter.__table__, {'day': day}, 'last', 1):05d}"


# Where a report came from follows who made it: a resident's is a resident report and
# a department's a referral, whatever the client claims (the by-source figures rest on
# it); the command centre mostly enters hotline calls; grid staff find things on patrol.
FIXED_SOURCE = {"resident": "resident_report", "department": "department_referral"}
DEFAULT_SOURCE = {"district_officer": "hotline_12345"}


def source_for(given, reporter_role):
    fixed = FIXED_SOURCE.get(reporter_role)
    if fixed and given not in (None, fixed):
        raise InvalidInput(f"A report by a {reporter_role} account has the source {fixed}, not {given}.",
                           code="SOURCE_NOT_YOURS", details={"field": "source", "expected": fixed})
    return given or fixed or DEFAULT_SOURCE.get(reporter_role, "grid_patrol")


def _moment(value):
    # UTC whatever the calendar computed it in: the snapshot read back is the one sent
    return value.astimezone(dt.timezone.utc).isoformat() if value is not None else None


# The ticket's columns a snapshot reads: ticket_snapshots selects only these.
SNAPSHOT_COLUMNS = (
    "id", "number", "version", "grid_code", "source", "category", "reported_category", "grade", "status", "level",
    "outcome", "satisfaction", "reopen_count", "duplicate_of", "resolved_level", "reporter_person_id",
    "responsible_person_id", "responsible_grid_code", "resolved_by_person_id", "description_sig", "reported_at",
    "accepted_at", "resolved_at", "feedback_at", "rated_at", "closed_at", "resolve_due")
_MOMENTS = ("reported_at", "accepted_at", "resolved_at", "feedback_at", "rated_at", "closed_at", "resolve_due")


def snapshot(ticket):
    """The ticket as scoring keeps it: what every event about the ticket carries, and
    what ``ticket_snapshots`` pages through (so a rebuild gives what the live feed
    gave). Read from the row alone (a Ticket, or a row of SNAPSHOT_COLUMNS), no query;
    no personal data. ``version``: the row's, after the step the event announces;
    ``on_time``: resolved by the resolve deadline (None while not resolved)."""
    view = {name: getattr(ticket, name) for name in SNAPSHOT_COLUMNS}
    view["ticket_id"] = view.pop("id")
    for name in _MOMENTS:
        view[name] = _moment(view[name])
    resolved, due = ticket.resolved_at, ticket.resolve_due
    view["on_time"] = None if resolved is None else (due is None or resolved <= due)
    return view


_SNAPSHOT_ROWS = select(*(getattr(Ticket, name) for name in SNAPSHOT_COLUMNS)).order_by(Ticket.id)


def snapshot_page(session, after, limit):
    """``{"items": snapshots of the tickets after ticket id ``after`` (None: from the
    first), in id order, "next": the last id of the page, None on the last page}``."""
    query = _SNAPSHOT_ROWS.limit(limit + 1)
    rows = session.execute(query if after is None else query.where(Ticket.id > after)).all()
    page = rows[:limit]
    return {"items": [snapshot(row) for row in page], "next": page[-1].id if len(rows) > limit else None}


def step_event(ticket, action, at, actor=None, **extra):
    """The payload of an event about ``ticket``: its snapshot, the step (``action``,
    ``at``, the acting staff member's ``actor_person_id``; ``actor`` None: a system
    step) and what the event adds (``extra``, which may not redefine either)."""
    payload = snapshot(ticket)
    payload.update(action=action, at=_moment(at), actor_person_id=staff_person(actor))
    clash = payload.keys() & extra.keys()
    if clash:
        raise ValueError(f"an event's extra fields redefine the snapshot's: {sorted(clash)}")
    payload.update(extra)
    return payload


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
    or that were dispatched to that department (either one)."""
    query = select(Ticket).order_by(Ticket.reported_at.desc(), Ticket.id.desc()).limit(filters["limit"] + 1)
    if filters.get("root"):
        query = query.where(Ticket.grid_code.startswith(filters["root"]))
    if filters.get("responsible_person_id"):
        query = query.where(Ticket.responsible_person_id == filters["responsible_person_id"])
    if filters.get("status"):
        query = query.where(Ticket.status.in_(filters["status"]))
    for column in ("category", "grade", "source", "level"):
        if filters.get(column):
            query = query.where(getattr(Ticket, column) == filters[column])
    if filters.get("overdue"):
        query = query.where(clocks.overdue(now or utcnow()))
    if filters.get("start"):
        query = query.where(Ticket.reported_at >= day_start(filters["start"]))
    if filters.get("end"):
        query = query.where(Ticket.reported_at < day_start(filters["end"] + dt.timedelta(days=1)))
    reach = []
    if filters.get("reporter_account_id"):
        reach.append(Ticket.reporter_account_id == filters["reporter_account_id"])
    if filters.get("department"):
        reach.append(Ticket.id.in_(select(Dispatch.ticket_id).where(Dispatch.department == filters["department"])))
    if reach:
        query = query.where(or_(*reach))
    if filters.get("before"):
        at, ticket_id = _read_cursor(filters["before"])
        query = query.where(or_(Ticket.reported_at < at, and_(Ticket.reported_at == at, Ticket.id < ticket_id)))
    found = session.scalars(query).all()
    page = found[:filters["limit"]]
    return page, (_cursor(page[-1]) if len(found) > filters["limit"] else None)


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
