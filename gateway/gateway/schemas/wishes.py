"""Small wishes (点亮微心愿) as the API shows them. The vocabularies and bounds are the
people service's (people.wishes); tests/unit/test_api_schemas.py keeps them equal."""
from marshmallow import fields, validate

from common.validation import GRID_CODE, Text, bounded
from gateway.schemas.assessment import MOMENT
from gateway.schemas.base import ID, Loose, Strict

CATEGORIES = ("goods", "service", "paperwork", "other")
STATUSES = ("posted", "approved", "rejected", "claimed", "fulfilled", "confirmed", "withdrawn")
TITLE_MAX, DESCRIPTION_MAX, NOTE_MAX = 50, 1000, 500
NO_NUMBERS = "no phone or ID number (400 naming the field otherwise)"


class WishPath(Strict):
    wish_id = fields.String(required=True, validate=ID)


class NewWish(Strict):
    title = Text(required=True, validate=validate.Length(min=2, max=TITLE_MAX),
                 metadata={"example": "为行动不便的母亲借一辆轮椅", "description": f"short; {NO_NUMBERS}"})
    description = Text(required=True, validate=validate.Length(min=2, max=DESCRIPTION_MAX),
                       metadata={"description": f"what would help, for the volunteer who fulfils it; {NO_NUMBERS}"})
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES),
                             metadata={"description": "goods 物品, service 服务, paperwork 代办帮办, other 其他"})


class Rejection(Strict):
    reason = Text(required=True, validate=validate.Length(min=2, max=NOTE_MAX),
                  metadata={"description": f"shown to the poster; {NO_NUMBERS}"})


class Fulfilment(Strict):
    note = Text(required=True, validate=validate.Length(min=2, max=NOTE_MAX),
                metadata={"example": "轮椅已送到家中", "description": f"what was done; {NO_NUMBERS}"})


class WishListQuery(Strict):
    root = fields.String(load_default=None, validate=GRID_CODE,
                         metadata={"description": "staff: the subtree (default: the caller's scope); a resident "
                                                  "gives none and reads their own"})
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    after = fields.String(load_default=None, validate=ID, metadata={"description": "the next of the page before"})
    limit = fields.Integer(load_default=100, validate=bounded(1, 1000))


class Poster(Loose):
    name = fields.String(required=True)
    phone = fields.String(allow_none=True, metadata={"description": "masked (139****5678)"})
    address = fields.String(allow_none=True, metadata={"description": "the household's address"})


class Wish(Loose):
    id = fields.String(required=True)
    grid_code = fields.String(required=True, metadata={"description": "the poster's home grid"})
    community_code = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    category = fields.String(required=True)
    category_label = fields.Dict(required=True)
    status = fields.String(required=True)
    status_label = fields.Dict(required=True)
    yours = fields.Boolean(required=True, metadata={"description": "the caller posted it"})
    poster = fields.Nested(Poster, allow_none=True, required=True, metadata={
        "description": "for the poster, supervisors and auditors, and the claimant while the wish is theirs to "
                       "fulfil (claimed, fulfilled); otherwise null. Never an ID number"})
    poster_shown = fields.Boolean(required=True)
    reviewed_by = fields.String(allow_none=True, metadata={"description": "who approved or rejected it"})
    reviewed_at = fields.String(allow_none=True, metadata=MOMENT)
    reject_reason = fields.String(allow_none=True)
    claimed_by_person_id = fields.String(allow_none=True)
    claimant_name = fields.String(allow_none=True)
    claimed_at = fields.String(allow_none=True, metadata=MOMENT)
    fulfil_note = fields.String(allow_none=True)
    fulfilled_at = fields.String(allow_none=True, metadata=MOMENT)
    confirmed_at = fields.String(allow_none=True, metadata=MOMENT)
    withdrawn_at = fields.String(allow_none=True, metadata=MOMENT)
    points = fields.Integer(allow_none=True, metadata={"description": "credited to the claimant on confirmation"})
    posted_at = fields.String(required=True, metadata=MOMENT)
    updated_at = fields.String(required=True, metadata=MOMENT)
    version = fields.Integer(required=True)


class WishPage(Loose):
    items = fields.List(fields.Nested(Wish), required=True)
    next = fields.String(allow_none=True, required=True, metadata={"description": "pass as `after`; null: last page"})


class WishCounts(Loose):
    posted = fields.Integer(required=True)
    approved = fields.Integer(required=True, metadata={"description": "open to claim"})
    rejected = fields.Integer(required=True)
    claimed = fields.Integer(required=True)
    fulfilled = fields.Integer(required=True)
    confirmed = fields.Integer(required=True)
    withdrawn = fields.Integer(required=True)
    open = fields.Integer(required=True, metadata={"description": "not yet confirmed, rejected or withdrawn"})
    points = fields.Integer(required=True, metadata={"description": "credited to claimants"})


class CommunityWishes(WishCounts):
    community_code = fields.String(required=True)
    name = fields.String(allow_none=True)


class WishSummary(Loose):
    root = fields.String(allow_none=True, required=True, metadata={"description": "null: the whole district"})
    communities = fields.List(fields.Nested(CommunityWishes), required=True)
    total = fields.Nested(WishCounts, required=True)
