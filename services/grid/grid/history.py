"""Dynamic adjustment (动态调整): split and merge, with history, free of nameko.

The old grids are retired (status ``retired``, ``valid_to`` set) and keep their rows
and codes for ever; the new grids get new codes; lineage records which became which,
so "which grid covered this point on date D" stays answerable. A grid that still has
active children is not split or merged directly: change its children first.
"""
import shapely
from sqlalchemy import or_, select

from common.db import utcnow
from common.errors import validation_error
from grid import codes, geo, places, registry, topology
from grid.exceptions import GridHasChildren, GridRetired, InvalidGeometry, InvalidGridCode, TopologyViolation
from grid.levels import level_by_code
from grid.models import Grid, GridLineage
from grid.schemas import MAX_COUNT


def _locked_for_change(session, grid_codes):
    """The grids, locked against concurrent changes (their parents' children first,
    then the grids themselves, read again under the lock), each checked changeable:
    active, not top-level, without active children."""
    for code in grid_codes:
        registry.get_grid(session, code)  # a 404 before any lock
    registry.lock_for_change(session, {session.get(Grid, code).parent_code for code in grid_codes}, grid_codes)
    return [_changeable(session, session.get(Grid, code)) for code in grid_codes]


def _changeable(session, grid):
    code = grid.code
    if grid.status != registry.ACTIVE:
        raise GridRetired(f"Grid {code} was retired on {grid.valid_to.date().isoformat()}.",
                          details={"code": code})
    if grid.parent_code is None:
        raise InvalidGridCode(f"Grid {code} is a top-level grid: its code is the official division code, which "
                              "this registry does not hand out, so it is not split or merged. Import the new "
                              "top-level grids with their own codes instead.",
                              code="TOP_LEVEL_GRID", details={"field": "code", "code": code})
    children = session.scalar(select(Grid.code).where(Grid.parent_code == code, Grid.status == registry.ACTIVE))
    if children:
        raise GridHasChildren(f"Grid {code} still has active children (such as {children}); "
                              "split or merge those first.", details={"code": code})
    return grid


def _retire(grids, now):
    for grid in grids:
        grid.status = "retired"
        grid.valid_to = now


def split_grid(session, scheme, code, parts, tolerance_m2=topology.DEFAULT_TOLERANCE_M2, now=None):
    """Replace ``code`` by ``parts`` (dicts with name, geometry, households?, population?),
    which must tile it. Returns the new grids, numbered west to east."""
    now = now or utcnow()
    old, = _locked_for_change(session, [code])
    if len(parts) < 2:
        raise InvalidGridCode("A split needs at least two parts.", code="SPLIT_NEEDS_PARTS", details={"field": "parts"})
    if old.geometry is None:
        raise InvalidGridCode(f"Grid {code} has no geometry to split.", code="NO_GEOMETRY", details={"code": code})
    old_geometry = geo.parse_polygon(old.geometry, f"grid {code}")
    shapes = [geo.parse_polygon(part.get("geometry"), f"part {i + 1} of grid {code}") for i, part in enumerate(parts)]
    for i, shape in enumerate(shapes):
        topology.check_within_parent(f"part {i + 1}", shape, code, old_geometry, tolerance_m2)
        topology.check_no_overlap(f"part {i + 1}", shape,
                                  [(f"part {j + 1}", other) for j, other in enumerate(shapes) if j < i], tolerance_m2)
    gaps, _ = topology.coverage_of(code, old_geometry, list(zip(map(str, range(len(shapes))), shapes)), tolerance_m2)
    if gaps:
        uncovered = sum(gap["area_m2"] for gap in gaps)
        raise TopologyViolation(f"The parts leave {uncovered:.1f} m² of grid {code} uncovered.",
                                code="SPLIT_LEAVES_GAPS", details={"grid": code, "gaps": gaps})
    _retire([old], now)
    session.flush()
    order = sorted(range(len(parts)), key=lambda i: codes.reading_order(shapes[i].centroid))
    level = level_by_code(scheme, code)
    new_codes = codes.next_codes(session, scheme, old.parent_code, level, old.kind, len(parts))
    created = []
    for i, new_code in zip(order, new_codes):
        part = parts[i]
        created.append(registry.add_grid(session, scheme, {
            "code": new_code, "name": part["name"], "parent_code": old.parent_code, "kind": old.kind,
            "unit_type": old.unit_type, "zone_type": part.get("zone_type", old.zone_type),
            "households": part.get("households"), "population": part.get("population"),
            "geometry": geo.to_geojson(shapes[i])}, tolerance_m2, now))
        session.add(GridLineage(operation="split", from_code=code, to_code=new_code, happened_at=now))
    places.rehome_places(session, [code], created)
    return old, created


def merge_grids(session, scheme, grid_codes, name, tolerance_m2=topology.DEFAULT_TOLERANCE_M2, now=None,
                unit_type=None):
    """Replace sibling grids by one with their union. Returns (old grids, new grid)."""
    now = now or utcnow()
    if len(set(grid_codes)) < 2:
        raise InvalidGridCode("A merge needs at least two different grids.", code="MERGE_NEEDS_GRIDS",
                              details={"field": "codes"})
    olds = _locked_for_change(session, list(dict.fromkeys(grid_codes)))
    for attribute in ("parent_code", "level", "kind"):
        values = {getattr(grid, attribute) for grid in olds}
        if len(values) > 1:
            raise InvalidGridCode(f"Only sibling grids of one level and kind can merge; their {attribute} "
                                  f"differs ({', '.join(sorted(map(str, values)))}).",
                                  code="NOT_SIBLINGS", details={"field": "codes"})
    bare = [g.code for g in olds if g.geometry is None]
    if bare and len(bare) < len(olds):  # the merged grid would have no boundary, and no area
        raise InvalidGeometry(f"Grid {', '.join(bare)} has no geometry; give it its boundary before merging it "
                              "with grids that have one.", code="NO_GEOMETRY",
                              details={"field": "codes", "codes": bare})
    geometries = [geo.parse_polygon(g.geometry, f"grid {g.code}") for g in olds if g.geometry]
    union = shapely.union_all(geometries) if geometries else None
    households = [g.households for g in olds]
    population = [g.population for g in olds]
    for field, values in (("households", households), ("population", population)):
        if None not in values and sum(values) > MAX_COUNT:
            raise validation_error({field: [f"the merged grid would have {sum(values):,}, "
                                            f"more than {MAX_COUNT:,}"]}, "merge")
    _retire(olds, now)
    session.flush()
    first = olds[0]
    merged = registry.add_grid(session, scheme, {
        "name": name, "parent_code": first.parent_code, "kind": first.kind,
        "unit_type": unit_type or first.unit_type, "zone_type": first.zone_type,
        "households": None if None in households else sum(households),
        "population": None if None in population else sum(population),
        "geometry": geo.to_geojson(union) if union is not None else None}, tolerance_m2, now)
    for old in olds:
        session.add(GridLineage(operation="merge", from_code=old.code, to_code=merged.code, happened_at=now))
    places.rehome_places(session, [old.code for old in olds], [merged])
    return olds, merged


def lineage(session, code):
    grid = registry.get_grid(session, code)
    rows = session.scalars(select(GridLineage).where(
        or_(GridLineage.from_code == code, GridLineage.to_code == code)).order_by(GridLineage.id)).all()
    return {
        "code": code, "status": grid.status,
        "valid_from": grid.valid_from.isoformat(), "valid_to": grid.valid_to.isoformat() if grid.valid_to else None,
        "predecessors": [{"code": r.from_code, "operation": r.operation, "at": r.happened_at.isoformat()}
                         for r in rows if r.to_code == code],
        "successors": [{"code": r.to_code, "operation": r.operation, "at": r.happened_at.isoformat()}
                       for r in rows if r.from_code == code],
    }
