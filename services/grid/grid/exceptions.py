from common.errors import Conflict, InvalidInput, NotFound


class GridNotFound(NotFound):
    code = "GRID_NOT_FOUND"


class InvalidGridCode(InvalidInput):
    code = "INVALID_GRID_CODE"


class ParentGridNotFound(InvalidInput):
    code = "PARENT_GRID_NOT_FOUND"


class GridCodeTaken(Conflict):
    code = "GRID_CODE_TAKEN"


class InvalidGeometry(InvalidInput):
    code = "INVALID_GEOMETRY"


class TopologyViolation(InvalidInput):
    code = "TOPOLOGY_VIOLATION"


class PointOutsideDistrict(NotFound):
    code = "POINT_OUTSIDE_GRIDS"


class ImportRejected(InvalidInput):
    code = "IMPORT_REJECTED"


class GridHasChildren(Conflict):
    code = "GRID_HAS_CHILDREN"


class GridRetired(Conflict):
    code = "GRID_RETIRED"


class PlaceNotFound(NotFound):
    code = "PLACE_NOT_FOUND"


class ConcurrentChange(Conflict):
    code = "CONCURRENT_CHANGE"


class InvalidGridSettings(InvalidInput):
    """A deployment setting (GRID_LEVEL_SCHEME, GRID_STAFFED_LEVEL, GRID_SIZING) the
    grid service refuses to start with; ``details.field`` names it."""
    code = "INVALID_GRID_SETTINGS"


class UnknownZoneType(InvalidInput):
    """A zone type the scheme does not size at the grid's level."""
    code = "UNKNOWN_ZONE_TYPE"
