"""Intake: a new ticket from a report, with its category checked, its source, its
deadlines, its responsible worker, a likely duplicate, its readable number and the
first entry of its trail."""
import math
import uuid

from sqlalchemy import bindparam, select

from common import textsig
from common.db import add_to_counter
from common.errors import InvalidInput
from common.pii import mask_phone
from common.shanghai import SHANGHAI
from tickets import clocks, staff, trail, workflow
from tickets.exceptions import UnknownCategory
from tickets.models import Ticket, TicketCounter


def category_of(settings, code, field="category"):
    """The catalogue's category ``code``, or 400 UNKNOWN_CATEGORY naming ``field``."""
    category = settings.catalogue.get(code)
    if category is None:
        raise UnknownCategory(f"Unknown category {code!r}; see GET /api/v1/tickets/categories.",
                              details={"field": field})
    return category


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


def report(session, data, *, now, settings, cipher, reporter=None, marks=None):
    """A new ticket from ``data`` (as NewTicketSchema loads it, with its grid found)
    by ``reporter`` (a workflow.Actor; None: an internal caller, no reporter).
    ``marks``: columns a channel sets on the new row (a card report's hashes and flag),
    set before the trail's first entry seals the row."""
    category = category_of(settings, data["category"])
    phone = data.get("reporter_phone")
    ticket = Ticket(
        id=str(uuid.uuid4()), grid_code=data["grid_code"], source=data["source"],
        description=data["description"], description_sig=textsig.signature(data["description"]),
        status="reported", category=category.code, grade=data["grade"],
        lon=data.get("lon"), lat=data.get("lat"), attachments=data.get("attachments") or [],
        anonymous=data.get("anonymous", False), reporter_account_id=reporter and reporter.account_id,
        reporter_person_id=workflow.staff_person(reporter), reported_category=category.code,
        reporter_name=None if data.get("anonymous") else data.get("reporter_name"),
        reporter_phone_enc=None if data.get("anonymous") else cipher.encrypt(phone),
        reporter_phone_masked=None if data.get("anonymous") else mask_phone(phone),
        reported_at=now, reopen_count=0, suspended=False, suspended_seconds=0, meeting_disposal=False,
    )
    for column, value in (marks or {}).items():
        setattr(ticket, column, value)
    clocks.set_deadlines(ticket, category, settings, now)
    staff.assign_responsible(session, ticket, now=now)
    ticket.likely_duplicate_of = likely_duplicate(session, category, lon=ticket.lon, lat=ticket.lat, now=now,
                                                  window=settings.duplicate_window)
    # The day's counter row is locked from here to commit: take the number last, so
    # concurrent intakes wait for each other as briefly as possible.
    ticket.number = next_number(session, now)
    first = trail.start_trail(session, ticket, change=workflow.Change("report", None, "reported", None, None, None, {
        "category": category.code, "grade": ticket.grade, "source": ticket.source,
        "likely_duplicate_of": ticket.likely_duplicate_of,
        "responsible_person_id": ticket.responsible_person_id}), actor=reporter or workflow.SYSTEM, now=now)
    session.add_all([ticket, first])  # one flush inserts both, the ticket first
    return ticket


# --- a likely duplicate ------------------------------------------------------------

# Built once: intake runs this for every located report.
_NEARBY_OPEN = select(Ticket.id, Ticket.lon, Ticket.lat).where(
    Ticket.category == bindparam("category"), Ticket.status.in_(workflow.OPEN_STATES),
    Ticket.reported_at >= bindparam("since"), Ticket.duplicate_of.is_(None),
    Ticket.lat.between(bindparam("lat_min"), bindparam("lat_max")),
    Ticket.lon.between(bindparam("lon_min"), bindparam("lon_max"))).order_by(Ticket.reported_at)


def _metres(lon1, lat1, lon2, lat2):
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6371000.0 * math.hypot(x, y)


def likely_duplicate(session, category, *, lon, lat, now, window):
    """The id of the oldest open ticket of the same category within the category's
    radius, reported within the window."""
    if lon is None or category.duplicate_radius_m <= 0:
        return None
    degrees = category.duplicate_radius_m / 111_000.0
    candidates = session.execute(_NEARBY_OPEN, {
        "category": category.code, "since": now - window, "lat_min": lat - degrees, "lat_max": lat + degrees,
        "lon_min": lon - 2 * degrees, "lon_max": lon + 2 * degrees}).all()
    return next((row.id for row in candidates
                 if _metres(lon, lat, row.lon, row.lat) <= category.duplicate_radius_m), None)


def next_number(session, now):
    """Readable number per Shanghai calendar day. The counter row is updated in
    the ticket's transaction, so concurrent intakes serialise on it and a
    rolled-back intake gives its number back."""
    day = now.astimezone(SHANGHAI).strftime("%Y%m%d")
    return f"{day}-{add_to_counter(session, TicketCounter.__table__, {'day': day}, 'last', 1):05d}"
