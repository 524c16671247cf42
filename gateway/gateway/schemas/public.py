"""What the public door shows: a grid's card (上岗公示)."""
from marshmallow import fields, validate

from common.validation import Text
from gateway.schemas.base import Loose, Strict


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
