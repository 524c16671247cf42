"""What the gateway accepts from clients. Services validate again at their own
boundary; checking here gives the client every field error in one answer."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from common.shanghai import shanghai_date
from common.validation import DAY_IN_RANGE, GRID_CODE, DayRange, Moment


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class NewTicketRequest(Schema):
    """Only the shape; the tickets service validates every field."""
    class Meta:
        unknown = "include"


class LocateQuery(Schema):
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    crs = fields.String(load_default="wgs84", validate=validate.OneOf(["wgs84", "gcj02"]))
    at = Moment(load_default=None)


class PlaceLocation(Schema):
    """The parts of a new place the gateway needs for the scope check; the grid
    service validates the whole place."""
    class Meta:
        unknown = "include"

    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    crs = fields.String(load_default="wgs84", validate=validate.OneOf(["wgs84", "gcj02"]))


class RootQuery(Schema):
    root = fields.String(required=True, validate=GRID_CODE)


class GridDetailQuery(Schema):
    geometry = fields.Boolean(load_default=False)


class PlaceListQuery(Schema):
    root = fields.String(load_default=None, validate=GRID_CODE)
    type = fields.String(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class GridQuery(Schema):
    parent = fields.String(load_default=None, validate=GRID_CODE)
    level = fields.String(load_default=None)
    kind = fields.String(load_default=None)


class SubtreeQuery(Schema):
    root = fields.String(load_default=None, validate=GRID_CODE)


class PatrolListQuery(Schema):
    root = fields.String(load_default=None, validate=GRID_CODE)
    person_id = fields.String(load_default=None)
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class PeriodQuery(DayRange):
    """``from`` and ``to``: days in Asia/Shanghai, both included."""
    start = fields.Date(load_default=None, data_key="from", validate=DAY_IN_RANGE)
    end = fields.Date(load_default=None, data_key="to", validate=DAY_IN_RANGE)


class TicketListQuery(PeriodQuery):
    """Values of status, grade, source and level are checked by tickets, which owns them."""
    root = fields.String(load_default=None, validate=GRID_CODE)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    responsible = fields.String(load_default=None, validate=validate.Length(min=1, max=36))  # a person id
    status = fields.String(load_default=None, validate=validate.Length(min=1, max=200))  # "open" or "a,b"
    category = fields.String(load_default=None, validate=validate.Length(min=1, max=10))
    grade = fields.String(load_default=None, validate=validate.Length(min=1, max=10))
    source = fields.String(load_default=None, validate=validate.Length(min=1, max=30))
    level = fields.String(load_default=None, validate=validate.Length(min=1, max=12))
    overdue = fields.Boolean(load_default=False)
    before = fields.String(load_default=None, validate=validate.Length(min=1, max=200))  # the last page's next


class AssignmentQuery(Schema):
    root = fields.String(load_default=None, validate=GRID_CODE)
    person_id = fields.String(load_default=None)
    on = fields.Date(load_default=None, validate=DAY_IN_RANGE)


class RevealQuery(Schema):
    reveal = fields.Boolean(load_default=False)


class StatisticsQuery(PeriodQuery):
    """Without ``to`` a period ends today (Shanghai), so ``from`` must not be later."""
    root = fields.String(load_default=None, validate=GRID_CODE)

    @validates_schema
    def _not_after_today(self, data, **_):
        if data.get("start") and not data.get("end") and data["start"] > shanghai_date():
            raise ValidationError("must not be after today when to is not given", "from")
