from common.errors import Conflict, InvalidInput, NotFound


class GridNotFound(NotFound):
    code = "GRID_NOT_FOUND"


class InvalidGridCode(InvalidInput):
    code = "INVALID_GRID_CODE"


class ParentGridNotFound(InvalidInput):
    code = "PARENT_GRID_NOT_FOUND"


class GridCodeTaken(Conflict):
    code = "GRID_CODE_TAKEN"
