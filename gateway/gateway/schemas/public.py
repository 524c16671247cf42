"""What the public door shows: a grid's card (上岗公示), sign-ups, and reports through
the card with their progress."""
from marshmallow import fields, validate

from common.validation import GRID_CODE, ID, PHONE_TEXT, USERNAME, Text
from gateway.schemas.base import Label, Loose, Paged, Strict
from gateway.schemas.tickets import Location


class GridOnCard(Loose):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True)
    level_label = fields.Dict(allow_none=True)
    kind = fields.String()


class StaffOnDuty(Loose):
    name = fields.String(required=True)
    role = fields.String(required=True)
    role_label = fields.String(required=True)
    role_label_en = fields.String(required=True)


class GridCardRecord(Loose):
    grid = fields.Nested(GridOnCard, required=True)
    above = fields.List(fields.Nested(GridOnCard), required=True,
                        metadata={"description": "the grids above it, top first (district, town, community, ...)"})
    duty_phone = fields.String(allow_none=True, metadata={"description": "the grid's duty line, never a mobile"})
    service_hours = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class GridCard(GridCardRecord):
    staff = fields.List(fields.Nested(StaffOnDuty), required=True,
                        metadata={"description": "posted in the grid today: names and roles, no numbers"})
    report_url = fields.String(required=True, metadata={"description": "what the QR code holds"})
    qr = fields.Dict(required=True, metadata={"description": "{svg, png}: the QR code's addresses"})
    printable = fields.String(required=True, metadata={"description": "the A4 page to print"})


class GridCardEdit(Strict):
    duty_phone = fields.String(allow_none=True, validate=validate.Length(min=1, max=20), metadata={
        "description": "a landline with its area code, a service number or a 400/800 number; a mobile is refused",
        "example": "0512-65123456"})
    service_hours = Text(allow_none=True, validate=validate.Length(min=1, max=100),
                         metadata={"example": "工作日 8:30-17:30"})
    note = Text(allow_none=True, validate=validate.Length(min=1, max=200))


# --- residents signing themselves up -------------------------------------------------------

SIGNUP_STATUSES = {"pending": ("待审核", "pending"), "approved": ("已通过", "approved"),
                   "rejected": ("未通过", "rejected")}   # people.signups' (test_api_schemas keeps them equal)


class NewSignUp(Strict):
    username = fields.String(required=True, validate=USERNAME)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200),
                             metadata={"description": "10 characters or more, letters and digits", "writeOnly": True})
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    phone = fields.String(required=True, validate=PHONE_TEXT, metadata={"description": "a mainland mobile number"})
    address = Text(required=True, validate=validate.Length(min=2, max=200))
    grid_code = fields.String(load_default=None, allow_none=True, validate=GRID_CODE,
                              metadata={"description": "the grid (from its card's QR code): its officers check it"})


class SignUp(Loose):
    id = fields.String(required=True)
    username = fields.String(required=True)
    name = fields.String(required=True)
    phone = fields.String(required=True, metadata={"description": "masked: 139****5678"})
    address = fields.String(required=True)
    grid_code = fields.String(allow_none=True)
    verification = fields.String(required=True)
    status = fields.String(required=True)
    status_label = fields.Dict(required=True)
    reason = fields.String(allow_none=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    decided_by = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    account_id = fields.String(allow_none=True)


class SignedUp(SignUp):
    message = fields.String(required=True, metadata={"description": "what happens next"})


class SignupPath(Strict):
    signup_id = fields.String(required=True, validate=ID)


class SignupApproval(Strict):
    resident_id = fields.String(required=True, validate=ID, metadata={
        "description": "the registered resident this is, in a household of the officer's scope"})


class SignupRejection(Strict):
    reason = Text(required=True, validate=validate.Length(min=2, max=500))


class SignupListQuery(Paged):
    root = fields.String(load_default=None, validate=GRID_CODE)
    status = fields.String(load_default=None, validate=validate.OneOf(SIGNUP_STATUSES))


# --- reports through a grid's card ----------------------------------------------------------

class NewCardReport(Strict):
    category = fields.String(load_default="OT99", validate=validate.Length(min=1, max=10), metadata={
        "description": "a code of the catalogue (`GET /tickets/categories` for staff; the report form lists "
                       "them); default OT99, 其他事项", "example": "UM04"})
    description = Text(required=True, validate=validate.Length(min=4, max=1000),
                       metadata={"example": "3号楼前垃圾堆放三天无人清运"})
    location = fields.Nested(Location, load_default=None, allow_none=True,
                             metadata={"description": "where, if the phone gave it: inside the card's grid"})
    name = Text(load_default=None, allow_none=True, validate=validate.Length(max=50))
    phone = fields.String(load_default=None, allow_none=True, validate=PHONE_TEXT,
                          metadata={"description": "to be called back; without a name or phone the report is "
                                                   "anonymous"})


class CardReportReceipt(Loose):
    number = fields.String(required=True, metadata={"example": "20261206-00042"})
    grid_code = fields.String(required=True)
    category = fields.String(required=True)
    category_name = fields.String(required=True)
    status = fields.String(required=True)
    anonymous = fields.Boolean(required=True)
    review_flag = fields.String(allow_none=True, metadata={"description": "burst: waits for an officer's look"})
    tracking_code = fields.String(required=True, metadata={
        "description": "given once: follow the report with `GET /public/reports/{tracking_code}`",
        "example": "7K2M9QX4TB1D"})
    reported_at = fields.String(required=True, metadata={"format": "date-time"})


class CardReportProgress(Loose):
    number = fields.String(required=True)
    grid_code = fields.String(required=True)
    category = fields.String(required=True)
    category_name = fields.String(required=True)
    status = fields.String(required=True)
    status_label = fields.Nested(Label, required=True)
    outcome = fields.String(allow_none=True)
    outcome_label = fields.Nested(Label, allow_none=True)
    reported_at = fields.String(required=True, metadata={"format": "date-time"})
    accepted_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    resolved_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    closed_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    merged = fields.Boolean(required=True)


class TrackingPath(Strict):
    tracking_code = fields.String(required=True, validate=validate.Length(min=1, max=40),
                                  metadata={"example": "7K2M9QX4TB1D"})


class TrackQuery(Strict):
    code = fields.String(load_default=None, validate=validate.Length(max=40),
                         metadata={"description": "the tracking code; without one, the page asks for it"})
