"""Integrity (数据真实性) as the API shows it: flags with their evidence, and reviews."""
from marshmallow import fields, validate

from common.validation import GRID_CODE, ID, Text, bounded
from gateway.schemas.assessment import MOMENT, PERIOD
from gateway.schemas.base import Loose, Strict

PATTERN = validate.Regexp(r"^[a-z_]{3,40}$", error="must be a pattern key (impossible_rate, deadline_burst, ...)")
STATUSES = ("raised", "confirmed", "dismissed")


class FlagsQuery(Strict):
    root = fields.String(load_default=None, validate=GRID_CODE,
                         metadata={"description": "the subtree (default: the caller's scope)"})
    period = fields.String(load_default=None, validate=PERIOD)
    pattern = fields.String(load_default=None, validate=PATTERN)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    limit = fields.Integer(load_default=100, validate=bounded(1, 500))
    after = fields.String(load_default=None, validate=ID, metadata={"description": "the last id of the page before"})


class FlagPath(Strict):
    flag_id = fields.String(required=True, validate=ID)


class ReviewInput(Strict):
    decision = fields.String(required=True, validate=validate.OneOf(("confirm", "dismiss")))
    note = Text(required=True, validate=validate.Length(min=2, max=2000),
                metadata={"description": "why: what the auditor checked"})


class Evidence(Loose):
    kind = fields.String(required=True, metadata={"description": "ticket, patrol, visit or rating"})
    id = fields.String(required=True)
    at = fields.String(allow_none=True, metadata=MOMENT)
    text = fields.String(allow_none=True, metadata={"description": "the ticket's description or the visit's notes, "
                                                                  "from their owner"})


class Review(Loose):
    decision = fields.String(required=True)
    note = fields.String(required=True)
    reviewer = fields.String(required=True)
    deduction = fields.Float(required=True)
    reviewed_at = fields.String(required=True, metadata=MOMENT)


class FlagView(Loose):
    id = fields.String(required=True)
    pattern = fields.String(required=True)
    pattern_name = fields.Dict(metadata={"description": "zh and en"})
    person_id = fields.String(required=True)
    grid_code = fields.String(required=True)
    period = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    figures = fields.Dict(required=True, metadata={"description": "the numbers that crossed the threshold, and it"})
    raised_at = fields.String(required=True, metadata=MOMENT)
    reviewed_at = fields.String(allow_none=True, metadata=MOMENT)
    reviewed_by = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    deduction = fields.Float(required=True, metadata={"description": "points a confirmed flag takes off"})
    evidence_count = fields.Integer(required=True)
    evidence = fields.List(fields.Nested(Evidence))
    texts_missing = fields.List(fields.String(), metadata={"description": "kinds whose owner did not answer"})
    reviews = fields.List(fields.Nested(Review))


class FlagPage(Loose):
    items = fields.List(fields.Nested(FlagView), required=True)
    next = fields.String(allow_none=True, required=True)
    counts = fields.Dict(metadata={"description": "flags by status in the subtree and period"})


class ScanInput(Strict):
    scope = fields.String(required=True, validate=GRID_CODE)
    period = fields.String(required=True, validate=PERIOD, metadata={"description": "a month or a quarter"})


class ScanFigures(Loose):
    people = fields.Integer(required=True)
    facts = fields.Integer(required=True)
    flags_seen = fields.Integer(required=True)
    flags_new = fields.Integer(required=True)
    load_seconds = fields.Float(required=True)
    detect_seconds = fields.Float(required=True)
    store_seconds = fields.Float(required=True)


class ThresholdsInput(Loose):
    """Judged by scoring alone (its 400 names the failing path)."""
    patterns = fields.Dict()
    deductions = fields.Dict()


class ThresholdsView(Loose):
    version = fields.Integer(required=True, metadata={"description": "0: the shipped defaults"})
    created_at = fields.String(allow_none=True, metadata=MOMENT)
    created_by = fields.String(allow_none=True)
    document = fields.Dict(required=True)
    rows = fields.List(fields.Dict(), required=True, metadata={"description": "one per threshold: value, unit, why"})
