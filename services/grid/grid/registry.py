"""Grid registry rules, free of nameko: codes, hierarchy, queries."""
from sqlalchemy import select

from grid.exceptions import GridCodeTaken, GridNotFound, InvalidGridCode, ParentGridNotFound
from grid.levels import level_by_code
from grid.models import Grid

# The 3-digit segment each level adds and its allowed range (GB/T 10114 for towns:
# 001-099 street, 100-199 town, 200-399 township; villages/communities: 001-199
# residents' committee, 200-399 villagers' committee).
SEGMENT_RANGES = {
    "town": (1, 399),
    "community": (1, 399),
    "villager_group": (1, 999),
    "household_group": (1, 999),
}


def validate_code(levels, code, parent_code):
    """The level a code denotes, or InvalidGridCode saying which rule it breaks."""
    if not code.isdigit():
        raise InvalidGridCode(f"Grid code {code!r} must contain digits only.", details={"field": "code"})
    level = level_by_code(levels, code)
    if level is None:
        lengths = ", ".join(str(lv.code_length) for lv in levels)
        raise InvalidGridCode(
            f"Grid code {code!r} has {len(code)} digits; codes have {lengths} digits.",
            details={"field": "code"})
    if level.depth == 1:
        if parent_code:
            raise InvalidGridCode(f"A {level.label_en} ({code}) has no parent.", details={"field": "parent_code"})
        if code[4:6] == "00" or not 11 <= int(code[:2]) <= 82:
            raise InvalidGridCode(
                f"District code {code!r} is not a GB/T 2260 county code.", details={"field": "code"})
        return level
    expected_parent = code[:-3]
    if parent_code != expected_parent:
        raise InvalidGridCode(
            f"Grid code {code!r} must start with its parent's code {parent_code!r}"
            if parent_code else f"Grid {code!r} needs parent_code {expected_parent!r}.",
            details={"field": "code"})
    low, high = SEGMENT_RANGES[level.key]
    segment = int(code[-3:])
    if not low <= segment <= high:
        raise InvalidGridCode(
            f"The last three digits of {code!r} must be {low:03d}-{high:03d} for a {level.label_en}.",
            details={"field": "code"})
    return level


def add_grid(session, levels, data):
    code, parent_code = data["code"], data.get("parent_code")
    level = validate_code(levels, code, parent_code)
    if parent_code and session.get(Grid, parent_code) is None:
        raise ParentGridNotFound(f"Parent grid {parent_code} does not exist.", details={"field": "parent_code"})
    if session.get(Grid, code) is not None:
        raise GridCodeTaken(f"Grid code {code} is already in use.", details={"field": "code"})
    grid = Grid(
        code=code, name=data["name"], level=level.key, depth=level.depth,
        kind=data.get("kind") or "basic", parent_code=parent_code,
        households=data.get("households"), population=data.get("population"),
    )
    session.add(grid)
    session.flush()
    return grid


def get_grid(session, code):
    grid = session.get(Grid, code)
    if grid is None:
        raise GridNotFound(f"No grid has the code {code}.", details={"code": code})
    return grid


def list_grids(session, parent=None, level=None, kind=None):
    query = select(Grid).order_by(Grid.code)
    if parent is not None:
        query = query.where(Grid.parent_code == parent)
    if level is not None:
        query = query.where(Grid.level == level)
    if kind is not None:
        query = query.where(Grid.kind == kind)
    return session.scalars(query).all()
