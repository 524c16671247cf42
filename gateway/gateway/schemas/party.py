"""Party building (党建引领) as the API shows it: branches and their coverage, two-way
registration (双报到) with its report (双报告), the grids' service days (网格服务日), and
party-member households (党员中心户) with the problems carried up for them (三带去三带回)."""
from marshmallow import fields, validate

from common.validation import ATTACHMENT, CODE, DAY_IN_RANGE, GRID_CODE, ID, Number, Text, bounded
from gateway.schemas.base import Loose, Strict
from gateway.schemas.tickets import GRADES, LEVELS, OUTCOMES, SOURCES, STATES

# people.party's (tests/unit/test_api_schemas.py keeps them equal)
KINDS = {"branch": ("党支部", "party branch"), "group": ("党小组", "party group")}
MIN_HOURS, MAX_HOURS = 0.5, 12
MIN_HOUSEHOLDS, MAX_HOUSEHOLDS = 10, 15
MONTH = validate.Regexp(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$", error="must be a month: YYYY-MM, 2000-2099")
DATE_TIME = {"format": "date-time"}
DATE = {"format": "date"}
PAGE_AFTER = {"description": "the next of the page before"}


class BranchPath(Strict):
    branch_id = fields.String(required=True, validate=ID)


class BranchMemberPath(Strict):
    branch_id = fields.String(required=True, validate=ID)
    person_id = fields.String(required=True, validate=ID)


class RegistrationPath(Strict):
    registration_id = fields.String(required=True, validate=ID)


class ServiceDayPath(Strict):
    service_day_id = fields.String(required=True, validate=ID)


class NewBranch(Strict):
    kind = fields.String(load_default="branch", validate=validate.OneOf(KINDS),
                         metadata={"description": "branch: 党支部; group: 党小组"})
    name = Text(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "金湖社区第一网格党支部"})
    grid_code = fields.String(required=True, validate=GRID_CODE,
                              metadata={"description": "an active grid or community (not a town) in the caller's "
                                                       "scope"})
    secretary_id = fields.String(required=True, validate=ID,
                                 metadata={"description": "a staff person who is a party member; the first member"})


class NewMember(Strict):
    person_id = fields.String(required=True, validate=ID,
                              metadata={"description": "a staff person who is a party member"})


class PartyListQuery(Strict):
    root = fields.String(load_default=None, validate=GRID_CODE,
                         metadata={"description": "default: the caller's scope"})
    after = fields.String(load_default=None, validate=ID, metadata=PAGE_AFTER)
    limit = fields.Integer(load_default=100, validate=bounded(1, 1000))


class PartyCoverageQuery(Strict):
    root = fields.String(load_default=None, validate=GRID_CODE,
                         metadata={"description": "required for a district-wide caller; default the caller's scope"})


class ServiceDayListQuery(PartyListQuery):
    month = fields.String(load_default=None, validate=MONTH, metadata={"example": "2026-12"})


class ReportQuery(Strict):
    year = fields.Integer(load_default=None, validate=bounded(2000, 2099), metadata={"description": "default: "
                                                                                                    "this year"})


class NewRegistration(Strict):
    person_id = fields.String(required=True, validate=ID,
                              metadata={"description": "the member's staff record (POST /staff first if they have "
                                                       "none); a party member"})
    employer_code = fields.String(required=True, validate=CODE,
                                  metadata={"description": "the employer: a registered department, whose accounts "
                                                           "read the report"})
    community_code = fields.String(required=True, validate=GRID_CODE,
                                   metadata={"description": "the community they live in, in the caller's scope"})


class NewServiceEntry(Strict):
    activity = Text(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "入户走访独居老人"})
    hours = Number(required=True, validate=validate.Range(min=MIN_HOURS, max=MAX_HOURS),
                   metadata={"description": "0.5 to 12 a entry"})
    households = fields.Integer(load_default=0, strict=True, validate=bounded(0, 1000),
                                metadata={"description": "households served"})
    day = fields.Date(required=True, validate=DAY_IN_RANGE, metadata={"description": "not in the future"})


class NewServiceDay(Strict):
    grid_code = fields.String(required=True, validate=GRID_CODE)
    day = fields.Date(required=True, validate=DAY_IN_RANGE,
                      metadata={"description": "its month is the service day's: one a grid a month"})
    activity = Text(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "义诊义剪进网格"})
    branch_id = fields.String(load_default=None, allow_none=True, validate=ID,
                              metadata={"description": "the branch that holds it, if any"})


class SignIn(Strict):
    person_id = fields.String(load_default=None, validate=ID,
                              metadata={"description": "the party member who came; default the caller's own"})


class BranchBrief(Loose):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    grid_code = fields.String(required=True)
    secretary_id = fields.String(required=True)
    secretary_name = fields.String(allow_none=True)
    secretary_is_general_grid_chief = fields.Boolean(required=True)


class Member(Loose):
    person_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    joined_on = fields.String(required=True, metadata=DATE)
    left_on = fields.String(allow_none=True, metadata=DATE)


class Branch(Loose):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    kind_label = fields.Dict(required=True)
    name = fields.String(required=True)
    grid_code = fields.String(required=True)
    secretary_id = fields.String(required=True)
    secretary_name = fields.String(allow_none=True)
    members = fields.Integer(required=True, metadata={"description": "present members"})
    created_by = fields.String(required=True)
    created_at = fields.String(required=True, metadata=DATE_TIME)


class BranchDetail(Branch):
    member_list = fields.List(fields.Nested(Member), required=True,
                              metadata={"description": "present members, and those who left with the day"})


class BranchPage(Loose):
    items = fields.List(fields.Nested(Branch), required=True)
    next = fields.String(allow_none=True)


class PartyGridCoverage(Loose):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    community_code = fields.String(allow_none=True)
    town_code = fields.String(allow_none=True)
    covered = fields.Boolean(required=True)
    led_by = fields.String(allow_none=True, metadata={"description": "own, community, or null (no branch)"})
    branches = fields.List(fields.Nested(BranchBrief), required=True)
    community_branches = fields.List(fields.Nested(BranchBrief), required=True)


class Totals(Loose):
    code = fields.String(required=True)
    grids = fields.Integer(required=True)
    with_own_branch = fields.Integer(required=True)
    covered = fields.Integer(required=True)
    coverage = fields.Float(allow_none=True)


class CommunityTotals(Totals):
    branches = fields.List(fields.Nested(BranchBrief), required=True)


class PartyCoverage(Loose):
    root = fields.String(required=True)
    grids = fields.Integer(required=True)
    covered = fields.Integer(required=True)
    with_own_branch = fields.Integer(required=True)
    coverage = fields.Float(allow_none=True)
    communities = fields.List(fields.Nested(CommunityTotals), required=True)
    towns = fields.List(fields.Nested(Totals), required=True)
    items = fields.List(fields.Nested(PartyGridCoverage), required=True)


class Registration(Loose):
    id = fields.String(required=True)
    person_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    employer_code = fields.String(required=True)
    community_code = fields.String(required=True)
    registered_by = fields.String(required=True)
    registered_at = fields.String(required=True, metadata=DATE_TIME)


class RegistrationWithHours(Registration):
    hours_total = fields.Float(required=True)


class RegistrationPage(Loose):
    items = fields.List(fields.Nested(RegistrationWithHours), required=True)
    next = fields.String(allow_none=True)


class ServiceEntry(Loose):
    id = fields.String(required=True)
    registration_id = fields.String(required=True)
    community_code = fields.String(required=True)
    activity = fields.String(required=True)
    hours = fields.Float(required=True)
    households = fields.Integer(required=True)
    day = fields.String(required=True, metadata=DATE)
    logged_by = fields.String(required=True)
    logged_at = fields.String(required=True, metadata=DATE_TIME)


class MonthTotals(Loose):
    month = fields.String(required=True)
    entries = fields.Integer(required=True)
    hours = fields.Float(required=True)
    households = fields.Integer(required=True)


class ServiceReport(Loose):
    registration = fields.Nested(Registration, required=True)
    year = fields.Integer(required=True)
    entries = fields.Integer(required=True)
    hours = fields.Float(required=True)
    households = fields.Integer(required=True)
    months = fields.List(fields.Nested(MonthTotals), required=True, metadata={"description": "all twelve"})


class SignedIn(Loose):
    person_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    signed_by = fields.String(required=True)
    signed_at = fields.String(required=True, metadata=DATE_TIME)


class ServiceDay(Loose):
    id = fields.String(required=True)
    grid_code = fields.String(required=True)
    month = fields.String(required=True)
    day = fields.String(required=True, metadata=DATE)
    activity = fields.String(required=True)
    branch_id = fields.String(allow_none=True)
    created_by = fields.String(required=True)
    created_at = fields.String(required=True, metadata=DATE_TIME)
    attended = fields.Integer(required=True)
    sign_ins = fields.List(fields.Nested(SignedIn), required=True)


class ServiceDayPage(Loose):
    items = fields.List(fields.Nested(ServiceDay), required=True)
    next = fields.String(allow_none=True)


class MemberPath(Strict):
    person_id = fields.String(required=True, validate=ID)


class MemberHouseholdPath(Strict):
    person_id = fields.String(required=True, validate=ID)
    household_id = fields.String(required=True, validate=ID)


class NewHouseholdLink(Strict):
    household_id = fields.String(required=True, validate=ID,
                                 metadata={"description": "a household of a grid of the member's branches or posts"})


class HouseholdLink(Loose):
    household_id = fields.String(required=True)
    person_id = fields.String(required=True)
    grid_code = fields.String(required=True)
    linked_by = fields.String(required=True)
    linked_at = fields.String(required=True, metadata=DATE_TIME)


class HouseholdLinked(HouseholdLink):
    created = fields.Boolean(required=True)


class LinkedHousehold(Loose):
    household_id = fields.String(required=True)
    grid_code = fields.String(required=True)
    address = fields.String(allow_none=True)
    linked_by = fields.String(required=True)
    linked_at = fields.String(required=True, metadata=DATE_TIME)


class MemberHouseholds(Loose):
    person_id = fields.String(required=True)
    name = fields.String(required=True)
    party_member = fields.Boolean(required=True)
    grids = fields.List(fields.String(), required=True,
                        metadata={"description": "the grids of the member's branches and posts today"})
    linked = fields.Integer(required=True)
    minimum = fields.Integer(required=True)
    maximum = fields.Integer(required=True)
    short_of_minimum = fields.Boolean(required=True)
    households = fields.List(fields.Nested(LinkedHousehold), required=True)


class CarriedProblem(Strict):
    category = fields.String(required=True, validate=validate.Length(min=1, max=10),
                             metadata={"description": "a code of GET /tickets/categories", "example": "UM02"})
    grade = fields.String(load_default="daily", validate=validate.OneOf(GRADES))
    description = Text(required=True, validate=validate.Length(min=2, max=2000),
                       metadata={"example": "3号楼2单元楼道灯坏了一周，老人夜里上下楼不便"})
    attachments = fields.List(fields.String(validate=[validate.Length(min=1, max=500), ATTACHMENT]),
                              load_default=list, validate=validate.Length(max=20))


class HouseholdTicketQuery(Strict):
    status = fields.String(load_default=None, validate=validate.Length(min=1, max=200),
                           metadata={"description": "states, comma-separated, or open (reported, accepted, handling)"})
    household_id = fields.String(load_default=None, validate=ID,
                                 metadata={"description": "one of the member's households"})
    limit = fields.Integer(load_default=50, validate=bounded(1, 500))
    before = fields.String(load_default=None, validate=validate.Length(min=1, max=200),
                           metadata={"description": "the previous page's next"})


class HouseholdTicket(Loose):
    id = fields.String(required=True)
    number = fields.String(required=True, metadata={"example": "20261123-00001"})
    household_id = fields.String(required=True)
    address = fields.String(allow_none=True, metadata={"description": "the household's address, as linked"})
    category = fields.String(required=True)
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))
    source = fields.String(required=True, validate=validate.OneOf(SOURCES), metadata={
        "description": "resident_report: the household's own report; grid_patrol: carried up by the member"})
    description = fields.String(required=True)
    grid_code = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATES))
    level = fields.String(allow_none=True, validate=validate.OneOf(LEVELS))
    outcome = fields.String(allow_none=True, validate=validate.OneOf(OUTCOMES))
    reported_at = fields.String(required=True, metadata=DATE_TIME)
    accepted_at = fields.String(allow_none=True, metadata=DATE_TIME)
    resolved_at = fields.String(allow_none=True, metadata=DATE_TIME)
    closed_at = fields.String(allow_none=True, metadata=DATE_TIME)
    resolve_due = fields.String(allow_none=True, metadata=DATE_TIME)


class HouseholdTicketPage(Loose):
    person_id = fields.String(required=True)
    households = fields.Integer(required=True, metadata={"description": "how many households are linked now"})
    items = fields.List(fields.Nested(HouseholdTicket), required=True)
    next = fields.String(allow_none=True, required=True,
                         metadata={"description": "pass as before; null on the last page"})
