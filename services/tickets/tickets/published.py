"""What anyone may read of a ticket, with no sign-in: the gateway serves it as Open311's
service requests (issue 20). Free of nameko: the service passes the session.

Only tickets of published categories (``catalogue.Category.published``: problems of
shared space) are read, and of those never the reporter (no name, phone, account or
household). What a reporter wrote in their own words is theirs, not the public's:

- the description is published only when staff or a department wrote it as a record of
  their work (``grid_patrol``, ``department_referral``) or it was public already
  (``media``), and neither anonymous nor about a household; a resident's report, a
  report through a grid's card and a hotline call's transcript are withheld (None), as
  is the photo that came with them: a description of one's own problem at home names
  neighbours, family and doors, and no rule can find a name in free text;
- the note is the latest one written for the public: why a ticket was resolved as it
  was, what a department did, why the work is paused (``PUBLIC_NOTE_ACTIONS``); never a
  callback to the reporter (``feedback``, ``contact``) or a meeting's minutes. Since a
  reopen, only the new round's notes count.

Numbers typed into published text (ID and mobile numbers) are masked as everywhere.
"""
from sqlalchemy import or_, select

from common.pii import mask_numbers_in
from tickets.card_reports import OUTCOME_LABELS, STATUS_LABELS
from tickets.catalogue import DEPARTMENTS
from tickets.models import Ticket, TrailEntry
from tickets.workflow import OPEN_STATES, STATES

# The loop as the public reads it: open while the platform works on it; closed once it
# is resolved (the callback and the rating are between the platform and the reporter)
# or merged into an earlier report of the same problem.
PUBLIC_STATUS = {state: "open" if state in OPEN_STATES else "closed" for state in STATES}
PUBLIC_NOTE_ACTIONS = ("resolve", "verify", "report_back", "suspend")
PUBLISHED_WORDS_SOURCES = ("grid_patrol", "department_referral", "media")
WEB_ADDRESS = ("http://", "https://")  # a storage key is no address a stranger can open
_CHUNK = 500  # ids per IN (): within every database's limit on bound parameters


def states_of(statuses):
    """The loop's states behind public statuses (``open``, ``closed``)."""
    return sorted(state for state, public in PUBLIC_STATUS.items() if public in statuses)


def words_published(ticket):
    return ticket.source in PUBLISHED_WORDS_SOURCES and not ticket.anonymous and ticket.household_id is None


def published_tickets(session, catalogue, *, ids=None, categories=None, start=None, end=None, statuses=None,
                      root=None, limit=1000):
    """Views (``view``) of the tickets of published categories matching the filters,
    newest first, at most ``limit``: ``ids`` ticket ids or readable numbers, ``categories``
    codes, ``start``/``end`` moments bounding when they were reported (end excluded),
    ``statuses`` public ones, ``root`` a grid code their grid lies under."""
    published = sorted(c.code for c in catalogue if c.published)
    wanted = [code for code in categories if code in published] if categories else published
    query = select(Ticket).where(Ticket.category.in_(wanted)).order_by(Ticket.reported_at.desc(), Ticket.id)
    if ids:
        query = query.where(or_(Ticket.id.in_(ids), Ticket.number.in_(ids)))
    if start is not None:
        query = query.where(Ticket.reported_at >= start)
    if end is not None:
        query = query.where(Ticket.reported_at < end)
    if statuses:
        query = query.where(Ticket.status.in_(states_of(statuses)))
    if root:
        query = query.where(Ticket.grid_code.startswith(root))
    tickets = session.scalars(query.limit(limit)).all()
    notes = public_notes(session, [t.id for t in tickets])
    originals = _numbers(session, {t.duplicate_of for t in tickets if t.duplicate_of})
    return [view(t, notes.get(t.id), originals.get(t.duplicate_of)) for t in tickets]


def public_notes(session, ticket_ids):
    """{ticket_id: (action, note)}: each ticket's latest note written for the public in
    its current round (a reopen starts a round with none)."""
    latest = {}
    for start in range(0, len(ticket_ids), _CHUNK):
        rows = session.execute(
            select(TrailEntry.ticket_id, TrailEntry.action, TrailEntry.note)
            .where(TrailEntry.ticket_id.in_(ticket_ids[start:start + _CHUNK]),
                   TrailEntry.action.in_(PUBLIC_NOTE_ACTIONS + ("reopen",)))
            .order_by(TrailEntry.ticket_id, TrailEntry.seq))
        for ticket_id, action, note in rows:
            if action == "reopen":
                latest.pop(ticket_id, None)
            elif note and note.strip():
                latest[ticket_id] = (action, note.strip())
    return latest


def _numbers(session, ticket_ids):
    ticket_ids, found = sorted(ticket_ids), {}
    for start in range(0, len(ticket_ids), _CHUNK):
        found.update(session.execute(select(Ticket.id, Ticket.number)
                                     .where(Ticket.id.in_(ticket_ids[start:start + _CHUNK]))).all())
    return found


def _moment(value):
    return value and value.isoformat()


def view(ticket, note=None, merged_into=None):
    """One ticket as anyone may read it (no reporter, no personal data)."""
    words = words_published(ticket)
    media = next((a for a in ticket.attachments or () if a.lower().startswith(WEB_ADDRESS)), None)
    return {
        "id": ticket.id, "number": ticket.number, "category": ticket.category, "grade": ticket.grade,
        "status": PUBLIC_STATUS[ticket.status], "state": ticket.status, "outcome": ticket.outcome,
        # as a resident following a report reads them (the tracking page's labels)
        "state_label": STATUS_LABELS[ticket.status][0],
        "outcome_label": OUTCOME_LABELS[ticket.outcome][0] if ticket.outcome in OUTCOME_LABELS else None,
        "suspended": ticket.suspended,
        "description": mask_numbers_in(ticket.description) if words else None,
        "note": note and {"action": note[0], "text": mask_numbers_in(note[1])},
        "grid_code": ticket.grid_code, "level": ticket.level, "lead_department": ticket.lead_department,
        "lead_department_name": DEPARTMENTS.get(ticket.lead_department),  # people may know one the catalogue does not
        "merged_into": merged_into, "reported_at": _moment(ticket.reported_at),
        "updated_at": _moment(ticket.updated_at), "resolve_due": _moment(ticket.resolve_due),
        "resolved_at": _moment(ticket.resolved_at), "lon": ticket.lon, "lat": ticket.lat,
        "media_url": media if words else None,
    }
