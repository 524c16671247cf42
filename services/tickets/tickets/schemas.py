from marshmallow import Schema, fields, validate

SOURCES = ("grid_patrol", "resident_report", "hotline_12345", "department_referral", "media")


class NewTicketSchema(Schema):
    grid_code = fields.String(required=True, validate=validate.Regexp(r"^\d{6,24}$", error="must be a grid code"))
    description = fields.String(required=True, validate=validate.Length(min=2, max=2000))
    source = fields.String(load_default="grid_patrol", validate=validate.OneOf(SOURCES))
    reporter_account_id = fields.String(load_default=None, allow_none=True)


class TicketSchema(Schema):
    id = fields.String()
    number = fields.String()
    grid_code = fields.String()
    source = fields.String()
    description = fields.String()
    status = fields.String()
    reporter_account_id = fields.String(allow_none=True)
    reported_at = fields.AwareDateTime()
    version = fields.Integer()
