"""The grid registry as the API shows it: grids, their geometry, places, reports."""
from marshmallow import fields, validate

from common.validation import GRID_CODE, Moment, Text
from gateway.schemas.base import Counts, Loose, Paged, Strict

KINDS = ("basic", "exclusive")
UNIT_TYPES = ("industrial_park", "enterprise", "institution", "business_district", "market", "school", "hospital",
              "other")
# The grid service's zone types (grid.levels.ZONE_TYPES); which a level may carry is
# its scheme's business, checked there.
ZONE_TYPES = ("urban", "natural_village", "residential", "transitional", "ecological")
PLACE_TYPES = ("building", "shop", "unit", "school", "hospital", "market", "other")
CRS = ("wgs84", "gcj02")
COUNT = validate.Range(min=0, max=100_000_000)
LON, LAT = validate.Range(min=-180, max=180), validate.Range(min=-90, max=90)


class Geometry(fields.Dict):
    """A GeoJSON Polygon or MultiPolygon (WGS-84); the grid service checks it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"description": "GeoJSON Polygon or MultiPolygon, WGS-84 lon/lat",
                                       "example": {"type": "Polygon", "coordinates": [
                                           [[120.6, 31.3], [120.61, 31.3], [120.61, 31.31], [120.6, 31.31],
                                            [120.6, 31.3]]]}})
        super().__init__(**kwargs)


# --- queries ----------------------------------------------------------------------------

class GridListQuery(Paged):
    after = fields.String(load_default=None, validate=GRID_CODE, metadata={
        "description": "`next` of the page before: a grid code (none: the first page)"})
    parent = fields.String(load_default=None, validate=GRID_CODE)
    level = fields.String(load_default=None, validate=validate.Length(min=1, max=30))
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))


class GridDetailQuery(Strict):
    geometry = fields.Boolean(load_default=False, metadata={"description": "include the GeoJSON geometry"})


class LocateQuery(Strict):
    lon = fields.Float(required=True, validate=LON, metadata={"example": 120.5938})
    lat = fields.Float(required=True, validate=LAT, metadata={"example": 31.3165})
    crs = fields.String(load_default="wgs84", validate=validate.OneOf(CRS))
    at = Moment(load_default=None, metadata={"description": "which grid covered the point then (ISO date-time with offset, 2000-2099)"})


class ShapesQuery(Strict):
    zoom = fields.Integer(required=True, strict=False, validate=validate.Range(min=0, max=20), metadata={
        "description": "the map's web-mercator zoom (a whole number, 0-20): geometry is simplified to about "
                       "one screen pixel at it and coordinates rounded to match", "example": 12})
    level = fields.String(load_default=None, validate=validate.Regexp(r"^[a-z][a-z_]{0,29}$"), metadata={
        "description": "which grids: none, the grid's children (the grid itself when it has none); `leaf`, the "
                       "deepest grids under it (those with no children); or a level key of the deployment's "
                       "scheme (`town`, `community`, ...), at or below the grid's own level", "example": "leaf"})


class RootQuery(Strict):
    root = fields.String(required=True, validate=GRID_CODE)


class PlaceListQuery(Paged):
    root = fields.String(load_default=None, validate=GRID_CODE)
    type = fields.String(load_default=None, validate=validate.OneOf(PLACE_TYPES))
    group_rental = fields.Boolean(load_default=None, metadata={"description": "only group rentals (群租房), or none"})


# --- bodies -------------------------------------------------------------------------------

class NewGrid(Strict):
    code = fields.String(load_default=None, allow_none=True, validate=GRID_CODE,
                         metadata={"description": "optional: the next free code under parent_code is assigned"})
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    level = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))
    kind = fields.String(load_default="basic", validate=validate.OneOf(KINDS))
    unit_type = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(UNIT_TYPES))
    zone_type = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ZONE_TYPES))
    parent_code = fields.String(load_default=None, allow_none=True, validate=GRID_CODE)
    households = fields.Integer(load_default=None, allow_none=True, validate=COUNT)
    population = fields.Integer(load_default=None, allow_none=True, validate=COUNT)
    geometry = Geometry(load_default=None, allow_none=True)


class FeatureProperties(NewGrid):
    pass


class Feature(Strict):
    type = fields.String(required=True, validate=validate.Equal("Feature"))
    geometry = Geometry(required=True, allow_none=True)
    properties = fields.Nested(FeatureProperties, required=True)
    id = fields.Raw(load_default=None, metadata={"description": "ignored"})


class FeatureCollection(Strict):
    type = fields.String(required=True, validate=validate.Equal("FeatureCollection"))
    features = fields.List(fields.Nested(Feature), required=True, validate=validate.Length(min=1, max=50_000))


class SplitPart(Strict):
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    geometry = Geometry(required=True)
    households = fields.Integer(load_default=None, allow_none=True, validate=COUNT)
    population = fields.Integer(load_default=None, allow_none=True, validate=COUNT)
    zone_type = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ZONE_TYPES))


class Split(Strict):
    parts = fields.List(fields.Nested(SplitPart), required=True, validate=validate.Length(min=2, max=100))


class Merge(Strict):
    codes = fields.List(fields.String(validate=GRID_CODE), required=True, validate=validate.Length(min=2, max=100))
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    unit_type = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(UNIT_TYPES))


class NewPlace(Strict):
    type = fields.String(required=True, validate=validate.OneOf(PLACE_TYPES))
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    address = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    lon = fields.Float(required=True, validate=LON)
    lat = fields.Float(required=True, validate=LAT)
    crs = fields.String(load_default="wgs84", validate=validate.OneOf(CRS))


# --- answers ---------------------------------------------------------------------------------

class Grid(Loose):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True)
    depth = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    unit_type = fields.String(allow_none=True)
    zone_type = fields.String(allow_none=True)
    parent_code = fields.String(allow_none=True)
    households = fields.Integer(allow_none=True)
    population = fields.Integer(allow_none=True)
    area_m2 = fields.Float(allow_none=True)
    bbox = fields.List(fields.Float(), allow_none=True, metadata={
        "description": "[min lon, min lat, max lon, max lat] (WGS-84) of its geometry; null without one"})
    status = fields.String(required=True, validate=validate.OneOf(("active", "retired")))
    valid_from = fields.String(required=True, metadata={"format": "date-time"})
    valid_to = fields.String(allow_none=True, metadata={"format": "date-time"})


class GridWithGeometry(Grid):
    geometry = fields.Dict(allow_none=True)



class GridRef(Loose):
    """A grid as a point lookup names it."""
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True)
    depth = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    parent_code = fields.String(allow_none=True)


class Located(Loose):
    lon = fields.Float(required=True)
    lat = fields.Float(required=True)
    crs = fields.String(required=True)
    grid = fields.Nested(GridRef, required=True)
    ancestors = fields.List(fields.Nested(GridRef), required=True, metadata={"description": "nearest first"})


class Imported(Loose):
    imported = fields.Integer(required=True)
    codes = fields.List(fields.String(), required=True)


class ExportedFeature(Loose):
    type = fields.String(required=True)
    geometry = fields.Dict(allow_none=True)
    properties = fields.Dict(required=True)


class Exported(Loose):
    type = fields.String(required=True)
    features = fields.List(fields.Nested(ExportedFeature), required=True)


class ShapeProperties(Loose):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    parent_code = fields.String(required=True, allow_none=True)


class ShapeFeature(Loose):
    type = fields.String(required=True, validate=validate.Equal("Feature"))
    geometry = fields.Dict(required=True, allow_none=True, metadata={
        "description": "GeoJSON Polygon or MultiPolygon (WGS-84), simplified for the zoom; a grid too small to "
                       "draw at it is its bounding box; null for a grid stored without geometry"})
    properties = fields.Nested(ShapeProperties, required=True)


class Shapes(Loose):
    type = fields.String(required=True, validate=validate.Equal("FeatureCollection"))
    code = fields.String(required=True, metadata={"description": "the grid asked for"})
    level = fields.String(required=True, metadata={
        "description": "the level of the grids answered (`leaf` when leaf grids were asked for)"})
    zoom = fields.Integer(required=True)
    bbox = fields.List(fields.Float(), required=True, allow_none=True, metadata={
        "description": "[min lon, min lat, max lon, max lat] of the grid asked for, rounded outward"})
    features = fields.List(fields.Nested(ShapeFeature), required=True)


class SplitResult(Loose):
    retired = fields.Nested(Grid, required=True)
    created = fields.List(fields.Nested(Grid), required=True)


class MergeResult(Loose):
    retired = fields.List(fields.Nested(Grid), required=True)
    created = fields.Nested(Grid, required=True)


class Lineage(Loose):
    code = fields.String(required=True)
    operation = fields.String(required=True)
    at = fields.String(required=True, metadata={"format": "date-time"})


class History(Loose):
    code = fields.String(required=True)
    status = fields.String(required=True)
    valid_from = fields.String(required=True)
    valid_to = fields.String(allow_none=True)
    predecessors = fields.List(fields.Nested(Lineage), required=True)
    successors = fields.List(fields.Nested(Lineage), required=True)


class Area(Loose):
    area_m2 = fields.Float(required=True)
    geometry = fields.Dict(allow_none=True)


class Coverage(Loose):
    root = fields.String(required=True)
    tolerance_m2 = fields.Float(required=True)
    grids_checked = fields.Integer(required=True)
    gap_area_m2 = fields.Float(required=True)
    overlap_area_m2 = fields.Float(required=True)
    gaps = fields.List(fields.Nested(Area), required=True)
    overlaps = fields.List(fields.Nested(Area), required=True)


class SizingProblem(Loose):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True)
    kind = fields.String(required=True)
    zone_type = fields.String(allow_none=True)
    sized_as = fields.String(required=True, metadata={"description": "the rule's grid class: zone type, else kind"})
    households = fields.Integer(allow_none=True)
    declared_households = fields.Integer(allow_none=True)
    registered_households = fields.Integer(allow_none=True)
    range = fields.List(fields.Integer(), allow_none=True, metadata={"description": "households range, if any"})
    population = fields.Integer(allow_none=True)
    declared_population = fields.Integer(allow_none=True)
    registered_population = fields.Integer(allow_none=True)
    population_range = fields.List(fields.Integer(), allow_none=True)
    problem = fields.String(required=True, validate=validate.OneOf(("unknown", "too_small", "too_large", "mixed")),
                            metadata={"description": "every measure known is below (too_small) or above "
                                                     "(too_large) its range, or some below and some above (mixed)"})
    why = fields.String(required=True, metadata={"description": "where the rule comes from"})


class Sizing(Loose):
    root = fields.String(required=True)
    scheme = fields.String(required=True)
    grids_checked = fields.Integer(required=True)
    natural_villages = fields.Integer(required=True, metadata={"description": "grids that are one whole natural "
                                                                              "village: no range applies"})
    outside_range = fields.List(fields.Nested(SizingProblem), required=True)


class PlaceCounts(Loose):
    total = fields.Integer(required=True)
    by_type = Counts(required=True)


class Summary(Loose):
    root = fields.String(required=True)
    grids = Counts(required=True)
    places = fields.Nested(PlaceCounts, required=True)
    households = fields.Integer(allow_none=True)
    population = fields.Integer(allow_none=True)
    from_events = Counts(required=True)


class Place(Loose):
    id = fields.String(required=True)
    code = fields.String(required=True)
    type = fields.String(required=True)
    name = fields.String(required=True)
    address = fields.String(allow_none=True)
    lon = fields.Float(required=True)
    lat = fields.Float(required=True)
    grid_code = fields.String(required=True)
    group_rental = fields.Boolean(metadata={"description": "a group rental (群租房), followed up on its cadence"})
    group_rental_marked_at = fields.String(allow_none=True)



class GroupRental(Strict):
    group_rental = fields.Boolean(required=True, metadata={"description": "true marks the place, false clears it"})


class PlacePath(Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=24))


# --- the map's and the cockpit's figures (gateway.grid_figures) ----------------------------

MEASURE_NAMES = ("open_tickets", "overdue_tickets", "staffing_gaps", "visit_coverage", "score")
_PERIOD = validate.Regexp(r"^[0-9]{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$",
                          error="must be a year (2026), a quarter (2026-Q3) or a month (2026-07)")


class MeasuresQuery(Strict):
    measure = fields.String(required=True, validate=validate.OneOf(MEASURE_NAMES), metadata={
        "description": "`open_tickets`, `overdue_tickets` (open and past a running SLA deadline now), "
                       "`staffing_gaps` (posts missing by the staffing standard), `visit_coverage` (share of "
                       "households visited in the period, 0..1), `score` (mean of the latest published "
                       "assessment's results)"})
    level = fields.String(load_default=None, validate=validate.Length(min=1, max=30), metadata={
        "description": "which grids get a number: `children` (the default: the grids directly under `code`), "
                       "`leaf` (the deepest grids under it), or a level key of the deployment's scheme at or "
                       "below `code`'s own (`community`, `villager_group`, ...)"})
    period = fields.String(load_default=None, validate=_PERIOD, metadata={
        "description": "`visit_coverage`'s period (default: the quarter under way, Asia/Shanghai)"})


class OverviewQuery(Strict):
    period = fields.String(load_default=None, validate=_PERIOD, metadata={
        "description": "the visit coverage's period (default: the quarter under way, Asia/Shanghai)"})


class AssessmentRef(Loose):
    id = fields.String(required=True)
    plan = fields.String(required=True)
    period = fields.String(required=True)
    scope = fields.String(required=True)
    version = fields.Integer(required=True)
    published_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class Measures(Loose):
    code = fields.String(required=True)
    measure = fields.String(required=True, validate=validate.OneOf(MEASURE_NAMES))
    level = fields.String(required=True, metadata={"description": "as asked (`children` by default)"})
    unit = fields.String(required=True, validate=validate.OneOf(("tickets", "posts", "ratio", "points")))
    values = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True), required=True, metadata={
        "description": "{grid code: number or null}, every grid of the level under `code`: 0 where nothing is "
                       "counted, null where the measure does not apply (no staffed grid under it, no household "
                       "registered, no published result)"})
    as_of = fields.String(required=True, metadata={"format": "date-time"})
    period = fields.String(metadata={"description": "`visit_coverage` only: the period counted"})
    assessments = fields.List(fields.Nested(AssessmentRef), metadata={
        "description": "`score` only: the published assessments the scores come from"})


class OverviewGrid(Loose):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True)
    depth = fields.Integer(required=True)
    kind = fields.String(required=True)
    zone_type = fields.String(allow_none=True)
    households = fields.Integer(allow_none=True)
    population = fields.Integer(allow_none=True)
    parent_code = fields.String(allow_none=True)


class OnDuty(Loose):
    name = fields.String(required=True)
    role = fields.String(required=True)
    role_label = fields.String(required=True)
    role_label_en = fields.String(required=True)


class GapGrid(Loose):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    missing = Counts(required=True, metadata={"description": "{post role: posts missing}"})


class Gaps(Loose):
    grids_checked = fields.Integer(required=True)
    grids_with_gaps = fields.Integer(required=True)
    missing = Counts(required=True, metadata={"description": "{post role: posts missing under the grid}"})
    grids = fields.List(fields.Nested(GapGrid), required=True, metadata={"description": "the first 20 by code"})


class OverviewStaff(Loose):
    posts = fields.List(fields.Nested(OnDuty), required=True, metadata={
        "description": "posts running today in this very grid (as its public card shows them)"})
    gaps = fields.Nested(Gaps, required=True)


class OverviewTickets(Loose):
    open = fields.Integer(required=True)
    overdue = fields.Integer(required=True, metadata={"description": "open, not suspended, past a running deadline"})
    by_grade = Counts(required=True)
    by_state = Counts(required=True)


class OverviewCoverage(Loose):
    period = fields.String(required=True)
    start = fields.String(required=True, metadata={"format": "date"})
    end = fields.String(required=True, metadata={"format": "date"})
    households = fields.Integer(required=True)
    visited = fields.Integer(required=True)
    coverage = fields.Float(required=True, allow_none=True, metadata={"description": "visited / households, 0..1"})
    patrols_today = fields.Integer(required=True, metadata={"description": "rounds made under the grid today"})


class ScoredResult(Loose):
    subject_kind = fields.String(required=True)
    subject_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    grid_code = fields.String(allow_none=True)
    grid_name = fields.String(allow_none=True)
    score = fields.Float(required=True)
    rank = fields.Integer(required=True)
    band = fields.String(allow_none=True)
    commended = fields.Boolean(required=True)
    reminded = fields.Boolean(required=True)
    assessment_id = fields.String(required=True)


class OverviewScore(Loose):
    assessments = fields.List(fields.Nested(AssessmentRef), required=True)
    results = fields.Integer(required=True, metadata={"description": "results under the grid"})
    mean = fields.Float(required=True, allow_none=True)
    top = fields.List(fields.Nested(ScoredResult), required=True, metadata={"description": "the 10 best ranked"})


class OpenFlag(Loose):
    id = fields.String(required=True)
    pattern = fields.String(required=True)
    pattern_name = fields.String(allow_none=True)
    person_id = fields.String(required=True)
    grid_code = fields.String(required=True)
    period = fields.String(required=True)
    raised_at = fields.String(required=True, metadata={"format": "date-time"})
    evidence_count = fields.Integer(required=True)


class OverviewFlags(Loose):
    open = fields.Integer(required=True, metadata={"description": "flags raised and not yet reviewed"})
    items = fields.List(fields.Nested(OpenFlag), required=True, metadata={"description": "the 5 newest"})


class Overview(Loose):
    grid = fields.Nested(OverviewGrid, required=True)
    as_of = fields.String(required=True, metadata={"format": "date-time"})
    staff = fields.Nested(OverviewStaff, required=True, allow_none=True)
    tickets = fields.Nested(OverviewTickets, required=True, allow_none=True)
    coverage = fields.Nested(OverviewCoverage, required=True, allow_none=True)
    score = fields.Nested(OverviewScore, required=True, allow_none=True, metadata={
        "description": "null when no published assessment scores the grid (or scoring did not answer)"})
    flags = fields.Nested(OverviewFlags, required=True, allow_none=True, metadata={
        "description": "null for a caller who is no supervisor or auditor (`flags_shown` false)"})
    flags_shown = fields.Boolean(required=True)
    missing = fields.List(fields.String(validate=validate.OneOf(("people", "tickets", "scoring"))), required=True,
                          metadata={"description": "services that did not answer in time: their parts are null"})
