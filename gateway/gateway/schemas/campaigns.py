"""Campaign tasks (专项任务) as the API shows them."""
from marshmallow import fields, validate

from common.validation import DAY_IN_RANGE, GRID_CODE, ID, Text, bounded
from gateway.schemas.assessment import MOMENT
from gateway.schemas.base import Loose, Paged, Strict


class CampaignPath(Strict):
    campaign_id = fields.String(required=True, validate=ID)


class NewCampaign(Strict):
    title = Text(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "安装国家反诈中心APP"})
    description = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    scope = fields.String(required=True, validate=GRID_CODE,
                          metadata={"description": "the grid whose households the task covers, in the caller's scope"})
    due_date = fields.Date(load_default=None, allow_none=True, validate=DAY_IN_RANGE,
                           metadata={"description": "today or later"})


class NewTick(Strict):
    household_id = fields.String(required=True, validate=ID)
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))


class CampaignListQuery(Paged):
    root = fields.String(load_default=None, validate=GRID_CODE,
                         metadata={"description": "campaigns over, inside or above it (default: the caller's scope)"})
    status = fields.String(load_default=None, validate=validate.OneOf(("open", "closed")))


class CampaignHouseholdsQuery(Strict):
    status = fields.String(load_default=None, validate=validate.OneOf(("pending", "done")))
    after = fields.String(load_default=None, validate=ID, metadata={"description": "the next of the page before"})
    limit = fields.Integer(load_default=100, validate=bounded(1, 1000))


class GridProgress(Loose):
    grid_code = fields.String(required=True)
    households = fields.Integer(required=True)
    done = fields.Integer(required=True)
    rate = fields.Float(allow_none=True, metadata={"description": "done / households; null without households"})


class Progress(Loose):
    part = fields.String(required=True, metadata={"description": "the subtree counted: the caller's part"})
    households = fields.Integer(required=True)
    done = fields.Integer(required=True)
    rate = fields.Float(allow_none=True)
    grids = fields.List(fields.Nested(GridProgress), required=True)


class Campaign(Loose):
    id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(allow_none=True)
    scope = fields.String(required=True)
    status = fields.String(required=True)
    status_label = fields.Dict(required=True)
    due_date = fields.String(allow_none=True, metadata={"format": "date"})
    launched_by = fields.String(required=True)
    launched_at = fields.String(required=True, metadata=MOMENT)
    closed_at = fields.String(allow_none=True, metadata=MOMENT)


class CampaignWithProgress(Campaign):
    progress = fields.Nested(Progress, required=True)


class Tick(Loose):
    household_id = fields.String(required=True)
    grid_code = fields.String(required=True)
    person_id = fields.String(allow_none=True)
    ticked_by = fields.String(required=True)
    note = fields.String(allow_none=True)
    ticked_at = fields.String(required=True, metadata=MOMENT)


class Ticked(Loose):
    tick = fields.Nested(Tick, required=True)
    created = fields.Boolean(required=True, metadata={"description": "false: ticked already, the first tick"})


class CampaignHousehold(Loose):
    household_id = fields.String(required=True)
    grid_code = fields.String(required=True)
    address = fields.String(allow_none=True)
    place_code = fields.String(required=True)
    tick = fields.Nested(Tick, allow_none=True, required=True)


class CampaignHouseholdPage(Loose):
    items = fields.List(fields.Nested(CampaignHousehold), required=True)
    next = fields.String(allow_none=True, required=True)
