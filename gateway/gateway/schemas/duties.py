"""Duties (职责) as the API shows them: the visit and patrol targets, and the
coverage report (巡查走访)."""
from marshmallow import fields, validate

from common.validation import DAY_IN_RANGE, GRID_CODE, ID, bounded
from gateway.schemas.assessment import MOMENT, PERIOD
from gateway.schemas.base import Loose, Strict
from gateway.schemas.people import TAGS

DAY = {"format": "date"}


class TargetsInput(Loose):
    """Judged by people alone (its 400 names the failing path)."""
    roles = fields.Dict(required=True, metadata={
        "description": "{post role: {grid class (basic, exclusive or a zone type): {visits: {share 0-1, every_months 1-12, why}, "
                       "patrols: {per_week 0-100, why}}}}"})
    why = fields.String()


class TargetsView(Loose):
    version = fields.Integer(required=True, metadata={"description": "0: the shipped default"})
    created_at = fields.String(allow_none=True, metadata=MOMENT)
    created_by = fields.String(allow_none=True)
    document = fields.Dict(required=True)
    rows = fields.List(fields.Dict(), required=True, metadata={"description": "one per target: value and why"})


class CoverageQuery(Strict):
    root = fields.String(load_default=None, validate=GRID_CODE,
                         metadata={"description": "the subtree (default: the caller's scope)"})
    period = fields.String(required=True, validate=PERIOD)
    limit = fields.Integer(load_default=100, validate=bounded(1, 1000),
                           metadata={"description": "households not visited, a page"})
    after = fields.String(load_default=None, validate=ID,
                          metadata={"description": "the households' next of the page before"})


class CoverageFigures(Loose):
    households = fields.Integer(required=True)
    visited = fields.Integer(required=True, metadata={"description": "households visited in the period"})
    not_visited = fields.Integer(required=True)
    coverage = fields.Float(allow_none=True, required=True, metadata={"description": "visited / households"})
    visits = fields.Integer(required=True)
    patrols = fields.Integer(required=True, metadata={"description": "rounds located in it"})
    workers = fields.Integer(required=True, metadata={"description": "people with a target posted in it"})
    workers_below_target = fields.Integer(required=True)


class GridCoverage(CoverageFigures):
    name = fields.String(required=True)
    kind = fields.String(required=True)


class WorkerBelowTarget(Loose):
    person_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    roles = fields.List(fields.String(), required=True)
    grid_codes = fields.List(fields.String(), required=True)
    households = fields.Integer(required=True, metadata={"description": "registered in the worker's grids"})
    households_visited = fields.Integer(required=True)
    households_needed = fields.Integer(required=True, metadata={"description": "the target, for the days posted"})
    patrols = fields.Integer(required=True)
    patrols_needed = fields.Integer(required=True)
    patrols_per_week = fields.Float(allow_none=True, required=True)
    patrols_per_week_target = fields.Float(allow_none=True, required=True)
    below = fields.List(fields.String(validate=validate.OneOf(("visits", "patrols"))), required=True)


class HouseholdNotVisited(Loose):
    household_id = fields.String(required=True)
    grid_code = fields.String(required=True)
    place_code = fields.String(required=True)
    address = fields.String(allow_none=True)
    residents = fields.Integer(required=True)
    last_visited_at = fields.String(allow_none=True, required=True,
                                    metadata={**MOMENT, "description": "the last visit before the period; null: never"})


class HouseholdsNotVisited(Loose):
    items = fields.List(fields.Nested(HouseholdNotVisited), required=True)
    next = fields.String(allow_none=True, required=True, metadata={"description": "pass as after for the next page"})


class CoverageReport(Loose):
    root = fields.String(required=True)
    period = fields.String(required=True)
    start = fields.String(required=True, metadata=DAY)
    end = fields.String(required=True, metadata=DAY)
    days_so_far = fields.Integer(required=True, metadata={"description": "the period's days up to today"})
    targets_version = fields.Integer(required=True)
    total = fields.Nested(CoverageFigures, required=True)
    by_town = fields.Dict(keys=fields.String(), values=fields.Nested(CoverageFigures), required=True)
    by_community = fields.Dict(keys=fields.String(), values=fields.Nested(CoverageFigures), required=True)
    by_grid = fields.Dict(keys=fields.String(), values=fields.Nested(GridCoverage), required=True)
    workers_below_target = fields.List(fields.Nested(WorkerBelowTarget), required=True)
    households_not_visited = fields.Nested(HouseholdsNotVisited, required=True)


# --- follow-up of special groups and group rentals (特殊人群, 群租房) ----------------------

class FollowUpQuery(Strict):
    root = fields.String(load_default=None, validate=GRID_CODE,
                         metadata={"description": "the subtree (default: the caller's scope)"})
    tag = fields.String(load_default=None, validate=validate.OneOf(TAGS),
                        metadata={"description": "one special group; group rentals are left out then"})
    as_of = fields.Date(load_default=None, validate=DAY_IN_RANGE, metadata={
        "description": "who will be overdue by the end of this day (today or later; default: now)"})
    limit = fields.Integer(load_default=100, validate=bounded(1, 1000),
                           metadata={"description": "the most overdue of each list"})


class ResidentOverdue(Loose):
    resident_id = fields.String(required=True)
    name = fields.String(required=True)
    grid_code = fields.String(required=True)
    household_id = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    tags = fields.List(fields.String(), required=True, metadata={"description": "the groups followed up"})
    tag_labels = fields.Dict(required=True)
    every_days = fields.Integer(required=True, metadata={"description": "the strictest cadence of its groups"})
    last_follow_up_at = fields.String(allow_none=True, metadata={
        **MOMENT, "description": "the last visit to the resident's household; null: none since registered"})
    due_at = fields.String(required=True, metadata=MOMENT)
    days_overdue = fields.Integer(required=True)


class RentalOverdue(Loose):
    place_code = fields.String(required=True)
    name = fields.String(required=True)
    grid_code = fields.String(required=True)
    every_days = fields.Integer(required=True)
    last_follow_up_at = fields.String(allow_none=True, metadata=MOMENT)
    due_at = fields.String(required=True, metadata=MOMENT)
    days_overdue = fields.Integer(required=True)


class FollowUpGrid(Loose):
    grid_code = fields.String(required=True)
    followed = fields.Integer(required=True, metadata={"description": "residents of a group with a cadence"})
    overdue = fields.Integer(required=True)
    rentals = fields.Integer(required=True)
    rentals_overdue = fields.Integer(required=True)


class FollowUpReport(Loose):
    root = fields.String(required=True)
    as_of = fields.String(required=True, metadata=MOMENT)
    cadences = fields.Dict(required=True, metadata={"description": "{tag: days between follow-ups}, from the targets"})
    group_rental_days = fields.Integer(allow_none=True)
    residents_overdue = fields.List(fields.Nested(ResidentOverdue), required=True)
    residents_overdue_total = fields.Integer(required=True)
    group_rentals_overdue = fields.List(fields.Nested(RentalOverdue), required=True)
    group_rentals_overdue_total = fields.Integer(required=True)
    grids = fields.List(fields.Nested(FollowUpGrid), required=True)
