"""Facts: scoring's rows of the owners' records, built from a payload, free of nameko.

The same function turns an event's payload and a paged RPC's item into a row (the
owners build both with one function too), so a rebuild gives the live feed's facts.
A ticket's row is its latest snapshot: one that arrives late, with a version older than
the stored one, changes nothing. Days are Shanghai days (periods are counted by them).

These run for every consumed event, so they parse by hand rather than through
marshmallow; a payload missing what a row needs is refused with InvalidInput naming the
field (the consumer counts it as rejected)."""
import datetime as dt

from sqlalchemy import delete, func, select

from common import textsig
from common.bulk import insert_rows, upsert_suffix
from common.errors import InvalidInput
from common.shanghai import shanghai_date
from common.validation import INT32_MAX
from scoring.models import (HouseholdFact, PartyServiceFact, PatrolFact, PostFact, SentimentFact,
                            ServiceDayAttendanceFact, ServiceDayFact, TicketFact, VisitFact, WishFact)

TICKET_TEXT = ("number", "grid_code", "source", "category", "grade", "status")
TICKET_OPTIONAL_TEXT = ("level", "outcome", "duplicate_of", "resolved_level", "reporter_person_id",
                        "responsible_person_id", "responsible_grid_code", "resolved_by_person_id")
TICKET_MOMENTS = ("accepted_at", "resolved_at", "feedback_at", "rated_at", "closed_at", "resolve_due")


def _refuse(what, field, problem="missing or malformed"):
    raise InvalidInput(f"A {what} payload's {field} is {problem}.", code="INVALID_PAYLOAD",
                       details={"fields": {field: [problem]}})


def _lengths(model):
    return {column.name: column.type.length for column in model.__table__.columns
            if getattr(column.type, "length", None)}


# A text longer than its column is refused here (rejected), not left to fail the insert
# (which would requeue the event for ever).
_TICKET, _PATROL, _VISIT, _POST, _HOUSEHOLD, _SENTIMENT = (_lengths(model) for model in (
    TicketFact, PatrolFact, VisitFact, PostFact, HouseholdFact, SentimentFact))
_SERVICE, _WISH, _SERVICE_DAY, _ATTENDANCE = (_lengths(model) for model in (
    PartyServiceFact, WishFact, ServiceDayFact, ServiceDayAttendanceFact))
SENTIMENT_TEXT = ("id", "person_id", "grid_code", "category", "source", "status")


def _text(payload, field, what, limits, optional=False, column=None):
    """``column``: the row's name for the payload's ``field``, when they differ."""
    value = payload.get(field)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > limits[column or field]:
        _refuse(what, field)
    return value


def _moment(payload, field, what, optional=False):
    value = payload.get(field)
    if value is None and optional:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        _refuse(what, field)
    if moment.tzinfo is None:
        _refuse(what, field, "without an offset")
    return moment.astimezone(dt.timezone.utc)


def _day(value, field, what, optional=False):
    if value is None and optional:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        _refuse(what, field)


def _int(payload, field, what, optional=False):
    value = payload.get(field)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= INT32_MAX:
        _refuse(what, field)
    return value


def _signature(payload, field, what):
    """A text signature (common.textsig), or None: a text too short to sign, or a
    payload from before its owner signed texts."""
    value = payload.get(field)
    if value is None:
        return None
    if not textsig.is_signature(value):
        _refuse(what, field)
    return value


def _number(payload, field, what, low, high, optional=False):
    value = payload.get(field)
    if value is None and optional:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
        _refuse(what, field)
    return float(value)


def _coordinate(payload, field, what, bound):
    """A WGS-84 degree within ``bound`` either side of 0, or None (from before points)."""
    return _number(payload, field, what, -bound, bound, optional=True)


def ticket_row(payload):
    """A ticket's snapshot (tickets.snapshots.snapshot) as its fact row."""
    what = "ticket"
    row = {"ticket_id": _text(payload, "ticket_id", what, _TICKET), "version": _int(payload, "version", what)}
    row.update({field: _text(payload, field, what, _TICKET) for field in TICKET_TEXT})
    row["reported_category"] = _text(payload, "reported_category", what, _TICKET, optional=True) or row["category"]
    row.update({field: _text(payload, field, what, _TICKET, optional=True) for field in TICKET_OPTIONAL_TEXT})
    row["description_sig"] = _signature(payload, "description_sig", what)
    row["satisfaction"] = _int(payload, "satisfaction", what, optional=True)
    row["reopen_count"] = _int(payload, "reopen_count", what, optional=True) or 0
    row["reported_at"] = _moment(payload, "reported_at", what)
    row.update({field: _moment(payload, field, what, optional=True) for field in TICKET_MOMENTS})
    on_time = payload.get("on_time")
    row["on_time"] = on_time if isinstance(on_time, bool) else None
    row["reported_day"] = shanghai_date(row["reported_at"])
    row["resolved_day"] = row["resolved_at"] and shanghai_date(row["resolved_at"])
    row["rated_day"] = row["rated_at"] and shanghai_date(row["rated_at"])
    return row


def patrol_row(payload):
    what = "patrol"
    codes = payload.get("grid_codes") or []
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        _refuse(what, "grid_codes")
    occurred = _moment(payload, "occurred_at", what)
    return {"id": _text(payload, "id", what, _PATROL), "person_id": _text(payload, "person_id", what, _PATROL),
            "grid_codes": codes,
            "located_grid_code": _text(payload, "located_grid_code", what, _PATROL, optional=True),
            "inside": bool(payload.get("inside")), "lon": _coordinate(payload, "lon", what, 180),
            "lat": _coordinate(payload, "lat", what, 90), "occurred_at": occurred,
            "received_at": _moment(payload, "received_at", what, optional=True), "day": shanghai_date(occurred)}


def visit_row(payload):
    what = "visit"
    occurred = _moment(payload, "occurred_at", what)
    return {"id": _text(payload, "id", what, _VISIT), "person_id": _text(payload, "person_id", what, _VISIT),
            "household_id": _text(payload, "household_id", what, _VISIT),
            "grid_code": _text(payload, "grid_code", what, _VISIT, optional=True),
            "notes_sig": _signature(payload, "notes_sig", what), "occurred_at": occurred,
            "received_at": _moment(payload, "received_at", what, optional=True), "day": shanghai_date(occurred)}


def post_row(payload):
    what = "post"
    return {"id": _text(payload, "id", what, _POST), "person_id": _text(payload, "person_id", what, _POST),
            "grid_code": _text(payload, "grid_code", what, _POST), "role": _text(payload, "role", what, _POST),
            "start_date": _day(payload.get("start_date"), "start_date", what),
            "end_date": _day(payload.get("end_date"), "end_date", what, optional=True),
            "version": _int(payload, "version", what, optional=True) or 0}


def household_row(payload):
    """A household as registered, moved (``to_grid_code``) or paged. ``residents`` None:
    an event from before households counted them (not known, which is not none)."""
    what = "household"
    grid_code = payload.get("grid_code") or payload.get("to_grid_code")  # registered, or moved
    if not isinstance(grid_code, str) or not grid_code or len(grid_code) > _HOUSEHOLD["grid_code"]:
        _refuse(what, "grid_code")
    return {"household_id": _text(payload, "household_id", what, _HOUSEHOLD), "grid_code": grid_code,
            "residents": _int(payload, "residents", what, optional=True),
            "version": _int(payload, "version", what, optional=True) or 0}


def sentiment_row(payload):
    """A sentiment record's snapshot (people.sentiments.payload): recorded, or after a
    follow-up (a new version)."""
    what = "sentiment"
    row = {field: _text(payload, field, what, _SENTIMENT) for field in SENTIMENT_TEXT}
    occurred = _moment(payload, "occurred_at", what)
    row.update(version=_int(payload, "version", what),
               household_id=_text(payload, "household_id", what, _SENTIMENT, optional=True),
               ticket_id=_text(payload, "ticket_id", what, _SENTIMENT, optional=True),
               follow_up_count=_int(payload, "follow_up_count", what, optional=True) or 0,
               followed_up_at=_moment(payload, "followed_up_at", what, optional=True),
               closed_at=_moment(payload, "closed_at", what, optional=True),
               content_sig=_signature(payload, "content_sig", what), occurred_at=occurred,
               received_at=_moment(payload, "received_at", what, optional=True), day=shanghai_date(occurred))
    return row


def party_service_row(payload):
    """An entry of a registered member's service (people.party.entry_payload)."""
    what = "party service"
    return {"id": _text(payload, "id", what, _SERVICE),
            "registration_id": _text(payload, "registration_id", what, _SERVICE),
            "person_id": _text(payload, "person_id", what, _SERVICE),
            "grid_code": _text(payload, "grid_code", what, _SERVICE),
            "hours": _number(payload, "hours", what, 0, 24), "households": _int(payload, "households", what),
            "day": _day(payload.get("day"), "day", what)}


def wish_row(payload):
    """A confirmed wish (people.wishes.payload), credited to its claimant, in the period of
    its confirmation (when the resident said it was done)."""
    what = "wish"
    confirmed = _moment(payload, "confirmed_at", what)
    return {"wish_id": _text(payload, "wish_id", what, _WISH), "version": _int(payload, "version", what),
            "person_id": _text(payload, "claimant_person_id", what, _WISH, column="person_id"),
            "grid_code": _text(payload, "grid_code", what, _WISH), "category": _text(payload, "category", what, _WISH),
            "points": _int(payload, "points", what, optional=True), "confirmed_at": confirmed,
            "day": shanghai_date(confirmed)}


def service_day_row(payload):
    """A service day as held (people.party.service_day_payload)."""
    what = "service day"
    row = {field: _text(payload, field, what, _SERVICE_DAY) for field in ("id", "grid_code", "month")}
    row["day"] = _day(payload.get("day"), "day", what)
    return row


def attendance_row(payload):
    """A member's sign-in (people.party.sign_in_payload), in the period of its service
    day, whenever they signed in."""
    what = "service day sign-in"
    return {"id": _text(payload, "sign_in_id", what, _ATTENDANCE, column="id"),
            "service_day_id": _text(payload, "service_day_id", what, _ATTENDANCE),
            "person_id": _text(payload, "person_id", what, _ATTENDANCE),
            "grid_code": _text(payload, "grid_code", what, _ATTENDANCE),
            "day": _day(payload.get("day"), "day", what), "signed_at": _moment(payload, "signed_at", what)}


def registered_household_row(payload):
    """The household a ``resident_registered`` carries (its new version, counting the
    resident) as its row; None for a resident registered without a household, or an
    event from before the household was carried."""
    household = payload.get("household")
    if household is None:
        return None
    if not isinstance(household, dict):
        _refuse("resident", "household")
    return household_row(household)


# --- storing rows -----------------------------------------------------------------------
# One multi-row statement per table and batch (common.bulk): a consumer that fell behind
# and a rebuild write hundreds or thousands of rows at a time. Every write stamps
# ``written_at`` with the database's time of the transaction.

WRITTEN_NOW = {"written_at": "CURRENT_TIMESTAMP"}


def _upsert(session, model, rows, key, newer_only=False):
    """Insert ``rows`` or replace the stored ones with the same key; with
    ``newer_only``, a stored row of a later version is kept."""
    if not rows:
        return
    table = model.__table__
    insert_rows(session, table, rows, upsert_suffix(table, key, list(rows[0]) + ["written_at"], newer_only),
                WRITTEN_NOW)


def _newest_by(rows, key):
    """Several snapshots of one record in one batch: its newest (one row per key in one
    statement, or PostgreSQL refuses the upsert)."""
    newest = {}
    for row in rows:
        if row[key] not in newest or newest[row[key]]["version"] < row["version"]:
            newest[row[key]] = row
    return list(newest.values())


def store_tickets(session, rows):
    _upsert(session, TicketFact, _newest_by(rows, "ticket_id"), "ticket_id", newer_only=True)


def store_patrols(session, rows):
    _upsert(session, PatrolFact, _last_by(rows, "id"), "id")


def store_visits(session, rows):
    _upsert(session, VisitFact, _last_by(rows, "id"), "id")


def store_posts(session, rows):
    """A post's end can change more than once, on queues of their own: the highest version stays."""
    _upsert(session, PostFact, _newest_by(rows, "id"), "id", newer_only=True)


def store_households(session, rows):
    _upsert(session, HouseholdFact, _newest_by(rows, "household_id"), "household_id", newer_only=True)


def store_sentiments(session, rows):
    """A record's follow-ups each announce a new version: the highest stays."""
    _upsert(session, SentimentFact, _newest_by(rows, "id"), "id", newer_only=True)


def store_party_service(session, rows):
    _upsert(session, PartyServiceFact, _last_by(rows, "id"), "id")


def store_wishes(session, rows):
    """A wish is confirmed once; its version still decides, should it change after."""
    _upsert(session, WishFact, _newest_by(rows, "wish_id"), "wish_id", newer_only=True)


def store_service_days(session, rows):
    _upsert(session, ServiceDayFact, _last_by(rows, "id"), "id")


def store_attendance(session, rows):
    _upsert(session, ServiceDayAttendanceFact, _last_by(rows, "id"), "id")


def _last_by(rows, key):
    return list({row[key]: row for row in rows}.values())


FACT_TABLES = (TicketFact, PatrolFact, VisitFact, PostFact, HouseholdFact, SentimentFact, PartyServiceFact, WishFact,
               ServiceDayFact, ServiceDayAttendanceFact)


def clear_facts(session):
    """Empty every fact table (a rebuild's first step)."""
    for model in FACT_TABLES:
        session.execute(delete(model))


def count_facts(session):
    return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) for model in FACT_TABLES}
