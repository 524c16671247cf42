"""One grid, one code (一格一码): validation and assignment, free of nameko."""
from sqlalchemy import func, select

from grid.exceptions import InvalidGridCode
from grid.levels import BASIC_SEQUENCE, EXCLUSIVE_SEQUENCE, level_by_code
from grid.models import Grid


def segment_length(levels, level):
    parent = next(lv for lv in levels if lv.depth == level.depth - 1)
    return level.code_length - parent.code_length


def allowed_segment(level, kind):
    if level.grid_level:
        return EXCLUSIVE_SEQUENCE if kind == "exclusive" else BASIC_SEQUENCE
    return level.segment


def validate_code(levels, code, parent_code, kind="basic"):
    """The level a code denotes, or InvalidGridCode saying which rule it breaks."""
    if not (code.isascii() and code.isdigit()):
        raise InvalidGridCode(f"Grid code {code!r} must contain digits only.", details={"field": "code"})
    level = level_by_code(levels, code)
    if level is None:
        lengths = ", ".join(str(lv.code_length) for lv in levels)
        raise InvalidGridCode(f"Grid code {code!r} has {len(code)} digits; codes here have {lengths} digits.",
                              details={"field": "code"})
    if level.depth == 1:
        if parent_code:
            raise InvalidGridCode(f"A {level.label_en} ({code}) has no parent.", details={"field": "parent_code"})
        if not 11 <= int(code[:2]) <= 82 or code[4:6] == "00":
            raise InvalidGridCode(f"Code {code!r} does not start with a GB/T 2260 county code.",
                                  details={"field": "code"})
        return level
    length = segment_length(levels, level)
    expected_parent = code[:-length]
    if not parent_code:
        raise InvalidGridCode(f"Grid {code!r} needs parent_code {expected_parent!r}.", details={"field": "parent_code"})
    if parent_code != expected_parent:
        raise InvalidGridCode(f"Grid code {code!r} must start with its parent's code {parent_code!r}.",
                              details={"field": "code"})
    low, high = allowed_segment(level, kind)
    segment = int(code[-length:])
    if not low <= segment <= high:
        what = f"a {kind} {level.label_en}" if level.grid_level else f"a {level.label_en}"
        raise InvalidGridCode(
            f"The last {length} digits of {code!r} must be {low:0{length}d}-{high:0{length}d} for {what}.",
            details={"field": "code"})
    return level


def next_codes(session, levels, parent_code, level, kind, count, also_used=()):
    """The next ``count`` free codes under a parent, after every code in the table
    and in ``also_used``. Codes of retired grids stay in the table, so they count
    as used and are never handed out again."""
    length = segment_length(levels, level)
    low, high = allowed_segment(level, kind)
    used = session.scalar(
        select(func.max(Grid.code)).where(
            Grid.parent_code == parent_code,
            Grid.code >= f"{parent_code}{low:0{length}d}",
            Grid.code <= f"{parent_code}{high:0{length}d}",
        ))
    in_range = [c for c in also_used if c.startswith(parent_code) and len(c) == len(parent_code) + length
                and low <= int(c[-length:]) <= high]
    used = max([c for c in [used, *in_range] if c], default=None)
    start = int(used[-length:]) + 1 if used else low
    if start + count - 1 > high:
        raise InvalidGridCode(
            f"Grid {parent_code} has no free {kind} codes left ({low:0{length}d}-{high:0{length}d}).",
            details={"field": "code", "parent_code": parent_code})
    return [f"{parent_code}{n:0{length}d}" for n in range(start, start + count)]


def reading_order(centroid):
    """West to east, then north to south (DB6101/T 3185-2024 numbering)."""
    return (round(centroid.x, 6), -round(centroid.y, 6))
