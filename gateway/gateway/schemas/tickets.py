"""The closed loop as the API shows it: reports, tickets, actions, the trail,
statistics. Vocabularies are the tickets service's; tests/unit/test_api_schemas.py
keeps these equal."""
from marshmallow import fields, validate, validates_schema, ValidationError

from common.shanghai import shanghai_date
from common.validation import ATTACHMENT, DAY_IN_RANGE, GRID_CODE, PHONE_TEXT, Text, bounded
from gateway.schemas.base import Counts, ID, Loose, Strict

GRADES = ("daily", "urgent", "major")
REPORTED_SOURCES = ("grid_patrol", "resident_report", "hotline_12345", "department_referral", "media")
SOURCES = REPORTED_SOURCES + ("qr_card",)   # qr_card: through a grid's public card only
REVIEW_FLAGS = ("burst",)
LEVELS = ("grid", "community", "town", "department")
WHISTLE_LEVELS = ("community", "town")
STATES = ("reported", "accepted", "handling", "resolved", "feedback_given", "rated", "closed", "merged")
OUTCOMES = ("fixed", "not_our_responsibility", "cannot_fix", "duplicate", "withdrawn")
ACTIONS = ("accept", "close", "contact", "escalate", "feedback", "handle", "meeting", "merge", "rate",
           "recategorise", "reopen", "report_back", "resolve", "resume", "sign", "suspend", "verify", "whistle",
           "withdraw")
MOMENT = {"format": "date-time"}


# --- bodies -------------------------------------------------------------------------------

class Location(Strict):
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    crs = fields.String(load_default="wgs84", validate=validate.OneOf(["wgs84", "gcj02"]))


class NewTicket(Strict):
    category = fields.String(required=True, validate=validate.Length(min=1, max=10),
                             metadata={"description": "a code of GET /tickets/categories", "example": "UM02"})
    grade = fields.String(load_default="daily", validate=validate.OneOf(GRADES))
    source = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(REPORTED_SOURCES),
                           metadata={"description": "follows the reporter: a resident's report is always "
                                                    "resident_report, a department's department_referral"})
    description = Text(required=True, validate=validate.Length(min=2, max=2000))
    location = fields.Nested(Location, load_default=None, allow_none=True)
    grid_code = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    attachments = fields.List(fields.String(validate=[validate.Length(min=1, max=500), ATTACHMENT]),
                              load_default=list, validate=validate.Length(max=20))
    anonymous = fields.Boolean(load_default=False)
    reporter_name = Text(load_default=None, allow_none=True, validate=validate.Length(max=50))
    reporter_phone = fields.String(load_default=None, allow_none=True, validate=PHONE_TEXT)

    @validates_schema(skip_on_field_errors=False)
    def _where(self, data, **_):
        if not data.get("location") and not data.get("grid_code"):
            raise ValidationError("give the location (lon, lat, crs) or the grid_code", "location")


class Action(Strict):
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    version = fields.Integer(required=True, validate=bounded(1),
                             metadata={"description": "the ticket's version as you loaded it"})
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    outcome = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(OUTCOMES))
    satisfaction = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=5))
    departments = fields.List(fields.String(validate=validate.Length(min=2, max=40)), load_default=None,
                              validate=validate.Length(max=20))
    lead_department = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=2, max=40))
    category = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=10))
    grade = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(GRADES))
    into = fields.String(load_default=None, allow_none=True, validate=ID)


# --- queries ---------------------------------------------------------------------------------

class Period(Strict):
    start = fields.Date(load_default=None, data_key="from", validate=DAY_IN_RANGE,
                        metadata={"description": "first day (Asia/Shanghai)"})
    end = fields.Date(load_default=None, data_key="to", validate=DAY_IN_RANGE,
                      metadata={"description": "last day, included (Asia/Shanghai)"})

    @validates_schema
    def _in_order(self, data, **_):
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("must not be after to", "from")


class TicketListQuery(Period):
    root = fields.String(load_default=None, validate=GRID_CODE)
    status = fields.String(load_default=None, validate=validate.Length(min=1, max=200),
                           metadata={"description": "states, comma-separated, or open"})
    category = fields.String(load_default=None, validate=validate.Length(min=1, max=10))
    grade = fields.String(load_default=None, validate=validate.OneOf(GRADES))
    source = fields.String(load_default=None, validate=validate.OneOf(SOURCES))
    level = fields.String(load_default=None, validate=validate.OneOf(LEVELS))
    review_flag = fields.String(load_default=None, validate=validate.OneOf(REVIEW_FLAGS),
                                metadata={"description": "burst: card reports that came in a burst, to review"})
    overdue = fields.Boolean(load_default=False)
    responsible = fields.String(load_default=None, validate=validate.Length(min=1, max=36),
                                metadata={"description": "a person id, or me"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    before = fields.String(load_default=None, validate=validate.Length(min=1, max=200),
                           metadata={"description": "the previous page's next"})


class StatisticsQuery(Period):
    root = fields.String(load_default=None, validate=GRID_CODE)

    @validates_schema
    def _not_after_today(self, data, **_):
        if data.get("start") and not data.get("end") and data["start"] > shanghai_date():
            raise ValidationError("must not be after today when to is not given", "from")


FILE_FORMATS, LANGUAGES = ("xlsx", "csv"), ("zh", "en")


class FileQuery(Strict):
    """How a report is written: the file's format and its headers' language."""
    format = fields.String(load_default="xlsx", validate=validate.OneOf(FILE_FORMATS),
                           metadata={"description": "xlsx (default) or csv (UTF-8 with a byte-order mark)"})
    lang = fields.String(load_default="zh", validate=validate.OneOf(LANGUAGES),
                         metadata={"description": "headers and words in Simplified Chinese (default) or English"})


class StatisticsExportQuery(StatisticsQuery, FileQuery):
    pass


class TicketExportQuery(TicketListQuery, FileQuery):
    """The list's filters; the whole list, not a page of it."""
    class Meta:
        exclude = ("limit", "before")


class RevealQuery(Strict):
    reveal = fields.Boolean(load_default=False, metadata={
        "description": "the reporter's phone in clear (the reporter, PII_CLEAR_ROLES, the ticket's handlers; logged)"})


# --- answers ----------------------------------------------------------------------------------

class Responsible(Loose):
    person_id = fields.String(required=True)
    role = fields.String(allow_none=True)
    grid_code = fields.String(allow_none=True)


class Dispatch(Loose):
    whistle_round = fields.Integer(required=True)
    department = fields.String(required=True)
    lead = fields.Boolean(required=True)
    dispatched_at = fields.String(required=True, metadata=MOMENT)
    sign_due = fields.String(required=True, metadata=MOMENT)
    contact_due = fields.String(required=True, metadata=MOMENT)
    attend_due = fields.String(required=True, metadata=MOMENT)
    signed_at = fields.String(allow_none=True, metadata=MOMENT)
    contacted_at = fields.String(allow_none=True, metadata=MOMENT)
    reported_at = fields.String(allow_none=True, metadata=MOMENT)
    report = fields.String(allow_none=True)


class Original(Loose):
    id = fields.String(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True)
    level = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    resolved_at = fields.String(allow_none=True, metadata=MOMENT)
    feedback_at = fields.String(allow_none=True, metadata=MOMENT)
    closed_at = fields.String(allow_none=True, metadata=MOMENT)


class Ticket(Loose):
    id = fields.String(required=True)
    number = fields.String(required=True, metadata={"example": "20261123-00001"})
    category = fields.String(required=True)
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    description = fields.String(required=True)
    grid_code = fields.String(required=True)
    household_id = fields.String(allow_none=True, metadata={
        "description": "the household it is for: a resident's own, or one a party member carried up"})
    lon = fields.Float(allow_none=True)
    lat = fields.Float(allow_none=True)
    attachments = fields.List(fields.String(), required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATES))
    level = fields.String(allow_none=True, validate=validate.OneOf(LEVELS))
    outcome = fields.String(allow_none=True, validate=validate.OneOf(OUTCOMES))
    satisfaction = fields.Integer(allow_none=True)
    suspended = fields.Boolean(required=True)
    meeting_disposal = fields.Boolean(required=True)
    lead_department = fields.String(allow_none=True)
    whistle_level = fields.String(allow_none=True, validate=validate.OneOf(WHISTLE_LEVELS), metadata={
        "description": "the level that blew the latest whistle: its departments report back to it (吹哨、报到)"})
    duplicate_of = fields.String(allow_none=True)
    likely_duplicate_of = fields.String(allow_none=True)
    review_flag = fields.String(allow_none=True, validate=validate.OneOf(REVIEW_FLAGS), metadata={
        "description": "burst: came through the grid's card in a burst; look at it first"})
    anonymous = fields.Boolean(required=True)
    reporter_account_id = fields.String(allow_none=True)
    reporter_name = fields.String(allow_none=True)
    reporter_phone = fields.String(allow_none=True, metadata={"description": "masked unless revealed"})
    reopen_count = fields.Integer(required=True)
    version = fields.Integer(required=True)
    reported_at = fields.String(required=True, metadata=MOMENT)
    accepted_at = fields.String(allow_none=True, metadata=MOMENT)
    handling_at = fields.String(allow_none=True, metadata=MOMENT)
    resolved_at = fields.String(allow_none=True, metadata=MOMENT)
    resolved_level = fields.String(allow_none=True)
    feedback_at = fields.String(allow_none=True, metadata=MOMENT)
    rated_at = fields.String(allow_none=True, metadata=MOMENT)
    closed_at = fields.String(allow_none=True, metadata=MOMENT)
    reopened_at = fields.String(allow_none=True, metadata=MOMENT)
    accept_due = fields.String(allow_none=True, metadata=MOMENT)
    respond_due = fields.String(allow_none=True, metadata=MOMENT)
    resolve_due = fields.String(allow_none=True, metadata=MOMENT)
    responsible = fields.Nested(Responsible, allow_none=True)


class TicketInList(Ticket):
    pass


class TicketDetail(Ticket):
    dispatches = fields.List(fields.Nested(Dispatch), required=True)
    allowed_actions = fields.List(fields.String(validate=validate.OneOf(ACTIONS)), required=True,
                                  metadata={"description": "what the ticket's state and level admit"})
    your_actions = fields.List(fields.String(validate=validate.OneOf(ACTIONS)),
                               metadata={"description": "those of them the caller may take"})
    original = fields.Nested(Original, allow_none=True,
                             metadata={"description": "a merged duplicate: the ticket it was folded into"})


class TicketPage(Loose):
    items = fields.List(fields.Nested(TicketInList), required=True)
    next = fields.String(allow_none=True, required=True, metadata={"description": "pass as before; null on the last page"})


class Acted(Loose):
    ticket = fields.Nested(Ticket, required=True)
    action = fields.String(required=True)
    allowed_next = fields.List(fields.String(), required=True)


class TrailEntry(Loose):
    ticket_id = fields.String(required=True)
    seq = fields.Integer(required=True)
    action = fields.String(required=True)
    actor_account_id = fields.String(allow_none=True)
    actor_username = fields.String(allow_none=True)
    actor_role = fields.String(allow_none=True)
    at = fields.String(required=True, metadata=MOMENT)
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    from_level = fields.String(allow_none=True)
    to_level = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True)
    prev_hash = fields.String(metadata={"description": "left out where the reporter is hidden from the viewer"})
    hash = fields.String()



class Problem(Loose):
    seq = fields.Integer(allow_none=True)
    problem = fields.String(required=True)
    fields_ = fields.List(fields.String(), data_key="fields", metadata={"description": "the row's edited fields"})


class Witness(Loose):
    checked = fields.Boolean(required=True)
    witnessed = fields.Boolean()
    trail_seq = fields.Integer(allow_none=True)
    reason = fields.String()


class Verification(Loose):
    ticket_id = fields.String(required=True)
    number = fields.String(required=True)
    intact = fields.Boolean(required=True)
    problems = fields.List(fields.Nested(Problem), required=True)
    witness = fields.Nested(Witness, required=True)


class Category(Loose):
    code = fields.String(required=True)
    name = fields.String(required=True)
    department = fields.String(required=True)
    department_name = fields.String(required=True)
    grid_admission = fields.Boolean(required=True)
    duplicate_radius_m = fields.Float(required=True)
    published = fields.Boolean(required=True, metadata={
        "description": "an Open311 service: anyone reads its tickets' kind, place and progress (never the reporter)"})
    sla = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.String()),
                      required=True, metadata={"description": "per grade: accept, respond, resolve (4h, 3d, ...)"})



class Percentiles(Loose):
    median = fields.Float(allow_none=True)
    p90 = fields.Float(allow_none=True)


class Breaches(Loose):
    total = fields.Integer(required=True)
    tickets = fields.Integer(required=True)
    rate = fields.Float(allow_none=True)
    escalated = fields.Integer(required=True)
    by_clock = Counts(required=True)
    by_department = fields.Dict(keys=fields.String(), values=Counts(), required=True)


class Change(Loose):
    absolute = fields.Float(allow_none=True, metadata={"description": "this period minus the one compared (a rate's "
                                                                      "in rate points: 0.05 is five points)"})
    percent = fields.Float(allow_none=True, metadata={"description": "the change in percent of the figure compared; "
                                                                     "null when that is 0"})


class ComparedChanges(Loose):
    total = fields.Nested(Change, required=True)
    solved = fields.Nested(Change, required=True)
    withdrawn = fields.Nested(Change, required=True)
    resolution_rate = fields.Nested(Change, required=True)
    on_time_rate = fields.Nested(Change, required=True)
    satisfaction_rate = fields.Nested(Change, required=True)
    ratings = fields.Nested(Change, required=True)
    share_solved_below_department = fields.Nested(Change, required=True)


class Compared(Loose):
    start = fields.String(required=True, data_key="from", metadata={"format": "date"})
    end = fields.String(required=True, data_key="to", metadata={"format": "date"})
    total = fields.Integer(required=True)
    solved = fields.Integer(required=True)
    withdrawn = fields.Integer(required=True)
    resolution_rate = fields.Float(allow_none=True)
    on_time_rate = fields.Float(allow_none=True)
    satisfaction_rate = fields.Float(allow_none=True)
    ratings = fields.Integer(required=True)
    share_solved_below_department = fields.Float(allow_none=True)
    change = fields.Nested(ComparedChanges, required=True, metadata={"description": "from that period to this one"})


class Comparisons(Loose):
    previous_period = fields.Nested(Compared, required=True, metadata={
        "description": "环比: the period just before (the month before a whole month, else as many days before)"})
    same_period_last_year = fields.Nested(Compared, required=True, metadata={
        "description": "同比: the same days (or months) a year earlier"})


class BreakdownRow(Loose):
    code = fields.String(required=True)
    name = fields.String(allow_none=True)
    total = fields.Integer(required=True)
    solved = fields.Integer(required=True)
    withdrawn = fields.Integer(required=True)
    resolution_rate = fields.Float(allow_none=True)
    on_time_rate = fields.Float(allow_none=True)
    satisfaction_rate = fields.Float(allow_none=True)
    ratings = fields.Integer(required=True)
    share_solved_below_department = fields.Float(allow_none=True)
    open_overdue = fields.Integer(required=True)


class DepartmentRow(Loose):
    code = fields.String(required=True)
    name = fields.String(allow_none=True)
    summoned = fields.Integer(required=True, metadata={"description": "dispatches (吹哨), one per department a round"})
    lead = fields.Integer(required=True)
    signed = fields.Integer(required=True)
    signed_on_time = fields.Integer(required=True)
    reported_back = fields.Integer(required=True)
    reported_back_on_time = fields.Integer(required=True)
    on_time_rate = fields.Float(allow_none=True, metadata={"description": "reported back on time, of those summoned"})
    breaches = fields.Integer(required=True)


class Breakdowns(Loose):
    grids = fields.List(fields.Nested(BreakdownRow), required=True,
                        metadata={"description": "per grid directly under the root (a ticket on the root itself "
                                                 "under the root's code); empty for a grid with none under it"})
    categories = fields.List(fields.Nested(BreakdownRow), required=True)
    departments = fields.List(fields.Nested(DepartmentRow), required=True,
                              metadata={"description": "per department summoned for the period's tickets"})


class Statistics(Loose):
    root = fields.String(allow_none=True)
    start = fields.String(required=True, data_key="from", metadata={"format": "date"})
    end = fields.String(required=True, data_key="to", metadata={"format": "date"})
    timezone = fields.String(required=True)
    total = fields.Integer(required=True)
    solved = fields.Integer(required=True, metadata={"description": "resolved or later, not withdrawn"})
    by_status = Counts(required=True)
    by_category = Counts(required=True)
    by_grade = Counts(required=True)
    by_source = Counts(required=True)
    by_outcome = Counts(required=True)
    withdrawn = fields.Integer(required=True)
    resolution_rate = fields.Float(allow_none=True)
    on_time_rate = fields.Float(allow_none=True)
    open_overdue = fields.Integer(required=True)
    satisfaction_rate = fields.Float(allow_none=True)
    ratings = fields.Integer(required=True)
    resolved_at_level = Counts(required=True)
    share_solved_below_department = fields.Float(allow_none=True)
    hours_to_accept = fields.Nested(Percentiles, required=True)
    hours_to_resolve = fields.Nested(Percentiles, required=True)
    sla_breaches = fields.Nested(Breaches, required=True)
    comparisons = fields.Nested(Comparisons, required=True)
    breakdowns = fields.Nested(Breakdowns, required=True)


class TicketsReported(Loose):
    root = fields.String(allow_none=True)
    tickets_reported = fields.Integer(required=True)
    by_grid = Counts(required=True)
