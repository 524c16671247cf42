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
