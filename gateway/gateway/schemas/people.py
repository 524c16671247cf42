"""Accounts, staff and their posts, departments, residents and households, patrols and
visits, broadcasts, volunteer points, as the API shows them. Vocabularies (posts,
tags, kinds) are the people service's; tests/unit/test_api_schemas.py keeps these equal."""
from marshmallow import fields, validate

from common.roles import ROLES
from common.validation import (CODE, DAY_IN_RANGE, GRID_CODE, ID_NUMBER_TEXT, PHONE_TEXT, PLACE_CODE, USERNAME, Moment,
                               Text, bounded)
from gateway.schemas.base import Counts, ID, Loose, Paged, Strict, SubtreeQuery

STAFF_ROLES = ("general_grid_chief", "grid_chief", "full_time_worker", "part_time_worker", "grid_police",
               "instructor", "sentiment_officer", "coordinator", "patrol_officer", "building_head", "unit_head",
               "volunteer", "party_member_in_service", "department_liaison")
DEPARTMENT_KINDS = ("functional_department", "town", "community", "property_company")
TAGS = ("elderly_alone", "elderly", "disabled", "key_person", "low_income", "veteran", "left_behind_child",
        "pregnant", "mental_health", "community_correction")
CRS = ("wgs84", "gcj02")
DATE = {"format": "date"}
MOMENT = {"format": "date-time"}


# --- sign-in and accounts ----------------------------------------------------------------

class Login(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={"example": "admin"})
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class Token(Loose):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})


class NewAccount(Strict):
    username = fields.String(required=True, validate=USERNAME)
    display_name = Text(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1, max=len(ROLES)))
    grid_scope = fields.String(load_default=None, allow_none=True, validate=GRID_CODE,
                               metadata={"description": "the subtree a grid staff account works in; only for "
                                                        "town_leader, community_officer, grid_chief, grid_worker"})
    department_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=2, max=40),
                                    metadata={"description": "a registered department (POST /departments)"})
    person_id = fields.String(load_default=None, allow_none=True, validate=ID,
                              metadata={"description": "the staff member who signs in with it (one account each)"})
    resident_id = fields.String(load_default=None, allow_none=True, validate=ID,
                                metadata={"description": "the registered resident who signs in with it (one "
                                                         "account each; 400 UNKNOWN_RESIDENT, 409 "
                                                         "RESIDENT_HAS_ACCOUNT): only on an account whose one "
                                                         "role is resident, and never with person_id"})
    disabled = fields.Boolean(load_default=False)


ACCOUNT_ACTIONS = ("disabled", "enabled", "password_reset", "password_changed", "unlocked",
                   "tokens_revoked")  # people.account_admin's (test_api_schemas keeps them equal)


class Account(Loose):
    id = fields.String(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    grid_scope = fields.String(allow_none=True)
    department_code = fields.String(allow_none=True)
    person_id = fields.String(allow_none=True)
    resident_id = fields.String(allow_none=True)
    disabled = fields.Boolean(required=True)
    locked_until = fields.String(allow_none=True, metadata=MOMENT)
    last_login_at = fields.String(allow_none=True, metadata=MOMENT)
    created_at = fields.String(required=True, metadata=MOMENT)
    must_change_password = fields.Boolean(metadata={"description": "an administrator reset the password"})


class Me(Account):
    role_labels = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class AccountListQuery(Paged):
    role = fields.String(load_default=None, validate=validate.OneOf(ROLES))
    disabled = fields.Boolean(load_default=None)
    locked = fields.Boolean(load_default=None, metadata={"description": "locked out from every address now"})
    department_code = fields.String(load_default=None, validate=validate.Length(max=40))
    scope = fields.String(load_default=None, validate=GRID_CODE, metadata={"description": "grid scopes within it"})
    q = fields.String(load_default=None, validate=validate.Length(max=64), metadata={
        "description": "the start of a username"})


class PasswordChange(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=200),
                                     metadata={"description": "or the temporary one an administrator gave"})
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=200),
                                 metadata={"description": "10 characters or more (12 in production), letters and "
                                                          "digits, not the current one"})


class AccountNote(Strict):
    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))


class TokensEnded(Loose):
    account_id = fields.String(required=True)
    token_version = fields.Integer(required=True, metadata={"description": "tokens carrying an older one are refused"})


class DisabledAccount(Account, TokensEnded):
    pass


class PasswordReset(TokensEnded):
    temporary_password = fields.String(required=True, metadata={"description": "shown this once: the holder must "
                                                                              "change it at sign-in"})
    must_change_password = fields.Boolean(required=True)


class AccountEvent(Loose):
    action = fields.String(required=True, validate=validate.OneOf(ACCOUNT_ACTIONS))
    by_account_id = fields.String(allow_none=True)
    by_username = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    at = fields.String(required=True, metadata=MOMENT)


class AccountPath(Strict):
    account_id = fields.String(required=True, validate=ID)


class ApiKeyPath(Strict):
    key_id = fields.String(required=True, validate=ID)


class NewApiKey(Strict):
    department_code = fields.String(required=True, validate=validate.Length(min=2, max=40),
                                    metadata={"description": "a registered department: the key acts as it"})
    name = Text(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "城管执法系统"})


class ApiKey(Loose):
    id = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "the key's public part, to tell keys apart"})
    department_code = fields.String(required=True)
    name = fields.String(required=True)
    created_at = fields.String(required=True, metadata=MOMENT)
    created_by = fields.String(allow_none=True)
    last_used_at = fields.String(allow_none=True, metadata=MOMENT)
    revoked_at = fields.String(allow_none=True, metadata=MOMENT)
    replaced_by = fields.String(allow_none=True, metadata={"description": "the key a rotation made"})


class IssuedApiKey(ApiKey):
    key = fields.String(required=True, metadata={"description": "shown this once; send it as `X-API-Key`",
                                                 "example": "ggk_abcd2345ef_..."})


class ApiKeyQuery(Paged):
    department_code = fields.String(load_default=None, validate=validate.Length(max=40))



# --- staff, posts, departments -----------------------------------------------------------

class NewPerson(Strict):
    name = Text(required=True, validate=validate.Length(min=1, max=50))
    gender = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["male", "female"]))
    birth_date = fields.Date(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True, validate=PHONE_TEXT)
    id_number = fields.String(load_default=None, allow_none=True, validate=ID_NUMBER_TEXT)
    party_member = fields.Boolean(load_default=False)
    smartphone_user = fields.Boolean(load_default=True)
    violation_recorded = fields.Boolean(load_default=False)


class Person(Loose):
    id = fields.String(required=True)
    name = fields.String(required=True)
    gender = fields.String(allow_none=True)
    birth_date = fields.String(allow_none=True, metadata=DATE)
    phone = fields.String(allow_none=True, metadata={"description": "masked: 139****5678"})
    id_number = fields.String(allow_none=True, metadata={"description": "masked: 110105********0021"})
    party_member = fields.Boolean(required=True)
    smartphone_user = fields.Boolean(required=True)
    violation_recorded = fields.Boolean(required=True)
    status = fields.String(required=True)


class Reason(Loose):
    rule = fields.String(required=True)
    passed = fields.Boolean(required=True)
    message = fields.String(required=True)


class Eligibility(Loose):
    eligible = fields.Boolean(required=True)
    reasons = fields.List(fields.Nested(Reason), required=True)
    enforced_on = fields.List(fields.String(), metadata={
        "description": "the post roles the rules are enforced on when posting (RECRUIT_ROLES)"})


class PersonEdit(Strict):
    name = Text(validate=validate.Length(min=1, max=50))
    phone = fields.String(allow_none=True, validate=PHONE_TEXT, metadata={"description": "null clears it"})
    party_member = fields.Boolean()
    smartphone_user = fields.Boolean()
    violation_recorded = fields.Boolean()


class PersonEditEntry(Loose):
    fields_ = fields.List(fields.String(), required=True, data_key="fields",
                          metadata={"description": "the names of the fields changed (never their values)"})
    by = fields.String(required=True)
    at = fields.String(required=True, metadata={"format": "date-time"})


class OverrideEntry(Loose):
    assignment_id = fields.String(required=True)
    grid_code = fields.String(required=True)
    role = fields.String(required=True)
    failed = fields.List(fields.String(), required=True)
    reason = fields.String(required=True)
    by = fields.String(required=True)
    at = fields.String(required=True, metadata={"format": "date-time"})


class PersonChanges(Loose):
    edits = fields.List(fields.Nested(PersonEditEntry), required=True)
    overrides = fields.List(fields.Nested(OverrideEntry), required=True,
                            metadata={"description": "posts given against the recruitment rules"})


class RosterResult(Loose):
    imported = fields.Integer(required=True)
    assignments = fields.Integer(required=True)


class NewAssignment(Strict):
    grid_code = fields.String(required=True, validate=GRID_CODE)
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))
    start_date = fields.Date(load_default=None, validate=DAY_IN_RANGE)
    end_date = fields.Date(load_default=None, allow_none=True, validate=DAY_IN_RANGE)
    override_reason = Text(load_default=None, allow_none=True, validate=validate.Length(min=5, max=500), metadata={
        "description": "district-wide roles only: post a person the recruitment rules refuse, saying why"})


class EndAssignment(Strict):
    end_date = fields.Date(required=True, validate=DAY_IN_RANGE)


class Assignment(Loose):
    id = fields.String(required=True)
    person_id = fields.String(required=True)
    grid_code = fields.String(required=True)
    role = fields.String(required=True)
    role_label = fields.String(required=True)
    start_date = fields.String(required=True, metadata=DATE)
    end_date = fields.String(allow_none=True, metadata=DATE)



class AssignmentQuery(Paged):
    root = fields.String(load_default=None, validate=GRID_CODE)
    person_id = fields.String(load_default=None, validate=ID)
    on = fields.Date(load_default=None, validate=DAY_IN_RANGE, metadata={"description": "posts running that day"})


class GapTotals(Loose):
    grids = fields.Integer(required=True)
    grids_with_gaps = fields.Integer(required=True)
    missing = Counts(required=True)


class Gap(Loose):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    level = fields.String(allow_none=True, metadata={"description": "the scheme's staffed level, or where an "
                                                                    "exclusive grid is numbered"})
    have = Counts(required=True)
    missing = Counts(required=True)


class StaffingGaps(Loose):
    root = fields.String(required=True)
    rules = fields.Dict(keys=fields.String(), values=Counts(), required=True)
    grids_checked = fields.Integer(required=True)
    grids_with_gaps = fields.Integer(required=True)
    gaps = fields.List(fields.Nested(Gap), required=True)
    by_town = fields.Dict(keys=fields.String(), values=fields.Nested(GapTotals), required=True)
    by_community = fields.Dict(keys=fields.String(), values=fields.Nested(GapTotals), required=True)


class NewDepartment(Strict):
    code = fields.String(required=True, validate=CODE)
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(DEPARTMENT_KINDS))
    grid_code = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    liaison_ids = fields.List(fields.String(validate=ID), load_default=list, validate=validate.Length(max=50))


class Department(Loose):
    id = fields.String(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    grid_code = fields.String(allow_none=True)
    liaison_ids = fields.List(fields.String(), required=True)



class DepartmentQuery(Paged):
    kind = fields.String(load_default=None, validate=validate.OneOf(DEPARTMENT_KINDS))


# --- households and residents -----------------------------------------------------------------

class NewHousehold(Strict):
    place_code = fields.String(required=True, validate=PLACE_CODE)
    address = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))


class Household(Loose):
    id = fields.String(required=True)
    place_code = fields.String(required=True)
    grid_code = fields.String(required=True)
    address = fields.String(allow_none=True)



class NewResident(Strict):
    name = Text(required=True, validate=validate.Length(min=1, max=50))
    id_number = fields.String(required=True, validate=ID_NUMBER_TEXT)
    phone = fields.String(load_default=None, allow_none=True, validate=PHONE_TEXT)
    household_id = fields.String(load_default=None, allow_none=True, validate=ID)
    tags = fields.List(fields.String(validate=validate.OneOf(TAGS)), load_default=list,
                       validate=validate.Length(max=len(TAGS)))


class ResidentSearch(Paged):
    """Filters; ID and phone numbers are personal data, so search by them in a POST body
    (POST /residents/search) rather than in a URL that proxies and logs keep."""
    id_number = fields.String(load_default=None, validate=ID_NUMBER_TEXT)
    phone = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    household_id = fields.String(load_default=None, validate=ID)
    tag = fields.String(load_default=None, validate=validate.OneOf(TAGS))
    root = fields.String(load_default=None, validate=GRID_CODE)


class HouseholdListQuery(SubtreeQuery, Paged):
    pass


class RevealQuery(Strict):
    reveal = fields.Boolean(load_default=False, metadata={
        "description": "ID and phone numbers in clear (PII_CLEAR_ROLES only; every clear read is logged)"})


class Resident(Loose):
    id = fields.String(required=True)
    name = fields.String(required=True)
    gender = fields.String(allow_none=True)
    birth_date = fields.String(allow_none=True, metadata=DATE)
    household_id = fields.String(allow_none=True)
    grid_code = fields.String(allow_none=True)
    tags = fields.List(fields.String(), required=True)
    tag_labels = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    id_number = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    masked = fields.Boolean(required=True)



# --- patrols and visits -------------------------------------------------------------------------

class NewPatrol(Strict):
    person_id = fields.String(load_default=None, validate=ID,
                              metadata={"description": "default: the staff member the account is"})
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=64),
                              metadata={"description": "the phone's own id of the record: a resubmission answers 200"})
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    crs = fields.String(load_default="wgs84", validate=validate.OneOf(CRS))
    occurred_at = Moment(load_default=None)


class Patrol(Loose):
    id = fields.String(required=True)
    person_id = fields.String(required=True)
    client_id = fields.String(required=True)
    lon = fields.Float(required=True)
    lat = fields.Float(required=True)
    occurred_at = fields.String(required=True, metadata=MOMENT)
    received_at = fields.String(required=True, metadata=MOMENT)
    assigned_grid_codes = fields.List(fields.String(), required=True)
    located_grid_code = fields.String(allow_none=True)
    inside = fields.Boolean(required=True)


class PatrolLogged(Loose):
    patrol = fields.Nested(Patrol, required=True)
    duplicate = fields.Boolean(required=True)



class PatrolListQuery(Paged):
    root = fields.String(load_default=None, validate=GRID_CODE)
    person_id = fields.String(load_default=None, validate=ID)
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class NewVisit(Strict):
    person_id = fields.String(load_default=None, validate=ID)
    household_id = fields.String(required=True, validate=ID)
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    notes = Text(required=True, validate=validate.Length(min=1, max=2000))
    occurred_at = Moment(load_default=None)


class Visit(Loose):
    id = fields.String(required=True)
    person_id = fields.String(required=True)
    household_id = fields.String(required=True)
    client_id = fields.String(required=True)
    notes = fields.String(required=True)
    occurred_at = fields.String(required=True, metadata=MOMENT)
    received_at = fields.String(required=True, metadata=MOMENT)


class VisitLogged(Loose):
    visit = fields.Nested(Visit, required=True)
    duplicate = fields.Boolean(required=True)


# --- broadcasts and the inbox -----------------------------------------------------------------

class VisitListQuery(Strict):
    root = fields.String(load_default=None, validate=GRID_CODE,
                         metadata={"description": "the subtree (default: the caller's scope)"})
    person_id = fields.String(load_default=None, validate=ID, metadata={"description": "the visitor"})
    since = Moment(load_default=None, metadata={"description": "visits made at or after this moment"})
    limit = fields.Integer(load_default=100, validate=bounded(1, 1000))
    after = fields.String(load_default=None, validate=ID, metadata={"description": "the next of the page before"})


class ListedVisit(Loose):
    id = fields.String(required=True)
    person_id = fields.String(required=True)
    household_id = fields.String(required=True)
    grid_code = fields.String(required=True, metadata={"description": "the household's grid when visited"})
    client_id = fields.String(required=True)
    notes = fields.String(allow_none=True, required=True, metadata={
        "description": "for the visitor, supervisors and auditors (numbers in them masked); null for others"})
    notes_shown = fields.Boolean(required=True)
    occurred_at = fields.String(required=True, metadata=MOMENT)
    received_at = fields.String(required=True, metadata=MOMENT)


class VisitPage(Loose):
    items = fields.List(fields.Nested(ListedVisit), required=True)
    next = fields.String(allow_none=True, required=True, metadata={"description": "pass as after for the next page"})


class NewBroadcast(Strict):
    title = Text(required=True, validate=validate.Length(min=1, max=200))
    body = Text(required=True, validate=validate.Length(min=1, max=10000))
    scope_grid = fields.String(load_default=None, allow_none=True, validate=GRID_CODE,
                               metadata={"description": "default: the sender's own subtree"})
    scope_role = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ROLES))


class NewNotice(Strict):
    title = Text(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "本周六停水通知"})
    body = Text(required=True, validate=validate.Length(min=1, max=10000))
    scope_grid = fields.String(load_default=None, allow_none=True, validate=GRID_CODE,
                               metadata={"description": "the residents living under it (default: the sender's "
                                                        "subtree)"})


class Broadcast(Loose):
    id = fields.String(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    scope_grid = fields.String(allow_none=True)
    scope_role = fields.String(allow_none=True)
    sender = fields.String(required=True)
    recipient_count = fields.Integer(required=True)
    created_at = fields.String(required=True, metadata=MOMENT)


class ReadFigures(Loose):
    recipients = fields.Integer(required=True)
    read = fields.Integer(required=True)
    read_rate = fields.Float(allow_none=True)


class ReadRate(Broadcast):
    recipients = fields.Integer(required=True)
    read = fields.Integer(required=True)
    read_rate = fields.Float(allow_none=True)
    by_scope = fields.Dict(keys=fields.String(), values=fields.Nested(ReadFigures), required=True)


class InboxItem(Broadcast):
    read_at = fields.String(allow_none=True, metadata=MOMENT)
    kind = fields.String(validate=validate.OneOf(("notice", "notification")), metadata={
        "description": "notice: someone sent it; notification: a ticket event asks something of you"})
    ticket_id = fields.String(allow_none=True, metadata={"description": "a notification's ticket"})



class InboxQuery(Paged):
    unread = fields.Boolean(load_default=False)


class ReadReceipt(Loose):
    broadcast_id = fields.String(required=True)
    read_at = fields.String(required=True, metadata=MOMENT)


# --- volunteer points ---------------------------------------------------------------------------

class Earn(Strict):
    person_id = fields.String(required=True, validate=ID)
    points = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))
    activity = Text(required=True, validate=validate.Length(min=1, max=200))
    hours = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0, max=24))


class Redeem(Strict):
    person_id = fields.String(required=True, validate=ID)
    reward_code = fields.String(required=True, validate=validate.Length(min=2, max=40))


class NewReward(Strict):
    code = fields.String(required=True, validate=CODE)
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    cost = fields.Integer(required=True, validate=bounded(1, 1_000_000))
    stock = fields.Integer(load_default=None, allow_none=True, validate=bounded(0, 1_000_000))


class Reward(Loose):
    code = fields.String(required=True)
    name = fields.String(required=True)
    cost = fields.Integer(required=True)
    stock = fields.Integer(allow_none=True)


class PointsEntry(Loose):
    id = fields.Integer(required=True)
    person_id = fields.String(required=True)
    delta = fields.Integer(required=True)
    kind = fields.String(required=True)
    activity = fields.String(allow_none=True)
    hours = fields.Float(allow_none=True)
    reward_code = fields.String(allow_none=True)
    approver = fields.String(required=True)
    balance_after = fields.Integer(required=True)
    created_at = fields.String(required=True, metadata=MOMENT)


class PointsStatement(Loose):
    person_id = fields.String(required=True)
    balance = fields.Integer(required=True)
    entries = fields.List(fields.Nested(PointsEntry), required=True)
