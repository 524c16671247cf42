from marshmallow import Schema, fields, validate

KINDS = ("basic", "exclusive")


class GridSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6,24}$", error="must be 6-24 digits"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    level = fields.String(dump_only=True)
    depth = fields.Integer(dump_only=True)
    kind = fields.String(load_default="basic", validate=validate.OneOf(KINDS))
    parent_code = fields.String(load_default=None, allow_none=True)
    households = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    population = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    status = fields.String(dump_only=True)
    valid_from = fields.AwareDateTime(dump_only=True)
    valid_to = fields.AwareDateTime(dump_only=True, allow_none=True)


class GridQuerySchema(Schema):
    parent = fields.String(load_default=None)
    level = fields.String(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
