import datetime as dt

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from common.shanghai import shanghai_date
from common.validation import ATTACHMENT, GRID_CODE, ID, DayRange, Moment, Text, bounded
from tickets.catalogue import GRADES
from tickets.labels import LANGUAGES
from tickets.workflow import ALLOWED_FROM, LEVELS, OPEN_STATES, OUTCOMES, STATES

REVIEW_FLAGS = ("burst",)  # card_reports.BURST
# A report names one of REPORTED_SOURCES; qr_card is the public card's own (card_reports).
REPORTED_SOURCES = ("grid_patrol", "resident_report", "hotline_12345", "department_referral", "media")
SOURCES = REPORTED_SOURCES + ("qr_card",)


class LocationSchema(Schema):
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    crs = fields.String(load_default="wgs84", validate=validate.OneOf(["wgs84", "gcj02"]))


class NewTicketSchema(Schema):
    """A report as the client sends it. Who reports comes from the caller (the actor),
    never from the body: a body naming a reporter is refused, not trusted."""
    class Meta:
        unknown = RAISE

    category = fields.String(required=True, validate=validate.Length(min=1, max=10))
    grade = fields.String(load_default="daily", validate=validate.OneOf(GRADES))
    source = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(REPORTED_SOURCES))  # intake.source_for
    description = Text(required=True, validate=validate.Length(min=2, max=2000))
    location = fields.Nested(LocationSchema, load_default=None, allow_none=True)
    grid_code = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    attachments = fields.List(fields.String(validate=[validate.Length(min=1, max=500), ATTACHMENT]),
                              load_default=list, validate=validate.Length(max=20))
    anonymous = fields.Boolean(load_default=False)
    reporter_name = Text(load_default=None, allow_none=True, validate=validate.Length(max=50))
    reporter_phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))

    @validates_schema(skip_on_field_errors=False)
    def _where(self, data, **_):
        if not data.get("location") and not data.get("grid_code"):
            raise ValidationError("give the location (lon, lat, crs) or the grid_code", "location")


class CardReportSchema(Schema):
    """A report through a grid's public card, with nobody signed in: the grid is the
    card's; a contact (name, phone) is optional, and without one the report is anonymous
    and is followed by its tracking code only."""
    class Meta:
        unknown = RAISE

    category = fields.String(load_default="OT99", validate=validate.Length(min=1, max=10))  # 其他事项
    description = Text(required=True, validate=validate.Length(min=4, max=1000))
    location = fields.Nested(LocationSchema, load_default=None, allow_none=True)
    name = Text(load_default=None, allow_none=True, validate=validate.Length(max=50))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))


class TrackingSchema(Schema):
    class Meta:
        unknown = RAISE

    tracking_code = fields.String(required=True, validate=validate.Length(min=1, max=40))


class SnapshotPageSchema(Schema):
    """A page of ticket snapshots (``ticket_snapshots``): after the ticket id ``after``."""
    class Meta:
        unknown = RAISE

    after = fields.String(load_default=None, allow_none=True, validate=ID)
    limit = fields.Integer(load_default=1000, strict=True, validate=bounded(1, 5000))


class TicketFilterSchema(DayRange):
    """Which tickets a list shows. ``status`` takes states and ``open`` (reported,
    accepted, handling); ``start``/``end``: reported on those Shanghai days, both
    included; ``before`` is the ``next`` cursor of the previous page; ``responsible``:
    a person id, or ``me`` for the caller's own. Which tickets the caller reaches is
    not a filter it sets: tickets applies its reach (queries.within_reach)."""
    class Meta:
        unknown = RAISE

    root = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    limit = fields.Integer(load_default=50, validate=bounded(1, 500))
    responsible = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=36))
    status = fields.List(fields.String(validate=validate.OneOf(STATES + ("open",))), load_default=None,
                         allow_none=True)
    category = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=10))
    grade = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(GRADES))
    source = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SOURCES))
    level = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LEVELS))
    review_flag = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(REVIEW_FLAGS))
    overdue = fields.Boolean(load_default=False)  # open, unsuspended, past a running deadline now
    before = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @post_load
    def _expand_open(self, data, **_):
        if data.get("status"):
            wanted = set(data["status"])
            data["status"] = sorted((wanted - {"open"}) | (set(OPEN_STATES) if "open" in wanted else set()))
        return data


class PublishedQuerySchema(Schema):
    """Which published tickets to read (``published.published_tickets``): ids or readable
    numbers, category codes, reported from ``start`` (included) to ``end`` (excluded),
    public statuses, under a grid; at most ``limit`` (1-1,000), newest first."""
    class Meta:
        unknown = RAISE

    ids = fields.List(fields.String(validate=ID), load_default=None, allow_none=True,
                      validate=validate.Length(max=200))
    categories = fields.List(fields.String(validate=validate.Length(min=1, max=10)), load_default=None,
                             allow_none=True, validate=validate.Length(max=200))
    start = Moment(load_default=None, allow_none=True)
    end = Moment(load_default=None, allow_none=True)
    statuses = fields.List(fields.String(validate=validate.OneOf(("open", "closed"))), load_default=None,
                           allow_none=True)
    root = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    limit = fields.Integer(load_default=1000, strict=True, validate=bounded(1, 1000))


SATISFACTION = "must be a whole number from 1 (very unsatisfied) to 5 (very satisfied)"


class ActionSchema(Schema):
    class Meta:
        unknown = RAISE

    action = fields.String(required=True, validate=validate.OneOf(sorted(ALLOWED_FROM)))
    version = fields.Integer(required=True, strict=True, validate=bounded(1))
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    outcome = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(OUTCOMES))
    satisfaction = fields.Integer(load_default=None, allow_none=True, strict=True, validate=bounded(1, 5),
                                  error_messages={"invalid": SATISFACTION})
    departments = fields.List(fields.String(validate=validate.Length(min=2, max=40)), load_default=None,
                              validate=validate.Length(max=20))
    lead_department = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=2, max=40))
    category = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=10))
    grade = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(GRADES))
    into = fields.String(load_default=None, allow_none=True, validate=ID)


class DispatchSchema(Schema):
    whistle_round = fields.Integer()  # 0, then 1 for a whistle after the first reopen, ...
    department = fields.String()
    lead = fields.Boolean()
    dispatched_at = fields.AwareDateTime()
    sign_due = fields.AwareDateTime()
    contact_due = fields.AwareDateTime()
    attend_due = fields.AwareDateTime()
    signed_at = fields.AwareDateTime(allow_none=True)
    contacted_at = fields.AwareDateTime(allow_none=True)
    reported_at = fields.AwareDateTime(allow_none=True)
    report = fields.String(allow_none=True)


class TicketSchema(Schema):
    id = fields.String()
    number = fields.String()
    category = fields.String()
    grade = fields.String()
    source = fields.String()
    description = fields.String()
    grid_code = fields.String()
    household_id = fields.String(allow_none=True)  # the household it is for: a resident's own, or one carried up
    lon = fields.Float(allow_none=True)
    lat = fields.Float(allow_none=True)
    attachments = fields.List(fields.String())
    status = fields.String()
    level = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    satisfaction = fields.Integer(allow_none=True)
    suspended = fields.Boolean()
    meeting_disposal = fields.Boolean()
    lead_department = fields.String(allow_none=True)
    whistle_level = fields.String(allow_none=True)
    duplicate_of = fields.String(allow_none=True)
    likely_duplicate_of = fields.String(allow_none=True)
    review_flag = fields.String(allow_none=True)  # "burst": came in a burst through the grid's card
    anonymous = fields.Boolean()
    reporter_account_id = fields.String(allow_none=True)
    reporter_name = fields.String(allow_none=True)
    reporter_phone = fields.String(attribute="reporter_phone_masked", allow_none=True)
    reopen_count = fields.Integer()
    version = fields.Integer()
    reported_at = fields.AwareDateTime()
    accepted_at = fields.AwareDateTime(allow_none=True)
    handling_at = fields.AwareDateTime(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
    resolved_level = fields.String(allow_none=True)
    feedback_at = fields.AwareDateTime(allow_none=True)
    rated_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    reopened_at = fields.AwareDateTime(allow_none=True)
    accept_due = fields.AwareDateTime(allow_none=True)
    respond_due = fields.AwareDateTime(allow_none=True)
    resolve_due = fields.AwareDateTime(allow_none=True)
    responsible = fields.Method("_responsible")

    @staticmethod
    def _responsible(ticket):
        """The grid worker answering for the ticket, or None when its grid has nobody."""
        if not ticket.responsible_person_id:
            return None
        return {"person_id": ticket.responsible_person_id, "role": ticket.responsible_role,
                "grid_code": ticket.responsible_grid_code}


class PeriodSchema(DayRange):
    """Days in Asia/Shanghai, both included; default: the last 30 days."""

    @post_load
    def _defaults(self, data, **_):
        today = shanghai_date()
        data["end"] = data["end"] or today
        data["start"] = data["start"] or data["end"] - dt.timedelta(days=29)
        if data["start"] > data["end"]:  # a start after today, when no end was given
            raise ValidationError("must not be after end", "start")
        return data


class TicketIdsSchema(Schema):
    ids = fields.List(fields.String(validate=validate.Length(min=1, max=36)), required=True,
                      validate=validate.Length(max=1000))


class ReportPeriodSchema(PeriodSchema):
    """The days of a report and the language of its headers and words."""
    lang = fields.String(load_default="zh", validate=validate.OneOf(LANGUAGES))


class ExportPageSchema(Schema):
    """A page of a ticket export: after the cursor ``before`` (the previous page's
    ``next``), ``limit`` rows."""
    class Meta:
        unknown = RAISE

    lang = fields.String(load_default="zh", validate=validate.OneOf(LANGUAGES))
    before = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    limit = fields.Integer(load_default=2000, strict=True, validate=bounded(1, 5000))


# --- party-member households (党员中心户) ------------------------------------------------

class CarriedProblemSchema(Schema):
    """A problem a party member carries up for one of their households (三带去). Where it
    lies (the household's grid) and who reports it (the member) come from the household
    and the caller, never from the body."""
    class Meta:
        unknown = RAISE

    category = fields.String(required=True, validate=validate.Length(min=1, max=10))
    grade = fields.String(load_default="daily", validate=validate.OneOf(GRADES))
    description = Text(required=True, validate=validate.Length(min=2, max=2000))
    attachments = fields.List(fields.String(validate=[validate.Length(min=1, max=500), ATTACHMENT]),
                              load_default=list, validate=validate.Length(max=20))


class HouseholdTicketFilterSchema(Schema):
    """Which of a member's households' tickets a list shows: ``status`` states,
    comma-separated, or ``open``; ``household_id`` one of the member's households;
    ``before`` the ``next`` cursor of the previous page."""
    class Meta:
        unknown = RAISE

    status = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    household_id = fields.String(load_default=None, validate=ID)
    limit = fields.Integer(load_default=50, validate=bounded(1, 500))
    before = fields.String(load_default=None, validate=validate.Length(min=1, max=200))

    @post_load
    def _states(self, data, **_):
        if data.get("status"):
            wanted = {state.strip() for state in data["status"].split(",") if state.strip()}
            unknown = sorted(wanted - set(STATES) - {"open"})
            if unknown or not wanted:
                raise ValidationError(f"states, comma-separated, of {', '.join(STATES)} or open; not "
                                      f"{', '.join(unknown) or 'none'}", "status")
            data["status"] = sorted((wanted - {"open"}) | (set(OPEN_STATES) if "open" in wanted else set()))
        return data
