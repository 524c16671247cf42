"""What people enter for an assessment, with its rules, free of nameko: a village's
monthly self-assessment of its grids (月度自考), a street's own items, and ratings (360°:
residents, departments, the village, the worker themself; outside raters' sheets).

Who may enter what is checked here against the actor and the facts; what the other
services know (a resident's home grid, a department's dispatches) is given by the
caller as plain values, so these rules stay testable without a broker."""
import datetime as dt
import uuid
from dataclasses import dataclass

from marshmallow import Schema, fields, validate
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from common.db import dialect_insert, utcnow
from common.errors import Conflict, Forbidden, InvalidInput
from common.roles import DISTRICT_WIDE
from common.validation import GRID_CODE, ID, Text, bounded, load
from scoring.models import PostFact, Rating, SelfAssessment, StreetItems
from scoring.periods import parse_period

# kind -> (the role that rates so, the scale's top); outside raters' sheets are entered by
# a town (their scale is the street's 100 points).
RATER_KINDS = {
    "resident": ("resident", 5),
    "department": ("department", 5),
    "village": ("community_officer", 5),
    "self": (None, 5),
    "party_rep": ("town_leader", 100),
    "retired_cadre": ("town_leader", 100),
}
OUTSIDE_KINDS = ("party_rep", "retired_cadre")


class Item(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    points = fields.Float(required=True, validate=validate.Range(min=0, max=1000))
    max_points = fields.Float(required=True, validate=validate.Range(min=0.5, max=1000))


class SelfAssessmentInput(Schema):
    month = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}$", error="must be a month: 2026-07"))
    grid_code = fields.String(required=True, validate=GRID_CODE)
    items = fields.List(fields.Nested(Item), required=True, validate=validate.Length(min=1, max=100))


class StreetItemsInput(Schema):
    period = fields.String(required=True, validate=validate.Length(min=4, max=7))
    subject_id = fields.String(required=True, validate=ID)
    items = fields.List(fields.Nested(Item), required=True, validate=validate.Length(min=1, max=100))


class RatingInput(Schema):
    period = fields.String(required=True, validate=validate.Length(min=4, max=7))
    kind = fields.String(required=True, validate=validate.OneOf(RATER_KINDS))
    subject_person_id = fields.String(required=True, validate=ID)
    score = fields.Integer(required=True, validate=bounded(0, 100))
    rater_name = Text(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))


class RatingExists(Conflict):
    code = "RATING_EXISTS"


class NotYourToRate(Forbidden):
    code = "NOT_YOURS_TO_RATE"


def _totals(items, where):
    for index, item in enumerate(items):
        if item["points"] > item["max_points"]:
            raise InvalidInput("An item's points exceed its maximum.", code="VALIDATION_FAILED",
                               details={"fields": {f"{where}.{index}.points": ["must not exceed max_points"]}})
    return sum(item["points"] for item in items), sum(item["max_points"] for item in items)


def enter_self_assessment(session, data, actor):
    """A community's monthly self-assessment of one of its grids; entering the month
    again replaces it (published assessments keep what they computed)."""
    data = load(SelfAssessmentInput, data, "self-assessment")
    period = parse_period(data["month"])
    if period.kind != "month":
        raise InvalidInput("A self-assessment is for one month.", code="VALIDATION_FAILED",
                           details={"fields": {"month": ["must be a month: 2026-07"]}})
    if actor is not None:
        actor.require_reach(data["grid_code"])
    points, max_points = _totals(data["items"], "items")
    row = {"month": data["month"], "grid_code": data["grid_code"], "items": data["items"], "points": points,
           "max_points": max_points, "entered_by": actor.username if actor else "system", "entered_at": utcnow()}
    _replace(session, SelfAssessment, row, ("month", "grid_code"))
    return row


def enter_street_items(session, data, actor, subject_grid):
    """The street's own items for a worker or a grid in a quarter; ``subject_grid``: the
    grid the subject is posted in (a worker) or is (a grid), which must be in reach."""
    data = load(StreetItemsInput, data, "street items")
    period = parse_period(data["period"])
    if period.kind != "quarter":
        raise InvalidInput("Street items are for a quarter.", code="VALIDATION_FAILED",
                           details={"fields": {"period": ["must be a quarter: 2026-Q3"]}})
    if actor is not None:
        actor.require_reach(subject_grid)
    points, max_points = _totals(data["items"], "items")
    row = {"period": data["period"], "subject_id": data["subject_id"], "items": data["items"], "points": points,
           "max_points": max_points, "entered_by": actor.username if actor else "system", "entered_at": utcnow()}
    _replace(session, StreetItems, row, ("period", "subject_id"))
    return row


def _replace(session, model, row, keys):
    insert = dialect_insert(session)(model)
    session.execute(insert.values(row).on_conflict_do_update(
        index_elements=list(keys), set_={name: insert.excluded[name] for name in row if name not in keys}))


@dataclass
class RaterContext:
    """What other services say about the rater, asked by the service before the rule:
    a resident's home grid (people), whether a department handled the subject's tickets
    (tickets), and when the rater's account was created (people; kept with the rating
    for integrity: accounts created in bulk just before a period closes)."""
    home_grid: str | None = None
    handled_by_department: bool = False
    account_created_at: dt.datetime | None = None


def posts_in_period(session, person_id, period):
    return session.execute(select(PostFact.grid_code, PostFact.role).where(
        PostFact.person_id == person_id, PostFact.start_date <= period.end_day,
        or_(PostFact.end_date.is_(None), PostFact.end_date >= period.start_day))).all()


def rate(session, data, actor, context=None):
    """Store one rating, or refuse it: a rating outside its scale, a rater not of the
    kind's role, a resident rating a worker outside their own grid, a department one it
    did not work with, a second rating by the same rater for the same person and period."""
    data = load(RatingInput, data, "rating")
    period = parse_period(data["period"])
    kind, subject = data["kind"], data["subject_person_id"]
    role, scale = RATER_KINDS[kind]
    if not 1 <= data["score"] <= scale and not (scale == 100 and data["score"] == 0):
        raise InvalidInput(f"A {kind} rating is from {1 if scale == 5 else 0} to {scale}.", code="VALIDATION_FAILED",
                           details={"fields": {"score": [f"must be from {1 if scale == 5 else 0} to {scale}"]}})
    context = context or RaterContext()
    posts = posts_in_period(session, subject, period)
    if not posts:
        raise InvalidInput("That person holds no post in the period.", code="UNKNOWN_SUBJECT",
                           details={"field": "subject_person_id"})
    _may_rate(actor, kind, role, subject, posts, context, data)
    rater_key = actor.account_id + (f":{data['rater_name']}" if kind in OUTSIDE_KINDS else "")
    rating = Rating(id=str(uuid.uuid4()), period=data["period"], kind=kind, rater_key=rater_key[:200],
                    rater_account_id=actor.account_id,
                    # an outside rater's sheet is theirs, not the officer's who typed it in
                    rater_person_id=None if kind in OUTSIDE_KINDS else actor.person_id,
                    subject_person_id=subject, score=data["score"],
                    scale_max=scale, created_at=utcnow(), rater_account_created_at=context.account_created_at)
    try:
        with session.begin_nested():
            session.add(rating)
            session.flush()
    except IntegrityError:
        raise RatingExists("This rater has rated this person for this period already.",
                           details={"period": data["period"], "kind": kind}) from None
    return rating


def _may_rate(actor, kind, role, subject, posts, context, data):
    if kind == "self":
        if actor.person_id != subject:
            raise NotYourToRate("A self-rating is the worker's own.", details={"field": "subject_person_id"})
        return
    if kind in OUTSIDE_KINDS:
        if not (actor.has_role({role}) or actor.has_role(DISTRICT_WIDE)):
            raise NotYourToRate("Outside raters' sheets are entered by the street.", details={"field": "kind"})
        if not data.get("rater_name"):
            raise InvalidInput("Name the outside rater whose sheet this is.", code="VALIDATION_FAILED",
                               details={"fields": {"rater_name": ["required for an outside rater"]}})
        if not any(actor.reaches(grid) for grid, _ in posts):
            raise Forbidden("That worker is outside your scope.", code="OUT_OF_SCOPE",
                            details={"field": "subject_person_id"})
        return
    if not actor.has_role({role}):
        raise NotYourToRate(f"A {kind} rating is given by a {role} account.", details={"field": "kind"})
    if kind == "resident":
        if not context.home_grid or not any(context.home_grid.startswith(grid) for grid, _ in posts):
            raise NotYourToRate("A resident rates the workers of their own grid.",
                                details={"field": "subject_person_id"})
    elif kind == "department":
        if not context.handled_by_department:
            raise NotYourToRate("A department rates the workers whose tickets it handled.",
                                details={"field": "subject_person_id"})
    elif kind == "village" and not any(actor.reaches(grid) for grid, _ in posts):
        raise Forbidden("That worker is outside your scope.", code="OUT_OF_SCOPE",
                        details={"field": "subject_person_id"})


def ratings_in(session, period_codes, subject_ids=None):
    """The ratings of the periods (a quarter's own and, for monthly surveys, its months)."""
    query = select(Rating).where(Rating.period.in_(list(period_codes)))
    if subject_ids is not None:
        query = query.where(Rating.subject_person_id.in_(list(subject_ids)))
    return session.scalars(query).all()
