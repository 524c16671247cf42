from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from common.validation import GRID_CODE, Text
from grid.levels import KINDS, UNIT_TYPES, ZONE_TYPES
from grid.places import PLACE_TYPES

# Households or people in one grid. The largest districts hold a few million people; the
# bound keeps every number, and a merge's sum, far inside PostgreSQL's integer (a number
# past 2^31 was a 500).
MAX_COUNT = 100_000_000
COUNT = validate.Range(min=0, max=MAX_COUNT)


class GridInputSchema(Schema):
    """A grid as clients send it (one at a time or as GeoJSON feature properties)."""
    code = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    level = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))
    kind = fields.String(load_default="basic", validate=validate.OneOf(KINDS))
    unit_type = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(UNIT_TYPES))
    zone_type = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ZONE_TYPES))
    parent_code = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    households = fields.Integer(load_default=None, allow_none=True, validate=COUNT)
    population = fields.Integer(load_default=None, allow_none=True, validate=COUNT)
    geometry = fields.Dict(load_default=None, allow_none=True)

    @validates_schema
    def _kind_details(self, data, **_):
        if data.get("kind") == "exclusive" and not data.get("unit_type"):
            raise ValidationError("an exclusive grid needs its unit_type", "unit_type")
        if data.get("kind") == "basic" and data.get("unit_type"):
            raise ValidationError("only exclusive grids have a unit_type", "unit_type")
        if not data.get("code") and not data.get("parent_code"):
            raise ValidationError("give the code, or the parent_code to number it under", "code")


class GridSchema(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()
    depth = fields.Integer()
    kind = fields.String()
    unit_type = fields.String(allow_none=True)
    zone_type = fields.String(allow_none=True)
    parent_code = fields.String(allow_none=True)
    households = fields.Integer(allow_none=True)
    population = fields.Integer(allow_none=True)
    area_m2 = fields.Float(allow_none=True)
    # a map fits the grid's extent before asking its shapes, at the zoom that extent needs
    bbox = fields.Method("_bbox")
    status = fields.String()
    valid_from = fields.AwareDateTime()
    valid_to = fields.AwareDateTime(allow_none=True)

    @staticmethod
    def _bbox(grid):
        box = [getattr(grid, name, None) for name in ("min_lon", "min_lat", "max_lon", "max_lat")]
        return None if None in box else box


class GridWithGeometrySchema(GridSchema):
    geometry = fields.Dict(allow_none=True)


class SplitPartSchema(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    geometry = fields.Dict(required=True)
    households = fields.Integer(load_default=None, allow_none=True, validate=COUNT)
    population = fields.Integer(load_default=None, allow_none=True, validate=COUNT)
    zone_type = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ZONE_TYPES))


class SplitSchema(Schema):
    parts = fields.List(fields.Nested(SplitPartSchema), required=True, validate=validate.Length(min=2))


class MergeSchema(Schema):
    codes = fields.List(fields.String(validate=GRID_CODE), required=True, validate=validate.Length(min=2, max=100))
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    unit_type = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(UNIT_TYPES))


class PlaceInputSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(PLACE_TYPES))
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    address = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    crs = fields.String(load_default="wgs84", validate=validate.OneOf(["wgs84", "gcj02"]))


class PlaceSchema(Schema):
    id = fields.String()
    code = fields.String()
    type = fields.String()
    name = fields.String()
    address = fields.String(allow_none=True)
    lon = fields.Float()
    lat = fields.Float()
    grid_code = fields.String()
    group_rental = fields.Boolean()
    group_rental_marked_at = fields.DateTime(allow_none=True)


class GridCardInput(Schema):
    duty_phone = fields.String(allow_none=True, validate=validate.Length(min=1, max=20))
    service_hours = Text(allow_none=True, validate=validate.Length(min=1, max=100))
    note = Text(allow_none=True, validate=validate.Length(min=1, max=200))

    @validates_schema
    def something(self, data, **kwargs):
        if not data:
            raise ValidationError("give at least one of duty_phone, service_hours, note", "_schema")


class GroupRentalInput(Schema):
    group_rental = fields.Boolean(required=True)


class GridLabelsQuery(Schema):
    """Codes to label: any text (a code no grid has is left out of the answer), at
    most 20,000 of them."""
    codes = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True,
                        validate=validate.Length(max=20000))
