"""What every ticket event carries: the ticket's snapshot as scoring keeps it, the
step's payload built on it, and the snapshot pages scoring rebuilds from."""
import datetime as dt

from sqlalchemy import select

from tickets.models import Ticket
from tickets.workflow import staff_person


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
