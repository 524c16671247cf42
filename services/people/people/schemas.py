import datetime as dt

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

from common.roles import DISTRICT_WIDE, GRID_SCOPED, ROLES
from common.shanghai import shanghai_date
from common.validation import (CODE, DAY_IN_RANGE, GRID_CODE, ID, ID_NUMBER_TEXT, PHONE_TEXT, PLACE_CODE, USERNAME,
                               Moment, Number, Text, bounded)
from people.organisations import KINDS as ORGANISATION_KINDS
from people.party import KINDS as BRANCH_KINDS
from people.party import MAX_HOURS, MIN_HOURS
from people.organisations import STATUSES as ORGANISATION_STATUSES
from people.residents import TAGS
from people.signups import STATUSES as SIGNUP_STATUSES
from people.sentiments import CATEGORIES, CONTENT_MAX, FOLLOW_UP_STATUSES, SOURCES, STATUSES, TICKET_GRADES
from people.staff import DEPARTMENT_KINDS, STAFF_ROLES
from people.wishes import CATEGORIES as WISH_CATEGORIES
from people.wishes import DESCRIPTION_MAX, NOTE_MAX, TITLE_MAX
from people.wishes import STATUSES as WISH_STATUSES
from people.webhooks import EVENTS as WEBHOOK_EVENTS, STATUSES as WEBHOOK_STATUSES


class AccountSchema(Schema):
    id = fields.String(dump_only=True)
    username = fields.String(required=True, validate=USERNAME)
    display_name = Text(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1, max=len(ROLES)))
    grid_scope = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    department_code = fields.String(load_default=None, allow_none=True,
                                    validate=validate.Length(min=2, max=40))
    person_id = fields.String(load_default=None, allow_none=True, validate=ID)
    resident_id = fields.String(load_default=None, allow_none=True, validate=ID)
    disabled = fields.Boolean(load_default=False)
    locked_until = fields.AwareDateTime(dump_only=True, allow_none=True)
    last_login_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)
    token_version = fields.Integer(dump_only=True)  # the gateway's tokens carry it
    must_change_password = fields.Boolean(dump_only=True)

    @validates_schema
    def _department_accounts_name_their_department(self, data, **_):
        if "department" in data.get("roles", []) and not data.get("department_code"):
            raise ValidationError("a department account needs its department_code", "department_code")

    @validates_schema
    def _grid_staff_accounts_name_their_grids(self, data, **_):
        roles = set(data.get("roles") or ())
        scoped = sorted(roles & GRID_SCOPED)
        if scoped and not roles & DISTRICT_WIDE and not data.get("grid_scope"):
            raise ValidationError(f"a {', '.join(scoped)} account needs its grid_scope (the grid code it works in)",
                                  "grid_scope")

    @validates_schema
    def _a_residents_account_is_theirs_alone(self, data, **_):
        """A resident's own account rates the workers of their grid as a resident: it
        holds no other role, and is no staff member's (their judgement of colleagues
        is not a resident's survey; a staff member who lives there has two accounts)."""
        if not data.get("resident_id"):
            return
        if set(data.get("roles") or ()) != {"resident"}:
            raise ValidationError("only an account whose one role is resident has a resident_id", "resident_id")
        if data.get("person_id"):
            raise ValidationError("an account is a staff member's (person_id) or a resident's (resident_id), "
                                  "not both", "resident_id")

    @validates_schema
    def _only_grid_staff_accounts_have_a_scope(self, data, **_):
        """A scope on an account of no grid-scoped role would never apply (a resident
        or a department reaches what it reported or was sent; an admin, everything),
        yet an old rule or a new one might read it: so none is stored."""
        roles = set(data.get("roles") or ())
        if data.get("grid_scope") and not roles & GRID_SCOPED:
            raise ValidationError(
                f"only an account of a grid-scoped role ({', '.join(GRID_SCOPED.ordered())}) has a grid_scope; "
                "leave it out", "grid_scope")



class StaffNamesSchema(Schema):
    person_ids = fields.List(fields.String(validate=ID), required=True, validate=validate.Length(max=20000))


class RecordIdsSchema(Schema):
    ids = fields.List(fields.String(validate=ID), required=True, validate=validate.Length(max=1000))


class CredentialsSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    client_address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class AccountFilterSchema(Schema):
    role = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ROLES))
    disabled = fields.Boolean(load_default=None, allow_none=True)
    locked = fields.Boolean(load_default=None, allow_none=True)
    department_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    scope = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    q = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class PasswordChangeSchema(Schema):
    """The holder's own change: their current password is the proof (no token needed,
    so that a reset password can be changed before any sign-in)."""
    class Meta:
        unknown = RAISE

    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    client_address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class AccountNoteSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))


class WebhookInputSchema(Schema):
    class Meta:
        unknown = RAISE

    url = fields.String(required=True, validate=validate.Length(min=8, max=500))
    events = fields.List(fields.String(validate=validate.OneOf(WEBHOOK_EVENTS)), required=True,
                         validate=validate.Length(min=1, max=len(WEBHOOK_EVENTS)))
    department_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=2, max=40))


class WebhookListQuerySchema(Schema):
    department_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=2, max=40))
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(WEBHOOK_STATUSES))


class ApiKeyInputSchema(Schema):
    class Meta:
        unknown = RAISE

    department_code = fields.String(required=True, validate=validate.Length(min=2, max=40))
    name = Text(required=True, validate=validate.Length(min=1, max=100))




class PersonInputSchema(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=50))
    gender = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["male", "female"]))
    birth_date = fields.Date(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True, validate=PHONE_TEXT)
    id_number = fields.String(load_default=None, allow_none=True, validate=ID_NUMBER_TEXT)
    party_member = fields.Boolean(load_default=False)
    smartphone_user = fields.Boolean(load_default=True)
    violation_recorded = fields.Boolean(load_default=False)

    @validates("birth_date")
    def _born_already(self, value, **_):
        if value is not None and not dt.date(1900, 1, 1) <= value <= shanghai_date():
            raise ValidationError("must be a date between 1900-01-01 and today")


class AssignmentInputSchema(Schema):
    grid_code = fields.String(required=True, validate=GRID_CODE)
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))
    start_date = fields.Date(load_default=None, validate=DAY_IN_RANGE)  # staff.POSTS_FROM onwards
    end_date = fields.Date(load_default=None, allow_none=True, validate=DAY_IN_RANGE)
    # a district officer posting someone the recruitment rules refuse: why (kept, logged)
    override_reason = Text(load_default=None, allow_none=True, validate=validate.Length(min=5, max=500))


class PersonEditSchema(Schema):
    name = Text(validate=validate.Length(min=1, max=50))
    phone = fields.String(allow_none=True, validate=PHONE_TEXT)
    party_member = fields.Boolean()
    smartphone_user = fields.Boolean()
    violation_recorded = fields.Boolean()

    @validates_schema
    def something(self, data, **kwargs):
        if not data:
            raise ValidationError("give at least one of name, phone, party_member, smartphone_user, "
                                  "violation_recorded", "_schema")


class EndAssignmentSchema(Schema):
    end_date = fields.Date(required=True, validate=DAY_IN_RANGE)


class DepartmentInputSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(DEPARTMENT_KINDS))
    grid_code = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    liaison_ids = fields.List(fields.String(validate=ID), load_default=list, validate=validate.Length(max=50))


class DepartmentSchema(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    grid_code = fields.String(allow_none=True)
    liaison_ids = fields.List(fields.String())


class HouseholdInputSchema(Schema):
    place_code = fields.String(required=True, validate=PLACE_CODE)
    address = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))


class HouseholdSchema(Schema):
    id = fields.String()
    place_code = fields.String()
    grid_code = fields.String()
    address = fields.String(allow_none=True)


class ResidentInputSchema(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=50))
    id_number = fields.String(required=True, validate=ID_NUMBER_TEXT)
    phone = fields.String(load_default=None, allow_none=True, validate=PHONE_TEXT)
    household_id = fields.String(load_default=None, allow_none=True, validate=ID)
    tags = fields.List(fields.String(validate=validate.OneOf(TAGS)), load_default=list,
                       validate=validate.Length(max=len(TAGS)))


class ResidentQuerySchema(Schema):
    id_number = fields.String(load_default=None)
    phone = fields.String(load_default=None)
    household_id = fields.String(load_default=None)
    grid_prefix = fields.String(load_default=None, allow_none=True)
    tag = fields.String(load_default=None, validate=validate.OneOf(TAGS))
    limit = fields.Integer(load_default=100, validate=bounded(1, 1000))
    after = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))  # a page's next


class EarnSchema(Schema):
    person_id = fields.String(required=True, validate=ID)
    points = fields.Integer(required=True, validate=bounded(1, 1000))
    activity = Text(required=True, validate=validate.Length(min=1, max=200))
    hours = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0, max=24))


class RedeemSchema(Schema):
    person_id = fields.String(required=True, validate=ID)
    reward_code = fields.String(required=True, validate=validate.Length(min=2, max=40))


class RewardSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    cost = fields.Integer(required=True, validate=bounded(1, 1_000_000))
    stock = fields.Integer(load_default=None, allow_none=True, validate=bounded(0, 1_000_000))


class PointsEntrySchema(Schema):
    id = fields.Integer()
    person_id = fields.String()
    delta = fields.Integer()
    kind = fields.String()
    activity = fields.String(allow_none=True)
    hours = fields.Float(allow_none=True)
    reward_code = fields.String(allow_none=True)
    approver = fields.String()
    balance_after = fields.Integer()
    created_at = fields.AwareDateTime()


class PatrolInputSchema(Schema):
    person_id = fields.String(required=True, validate=ID)  # the actor's own when not given (patrols.own_round)
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    crs = fields.String(load_default="wgs84", validate=validate.OneOf(["wgs84", "gcj02"]))
    occurred_at = Moment(load_default=None)


class PatrolSchema(Schema):
    id = fields.String()
    person_id = fields.String()
    client_id = fields.String()
    lon = fields.Float()
    lat = fields.Float()
    occurred_at = fields.AwareDateTime()
    received_at = fields.AwareDateTime()
    assigned_grid_codes = fields.List(fields.String())
    located_grid_code = fields.String(allow_none=True)
    inside = fields.Boolean()


class VisitInputSchema(Schema):
    person_id = fields.String(required=True, validate=ID)  # the actor's own when not given (patrols.own_round)
    household_id = fields.String(required=True, validate=ID)
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    notes = Text(required=True, validate=validate.Length(min=1, max=2000))
    occurred_at = Moment(load_default=None)


class VisitSchema(Schema):
    id = fields.String()
    person_id = fields.String()
    household_id = fields.String()
    client_id = fields.String()
    notes = fields.String()
    occurred_at = fields.AwareDateTime()
    received_at = fields.AwareDateTime()


class BroadcastInputSchema(Schema):
    title = Text(required=True, validate=validate.Length(min=1, max=200))
    body = Text(required=True, validate=validate.Length(min=1, max=10000))
    scope_grid = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    scope_role = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ROLES))


class NoticeInputSchema(Schema):
    title = Text(required=True, validate=validate.Length(min=1, max=200))
    body = Text(required=True, validate=validate.Length(min=1, max=10000))
    scope_grid = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)


class BroadcastSchema(Schema):
    id = fields.String()
    title = fields.String()
    body = fields.String()
    scope_grid = fields.String(allow_none=True)
    scope_role = fields.String(allow_none=True)
    sender = fields.String()
    recipient_count = fields.Integer()
    created_at = fields.AwareDateTime()
    kind = fields.String()
    ticket_id = fields.String(allow_none=True)


class SentimentInputSchema(Schema):
    person_id = fields.String(required=True, validate=ID)  # the actor's own when not given (patrols.own_round)
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    grid_code = fields.String(required=True, validate=GRID_CODE)
    household_id = fields.String(load_default=None, allow_none=True, validate=ID)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    content = Text(required=True, validate=validate.Length(min=2, max=CONTENT_MAX))
    occurred_at = Moment(load_default=None)


class SentimentFollowUpInputSchema(Schema):
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    note = Text(required=True, validate=validate.Length(min=1, max=CONTENT_MAX))
    status = fields.String(load_default="followed_up", validate=validate.OneOf(FOLLOW_UP_STATUSES))
    occurred_at = Moment(load_default=None)


class SentimentTicketInputSchema(Schema):
    category = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=10))
    grade = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(TICKET_GRADES))


class SentimentQuerySchema(Schema):
    root = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    person_id = fields.String(load_default=None, allow_none=True, validate=ID)
    category = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(CATEGORIES))
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STATUSES))
    since = Moment(load_default=None, allow_none=True)
    after = fields.String(load_default=None, allow_none=True, validate=ID)
    limit = fields.Integer(load_default=100, strict=True, validate=bounded(1, 1000))


class VisitQuerySchema(Schema):
    root = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    person_id = fields.String(load_default=None, allow_none=True, validate=ID)
    since = Moment(load_default=None, allow_none=True)
    after = fields.String(load_default=None, allow_none=True, validate=ID)
    limit = fields.Integer(load_default=100, strict=True, validate=bounded(1, 1000))


class CampaignInputSchema(Schema):
    title = Text(required=True, validate=validate.Length(min=1, max=100))
    description = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    scope = fields.String(required=True, validate=GRID_CODE)
    due_date = fields.Date(load_default=None, allow_none=True, validate=DAY_IN_RANGE)


class CampaignTickSchema(Schema):
    household_id = fields.String(required=True, validate=ID)
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))


class CampaignListQuerySchema(Schema):
    root = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("open", "closed")))
    limit = fields.Integer(load_default=100, strict=True, validate=bounded(1, 1000))
    after = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))  # a page's next


class CampaignHouseholdsQuerySchema(Schema):
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("pending", "done")))
    after = fields.String(load_default=None, allow_none=True, validate=ID)
    limit = fields.Integer(load_default=100, strict=True, validate=bounded(1, 1000))


class OrganisationInputSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(ORGANISATION_KINDS))
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    credit_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=30))
    grid_code = fields.String(required=True, validate=GRID_CODE)
    place_code = fields.String(load_default=None, allow_none=True, validate=PLACE_CODE)
    address = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    employees = fields.Integer(load_default=None, allow_none=True, strict=True, validate=bounded(0, 1_000_000))
    contact_name = Text(load_default=None, allow_none=True, validate=validate.Length(min=1, max=50))
    department_code = fields.String(load_default=None, allow_none=True, validate=CODE)


class OrganisationEditSchema(Schema):
    kind = fields.String(validate=validate.OneOf(ORGANISATION_KINDS))
    name = Text(validate=validate.Length(min=1, max=100))
    credit_code = fields.String(allow_none=True, validate=validate.Length(min=1, max=30))
    place_code = fields.String(allow_none=True, validate=PLACE_CODE)
    address = Text(allow_none=True, validate=validate.Length(max=200))
    employees = fields.Integer(allow_none=True, strict=True, validate=bounded(0, 1_000_000))
    contact_name = Text(allow_none=True, validate=validate.Length(min=1, max=50))
    department_code = fields.String(allow_none=True, validate=CODE)
    status = fields.String(validate=validate.OneOf(ORGANISATION_STATUSES))

    @validates_schema
    def something(self, data, **kwargs):
        if not data:
            raise ValidationError("give at least one field to change", "_schema")


class OrganisationListQuerySchema(Schema):
    root = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ORGANISATION_KINDS))
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ORGANISATION_STATUSES))
    q = Text(load_default=None, allow_none=True, validate=validate.Length(max=50))  # empty: no filter
    after = fields.String(load_default=None, allow_none=True, validate=ID)
    limit = fields.Integer(load_default=100, strict=True, validate=bounded(1, 1000))


class SignupInputSchema(Schema):
    username = fields.String(required=True, validate=USERNAME)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    phone = fields.String(required=True, validate=PHONE_TEXT)
    address = Text(required=True, validate=validate.Length(min=2, max=200))
    grid_code = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)


class SignupApproveSchema(Schema):
    resident_id = fields.String(required=True, validate=ID)


class SignupRejectSchema(Schema):
    reason = Text(required=True, validate=validate.Length(min=2, max=500))


class SignupListQuerySchema(Schema):
    root = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SIGNUP_STATUSES))
    limit = fields.Integer(load_default=100, strict=True, validate=bounded(1, 1000))
    after = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))  # a page's next


class FollowUpQuerySchema(Schema):
    root = fields.String(required=True, validate=GRID_CODE)
    tag = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(TAGS))
    as_of = fields.Date(load_default=None, allow_none=True, validate=DAY_IN_RANGE)
    limit = fields.Integer(load_default=100, strict=True, validate=bounded(1, 1000))


class CoverageQuerySchema(Schema):
    root = fields.String(required=True, validate=GRID_CODE)
    period = fields.String(required=True, validate=validate.Length(min=4, max=7))
    after = fields.String(load_default=None, allow_none=True, validate=ID)
    limit = fields.Integer(load_default=100, strict=True, validate=bounded(1, 1000))


class WishInputSchema(Schema):
    title = Text(required=True, validate=validate.Length(min=2, max=TITLE_MAX))
    description = Text(required=True, validate=validate.Length(min=2, max=DESCRIPTION_MAX))
    category = fields.String(required=True, validate=validate.OneOf(WISH_CATEGORIES))


class WishRejectSchema(Schema):
    reason = Text(required=True, validate=validate.Length(min=2, max=NOTE_MAX))


class WishFulfilSchema(Schema):
    note = Text(required=True, validate=validate.Length(min=2, max=NOTE_MAX))


class WishListQuerySchema(Schema):
    root = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(WISH_STATUSES))
    after = fields.String(load_default=None, allow_none=True, validate=ID)
    limit = fields.Integer(load_default=100, strict=True, validate=bounded(1, 1000))


class WishSummaryQuerySchema(Schema):
    root = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)


# --- party building (党建引领) ----------------------------------------------------------------
MONTH = validate.Regexp(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$", error="must be a month: YYYY-MM, 2000-2099")


class BranchInputSchema(Schema):
    kind = fields.String(load_default="branch", validate=validate.OneOf(BRANCH_KINDS))
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    grid_code = fields.String(required=True, validate=GRID_CODE)
    secretary_id = fields.String(required=True, validate=ID)


class BranchMemberSchema(Schema):
    person_id = fields.String(required=True, validate=ID)


class PartyListQuerySchema(Schema):
    root = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    after = fields.String(load_default=None, allow_none=True, validate=ID)
    limit = fields.Integer(load_default=100, strict=True, validate=bounded(1, 1000))


class PartyCoverageQuerySchema(Schema):
    root = fields.String(required=True, validate=GRID_CODE)


class RegistrationInputSchema(Schema):
    person_id = fields.String(required=True, validate=ID)
    employer_code = fields.String(required=True, validate=CODE)
    community_code = fields.String(required=True, validate=GRID_CODE)


class ServiceEntryInputSchema(Schema):
    activity = Text(required=True, validate=validate.Length(min=1, max=200))
    hours = Number(required=True, validate=validate.Range(min=MIN_HOURS, max=MAX_HOURS))
    households = fields.Integer(load_default=0, strict=True, validate=bounded(0, 1000))
    day = fields.Date(required=True, validate=DAY_IN_RANGE)


class ReportQuerySchema(Schema):
    year = fields.Integer(load_default=None, allow_none=True, validate=bounded(2000, 2099))


class ServiceDayInputSchema(Schema):
    grid_code = fields.String(required=True, validate=GRID_CODE)
    day = fields.Date(required=True, validate=DAY_IN_RANGE)
    activity = Text(required=True, validate=validate.Length(min=1, max=200))
    branch_id = fields.String(load_default=None, allow_none=True, validate=ID)


class ServiceDaySignInSchema(Schema):
    person_id = fields.String(required=True, validate=ID)  # the actor's own when not given


class ServiceDayListQuerySchema(PartyListQuerySchema):
    month = fields.String(load_default=None, allow_none=True, validate=MONTH)


class HouseholdLinkSchema(Schema):
    household_id = fields.String(required=True, validate=ID)
