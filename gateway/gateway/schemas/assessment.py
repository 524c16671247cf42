"""Assessment (考核) as the API shows it: plans, entries, assessments and their results,
rankings, consequences. Entries mirror scoring's own schemas (test_api_schemas holds
them equal); a plan document is judged by scoring alone (its 400 names every path)."""
from marshmallow import fields, validate

from common.validation import GRID_CODE, ID, Text, bounded
from gateway.schemas.base import Loose, Paged, Strict

PERIOD = validate.Regexp(r"^[0-9]{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$",
                         error="must be a year (2026), a quarter (2026-Q3) or a month (2026-07)")
RATER_KINDS = ("resident", "department", "village", "self", "party_rep", "retired_cadre")
MOMENT = {"format": "date-time"}


# --- bodies -------------------------------------------------------------------------------

class PlanDocument(Strict):
    """A plan: see README (Assessment) for the rules of each field."""
    class Meta(Strict.Meta):
        unknown = "include"

    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,39}$"),
                         metadata={"example": "gaochun-street"})
    name = fields.Dict(required=True, metadata={"description": "{\"zh\": ..., \"en\": ...}"})
    subject = fields.String(required=True, validate=validate.OneOf(("worker", "grid")))
    period = fields.String(required=True, validate=validate.OneOf(("month", "quarter", "year")))
    parts = fields.List(fields.Dict(), required=True, metadata={
        "description": "weighted parts adding up to 100: indicators, self_assessments, items, ratings, mix, "
                       "ticket_satisfaction, survey, quarterly_results"})
    bound = fields.Dict(load_default=None, allow_none=True,
                        metadata={"description": "{\"chief_takes_workers\", \"worker_takes_grid\"}: shares 0..1"})
    ranking = fields.Dict(load_default=None, allow_none=True,
                          metadata={"description": "{\"min_volume\", \"prior_weight\", \"commend_top\", \"remind_bottom\"}"})
    bands = fields.List(fields.Dict(), load_default=None, metadata={"description": "[{\"key\", \"min\", \"zh\", \"en\"}], descending"})
    pay_tiers = fields.List(fields.Dict(), load_default=None, metadata={"description": "[{\"band\", \"tier\"}]"})
    consequences = fields.Dict(load_default=None, allow_none=True)
    why = fields.String(load_default=None, allow_none=True)


class Item(Strict):
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    points = fields.Float(required=True, validate=validate.Range(min=0, max=1000))
    max_points = fields.Float(required=True, validate=validate.Range(min=0.5, max=1000))


class SelfAssessmentInput(Strict):
    month = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}$", error="must be a month: 2026-07"))
    grid_code = fields.String(required=True, validate=GRID_CODE)
    items = fields.List(fields.Nested(Item), required=True, validate=validate.Length(min=1, max=100))


class StreetItemsInput(Strict):
    period = fields.String(required=True, validate=validate.Length(min=4, max=7))
    subject_id = fields.String(required=True, validate=ID,
                               metadata={"description": "a worker's person id, or a grid code"})
    items = fields.List(fields.Nested(Item), required=True, validate=validate.Length(min=1, max=100))


class RatingInput(Strict):
    period = fields.String(required=True, validate=validate.Length(min=4, max=7))
    kind = fields.String(required=True, validate=validate.OneOf(RATER_KINDS))
    subject_person_id = fields.String(required=True, validate=ID)
    score = fields.Integer(required=True, validate=bounded(0, 100),
                           metadata={"description": "1-5; 0-100 for an outside rater's sheet"})
    rater_name = Text(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100),
                      metadata={"description": "the outside rater whose sheet this is"})


class RunInput(Strict):
    plan = fields.String(required=True, validate=validate.Length(min=2, max=40))
    plan_version = fields.Integer(load_default=None, allow_none=True, validate=bounded(1, 10000),
                                  metadata={"description": "default: the latest"})
    period = fields.String(required=True, validate=PERIOD)
    scope = fields.String(required=True, validate=GRID_CODE)


class CorrectionInput(Strict):
    reason = Text(required=True, validate=validate.Length(min=1, max=2000))


# --- queries ----------------------------------------------------------------------------

class AssessmentQuery(Paged):
    plan = fields.String(load_default=None, validate=validate.Length(min=2, max=40))
    period = fields.String(load_default=None, validate=PERIOD)
    scope = fields.String(load_default=None, validate=GRID_CODE)


class ResultsQuery(Strict):
    subject = fields.String(load_default=None, validate=ID,
                            metadata={"description": "one subject; a worker reads only their own"})


class ResultsPageQuery(ResultsQuery, Paged):
    pass


class RankingQuery(Paged):
    plan = fields.String(required=True, validate=validate.Length(min=2, max=40))
    period = fields.String(required=True, validate=PERIOD)
    scope = fields.String(required=True, validate=GRID_CODE)


class ConsequencesQuery(Strict):
    plan = fields.String(required=True, validate=validate.Length(min=2, max=40))
    year = fields.Integer(required=True, validate=bounded(2000, 2099))
    scope = fields.String(required=True, validate=GRID_CODE)


class ExportQuery(Strict):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(("xlsx", "csv")))


class PlanPath(Strict):
    code = fields.String(required=True, validate=validate.Length(min=2, max=40))


class AssessmentPath(Strict):
    assessment_id = fields.String(required=True, validate=ID)


# --- answers ---------------------------------------------------------------------------------

class PlanSummary(Loose):
    code = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.Dict(required=True)
    subject = fields.String(required=True)
    period = fields.String(required=True)
    created_at = fields.String(required=True, metadata=MOMENT)
    created_by = fields.String(required=True)


class PlanVersion(PlanSummary):
    document = fields.Dict(required=True)


class SelfAssessment(Loose):
    month = fields.String(required=True)
    grid_code = fields.String(required=True)
    items = fields.List(fields.Dict(), required=True)
    points = fields.Float(required=True)
    max_points = fields.Float(required=True)
    entered_by = fields.String(required=True)
    entered_at = fields.String(required=True, metadata=MOMENT)


class StreetItems(Loose):
    period = fields.String(required=True)
    subject_id = fields.String(required=True)
    items = fields.List(fields.Dict(), required=True)
    points = fields.Float(required=True)
    max_points = fields.Float(required=True)
    entered_by = fields.String(required=True)
    entered_at = fields.String(required=True, metadata=MOMENT)


class RatingView(Loose):
    id = fields.String(required=True)
    period = fields.String(required=True)
    kind = fields.String(required=True)
    subject_person_id = fields.String(required=True)
    score = fields.Integer(required=True)
    scale_max = fields.Integer(required=True)
    created_at = fields.String(required=True, metadata=MOMENT)


class AssessmentSummary(Loose):
    subjects = fields.Integer(required=True)
    mean = fields.Float(allow_none=True)
    commended = fields.Integer(required=True)
    reminded = fields.Integer(required=True)


class AssessmentView(Loose):
    id = fields.String(required=True)
    plan = fields.String(required=True)
    plan_version = fields.Integer(required=True)
    period = fields.String(required=True)
    scope = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("draft", "published", "superseded")))
    reason = fields.String(allow_none=True)
    summary = fields.Nested(AssessmentSummary, required=True)
    created_at = fields.String(required=True, metadata=MOMENT)
    created_by = fields.String(required=True)
    published_at = fields.String(allow_none=True, metadata=MOMENT)
    published_by = fields.String(allow_none=True)


class ResultView(Loose):
    subject_kind = fields.String(required=True, validate=validate.OneOf(("worker", "grid")))
    subject_id = fields.String(required=True)
    name = fields.String(allow_none=True, metadata={"description": "the worker's or the grid's name"})
    grid_code = fields.String(allow_none=True)
    grid_name = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    own_score = fields.Float(required=True, metadata={"description": "what the plan's parts give"})
    score = fields.Float(required=True, metadata={"description": "after bound assessment (捆绑考核)"})
    ranked_score = fields.Float(required=True, metadata={"description": "shrunk toward the scope's mean by volume"})
    rank = fields.Integer(required=True, metadata={"description": "ties share a rank: 1, 2, 2, 4"})
    band = fields.String(allow_none=True)
    pay_tier = fields.String(allow_none=True)
    volume = fields.Integer(required=True)
    eligible = fields.Boolean(required=True)
    commended = fields.Boolean(required=True)
    reminded = fields.Boolean(required=True)
    bound = fields.Dict(allow_none=True)
    members = fields.List(fields.Dict())
    breakdown = fields.Dict(metadata={"description": "every part and indicator: raw value, volume, points, weight, "
                                                     "contribution, share of the total, the facts behind it"})


class Results(Loose):
    assessment = fields.Nested(AssessmentView, required=True)
    items = fields.List(fields.Nested(ResultView), required=True)
    next = fields.String(required=True, allow_none=True, metadata={
        "description": "pass as `after` for the page after this one; null on the last page"})


class Refs(Loose):
    subject_id = fields.String(required=True)
    tickets_reported = fields.List(fields.String(), required=True)
    tickets_resolved = fields.List(fields.String(), required=True)
    tickets_rated = fields.List(fields.String(), required=True)
    patrols = fields.List(fields.String(), required=True)
    visits = fields.List(fields.String(), required=True)
    sentiments = fields.List(fields.String(), required=True)
    party_service = fields.List(fields.String(), required=True,
                                metadata={"description": "entries of service under two-way registration (双报到)"})
    wishes = fields.List(fields.String(), required=True, metadata={"description": "small wishes fulfilled (点亮微心愿)"})
    service_days = fields.List(fields.String(), required=True,
                               metadata={"description": "sign-ins at grid service days (网格服务日)"})


class Listed(Loose):
    subject_id = fields.String(required=True)
    grid_code = fields.String(allow_none=True)
    score = fields.Float(required=True)
    band = fields.String(allow_none=True)
    tier = fields.String(allow_none=True)
    years = fields.List(fields.List(fields.Raw()))


class Consequences(Loose):
    year = fields.Integer(required=True)
    contract_review = fields.List(fields.Nested(Listed), required=True, metadata={"description": "解聘审查"})
    reserve_candidates = fields.List(fields.Nested(Listed), required=True, metadata={"description": "后备干部"})
    reserve_pool = fields.List(fields.Nested(Listed), required=True, metadata={"description": "优先纳入后备库"})
    party_candidates = fields.List(fields.Nested(Listed), required=True, metadata={"description": "优先入党"})
    employment_contract = fields.List(fields.Nested(Listed), required=True, metadata={"description": "优先签订聘用合同"})
    pay_tiers = fields.List(fields.Nested(Listed), required=True, metadata={"description": "以分定绩、以绩取酬"})
