"""The grid registry, free of nameko: adding grids with every rule checked,
queries, import/export as GeoJSON, coverage and sizing reports.

Changes under one parent are serialised: whatever checks siblings or numbers them
(adding, importing, splitting, merging grids; numbering places locks their community)
first locks the parent's row (``lock_for_change``), so two replicas, or two workers of one, cannot both
pass the overlap check or take the same next code. Locks are taken ancestors first (a
parent's code is a prefix of its children's, so in code order), which keeps them free
of deadlocks. A unique key that still collides is a 409 (``writing``), never a 500."""
from contextlib import contextmanager

from marshmallow import ValidationError
from sqlalchemy import or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from common import keyset
from common.db import utcnow
from common.errors import AppError, InvalidInput
from grid import codes, geo, topology
from grid.exceptions import (
    ConcurrentChange, GridCodeTaken, GridNotFound, ImportRejected, InvalidGridCode, ParentGridNotFound,
    UnknownZoneType,
)
from grid.levels import MEASURES, grid_class, level_by_code, level_by_key
from grid.models import Grid, GridCounter
from grid.schemas import GridInputSchema

ACTIVE = "active"
_input = GridInputSchema()


def _geometry_of(grid):
    return geo.parse_polygon(grid.geometry, f"grid {grid.code}") if grid.geometry else None


def _active_siblings(session, parent_code, geometry):
    minx, miny, maxx, maxy = geometry.bounds
    query = select(Grid).where(
        Grid.parent_code == parent_code, Grid.status == ACTIVE, Grid.geometry.is_not(None),
        Grid.min_lon <= maxx, Grid.max_lon >= minx, Grid.min_lat <= maxy, Grid.max_lat >= miny)
    return [(g.code, _geometry_of(g)) for g in session.scalars(query)]


# Top-level grids have no parent row to lock: a transaction-scoped advisory lock stands
# in for it on PostgreSQL (the number is arbitrary, the same in every replica).
TOP_LEVEL_LOCK = 0x67726964  # "grid"


def _held(session):
    """Codes this transaction holds locked (or created: nobody else sees those yet)."""
    session.connection()  # begins the transaction the locks belong to
    return session.info.setdefault("grid_locks", {}).setdefault(session.get_transaction(), set())


def lock_for_change(session, parent_codes, grid_codes=()):
    """Lock, until the transaction ends, the right to change the children of each of
    ``parent_codes`` (None: the top-level grids) and the grids ``grid_codes`` themselves:
    their rows, in code order (ancestors first), read again under the lock. SQLite
    needs no lock: it lets one writer at a time in."""
    held = _held(session)
    wanted = (set(parent_codes) | set(grid_codes)) - held
    if None in wanted and session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": TOP_LEVEL_LOCK})
    rows = sorted(code for code in wanted if code is not None)
    if rows:
        session.scalars(select(Grid).where(Grid.code.in_(rows)).order_by(Grid.code)
                        .with_for_update().execution_options(populate_existing=True)).all()
    held |= wanted


def lock_children_of(session, parent_code):
    """``lock_for_change`` for one parent; returns it (None if there is none)."""
    lock_for_change(session, [parent_code])
    return session.get(Grid, parent_code) if parent_code is not None else None


@contextmanager
def writing(db):
    """``db.transaction()`` for grid changes: a unique key or row version that another
    transaction took first (a race the locks above do not cover) is a 409 asking for a
    retry, with nothing stored."""
    try:
        with db.transaction() as session:
            yield session
    except (IntegrityError, StaleDataError):
        raise ConcurrentChange("Another change to the same grids was stored at the same moment; nothing was "
                               "stored. Please retry.") from None


def _level_for(levels, data, parent):
    if data.get("code"):
        return None  # the code decides
    if parent is None:
        raise InvalidGridCode("A grid without a parent needs its code.", details={"field": "code"})
    return next((lv for lv in levels if lv.depth == parent.depth + 1), None)


def _check_zone(scheme, level, kind, zone):
    """A zone type is one the scheme sizes at the grid's level, on a basic grid: a zone
    it does not know would be sized by no rule, or by the wrong one."""
    if zone is None:
        return
    if kind != "basic":
        raise UnknownZoneType("Only basic grids have a zone_type.", details={"field": "zone_type"})
    allowed = scheme.zones(level.key)
    if zone not in allowed:
        raise UnknownZoneType(
            f"A {level.label_en} of the {scheme.name} scheme has no zone type {zone!r}; "
            + (f"it may be {', '.join(allowed)}." if allowed else "it carries none."),
            details={"field": "zone_type", "allowed": list(allowed)})


def add_grid(session, scheme, data, tolerance_m2=topology.DEFAULT_TOLERANCE_M2, now=None):
    """Validate ``data`` (already loaded by GridInputSchema) against every rule of
    ``scheme`` and add the grid. Raises the first broken rule, naming the grid."""
    parent = lock_children_of(session, data.get("parent_code"))
    if data.get("parent_code"):
        if parent is None or parent.status != ACTIVE:
            raise ParentGridNotFound(f"Parent grid {data['parent_code']} does not exist or is retired.",
                                     details={"field": "parent_code"})
    name = data["name"]
    geometry = geo.parse_polygon(data["geometry"], f"grid {data.get('code') or name}") \
        if data.get("geometry") is not None else None
    kind = data.get("kind") or "basic"

    code = data.get("code")
    if not code:
        level = _level_for(scheme, data, parent)
        if level is None:
            raise InvalidGridCode(f"Grid {parent.code} is at the lowest level; it has no children.",
                                  details={"field": "parent_code"})
        code = codes.next_codes(session, scheme, parent.code, level, kind, 1)[0]
    level = codes.validate_code(scheme, code, data.get("parent_code"), kind)
    if data.get("level") and data["level"] != level.key:
        raise InvalidGridCode(f"Code {code} is a {level.key}, not a {data['level']}.", details={"field": "level"})
    if kind == "exclusive" and not level.grid_level:
        raise InvalidGridCode(f"Only {scheme.grid_level.key} grids can be exclusive.", details={"field": "kind"})
    _check_zone(scheme, level, kind, data.get("zone_type"))
    if session.get(Grid, code) is not None:
        raise GridCodeTaken(f"Grid code {code} is already in use (codes are never reused).", details={"field": "code"})

    if geometry is not None:
        parent_geometry = _geometry_of(parent) if parent is not None else None
        if parent_geometry is not None:
            topology.check_within_parent(code, geometry, parent.code, parent_geometry, tolerance_m2)
        topology.check_no_overlap(code, geometry, _active_siblings(session, data.get("parent_code"), geometry),
                                  tolerance_m2)
    now = now or utcnow()
    grid = Grid(
        code=code, name=name, level=level.key, depth=level.depth, kind=kind,
        unit_type=data.get("unit_type"), zone_type=data.get("zone_type"), parent_code=data.get("parent_code"),
        households=data.get("households"), population=data.get("population"), status=ACTIVE,
        valid_from=now, created_at=now, updated_at=now,
    )
    set_geometry(grid, geometry)
    session.add(grid)
    session.flush()
    _held(session).add(code)  # a parent later in this transaction (an import) needs no lock
    return grid


def set_geometry(grid, geometry):
    if geometry is None:
        grid.geometry = None
        grid.min_lon = grid.min_lat = grid.max_lon = grid.max_lat = grid.area_m2 = None
        return
    grid.geometry = geo.to_geojson(geometry)
    grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat = geometry.bounds
    grid.area_m2 = round(geo.area_m2(geometry), 2)


def get_grid(session, code):
    grid = session.get(Grid, code)
    if grid is None:
        raise GridNotFound(f"No grid has the code {code}.", details={"code": code})
    return grid


def list_grids(session, parent=None, level=None, kind=None, include_retired=False, after=None, limit=None):
    """Grids by code, a page at a time (``keyset.Page``; ``limit`` None: all of them)."""
    query = select(Grid)
    if not include_retired:
        query = query.where(Grid.status == ACTIVE)
    if parent is not None:
        query = query.where(Grid.parent_code == parent)
    if level is not None:
        query = query.where(Grid.level == level)
    if kind is not None:
        query = query.where(Grid.kind == kind)
    return keyset.page(session, query, (Grid.code,), cursor=after, limit=limit, noun="grid")


def active_codes(session, codes):
    codes = sorted(set(codes))
    found = []
    for start in range(0, len(codes), 1000):
        found += session.scalars(select(Grid.code).where(Grid.code.in_(codes[start:start + 1000]),
                                                        Grid.status == ACTIVE)).all()
    return sorted(found)


def grid_labels(session, codes):
    """{code: {"name", "level", "depth", "kind"}} of the grids among ``codes``, retired
    ones too (a published result names the grid it was made for), in one query."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.execute(select(Grid.code, Grid.name, Grid.level, Grid.depth, Grid.kind)
                           .where(Grid.code.in_(wanted)))
    return {row.code: {"name": row.name, "level": row.level, "depth": row.depth, "kind": row.kind} for row in rows}


def child_labels(session, parent):
    """[{"code", "name", "level"}] of the active grids directly under ``parent`` (None:
    the top-level grids), by code: the rows of a report broken down by grid."""
    under = Grid.parent_code.is_(None) if parent is None else Grid.parent_code == parent
    rows = session.execute(select(Grid.code, Grid.name, Grid.level).where(under, Grid.status == ACTIVE)
                           .order_by(Grid.code))
    return [{"code": row.code, "name": row.name, "level": row.level} for row in rows]


def subtree(session, root, at=None):
    """Grids whose code starts with ``root`` (active now, or valid at ``at``)."""
    query = select(Grid).where(Grid.code.startswith(root)).order_by(Grid.depth, Grid.code)
    if at is None:
        query = query.where(Grid.status == ACTIVE)
    else:
        query = query.where(Grid.valid_from <= at, (Grid.valid_to.is_(None)) | (Grid.valid_to > at))
    return session.scalars(query).all()


# --- import and export -------------------------------------------------------------

def import_features(session, scheme, collection, tolerance_m2=topology.DEFAULT_TOLERANCE_M2, progress=None):
    """Add every feature of a GeoJSON FeatureCollection, or none: a rejected import
    raises ImportRejected listing every failing feature with its reason. ``progress``:
    called as (phase, done, total) while checking and adding (an import run as a job)."""
    progress = progress or (lambda phase, done, total: None)
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection" \
            or not isinstance(collection.get("features"), list):
        raise ImportRejected("The body must be a GeoJSON FeatureCollection with a list of features.",
                             details={"errors": [{"index": None, "reason": "not a FeatureCollection"}]})
    errors, loaded = [], []
    total = len(collection["features"])
    for index, feature in enumerate(collection["features"]):
        progress("checking", index, total)
        try:
            loaded.append((index, _feature_input(scheme, feature)))
        except AppError as exc:
            errors.append(_error(index, feature, exc.message))
    lock_for_change(session, {data.get("parent_code") for _, data in loaded})  # all at once, in code order
    try:
        _number_codeless(session, scheme, [data for _, data in loaded])
    except AppError as exc:
        errors.append({"index": None, "code": None, "name": None, "reason": exc.message})
    loaded.sort(key=lambda item: (_depth_hint(scheme, item[1]), item[0]))  # parents first, then file order
    added = []
    now = utcnow()
    for done, (index, data) in enumerate(loaded):
        progress("adding", done, len(loaded))
        try:  # every check runs before the grid is added, so a failure leaves no row
            added.append(add_grid(session, scheme, data, tolerance_m2, now))
        except AppError as exc:
            errors.append(_error(index, collection["features"][index], exc.message))
    progress("adding", len(loaded), len(loaded))
    if errors:
        errors.sort(key=lambda e: -1 if e["index"] is None else e["index"])
        raise ImportRejected(f"Import rejected: {len(errors)} of {len(collection['features'])} features "
                             "have problems; nothing was stored.", details={"errors": errors})
    return added


def _feature_input(levels, feature):
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ImportRejected("not a GeoJSON Feature")
    properties = dict(feature.get("properties") or {})
    properties["geometry"] = feature.get("geometry")
    try:
        return _input.load(properties)
    except ValidationError as exc:
        fields = "; ".join(f"{name}: {' '.join(map(str, messages))}" for name, messages in exc.messages.items())
        raise ImportRejected(fields) from None


def _depth_hint(levels, data):
    if data.get("code"):
        level = level_by_code(levels, data["code"])
        return level.depth if level else 0
    if data.get("level"):
        level = level_by_key(levels, data["level"])
        return level.depth if level else 0
    parent = level_by_code(levels, data.get("parent_code") or "")
    return parent.depth + 1 if parent else 0


def _number_codeless(session, levels, items):
    """Give codeless grids the next free codes under their parent, west to east then
    north to south, after every code already used there (stored or in this import)."""
    explicit = [data["code"] for data in items if data.get("code")]
    groups = {}
    for data in items:
        if data.get("code") or not data.get("parent_code") or data.get("geometry") is None:
            continue
        try:
            data["_position"] = codes.reading_order(geo.parse_polygon(data["geometry"], data["name"]).centroid)
        except AppError:
            continue  # add_grid reports the broken geometry for this feature
        groups.setdefault((data["parent_code"], data.get("kind") or "basic"), []).append(data)
    for (parent_code, kind), members in groups.items():
        parent_level = level_by_code(levels, parent_code)
        level = next((lv for lv in levels if parent_level and lv.depth == parent_level.depth + 1), None)
        if level is None:
            continue  # add_grid reports it
        members.sort(key=lambda d: d.pop("_position"))
        for data, code in zip(members, codes.next_codes(session, levels, parent_code, level, kind,
                                                        len(members), explicit)):
            data["code"] = code


def _error(index, feature, reason):
    properties = feature.get("properties") or {} if isinstance(feature, dict) else {}
    return {"index": index, "code": properties.get("code"), "name": properties.get("name"), "reason": reason}


def export_features(session, root):
    grids = subtree(session, root)
    if not grids:
        raise GridNotFound(f"No active grid has the code {root}.", details={"code": root})
    return {"type": "FeatureCollection", "features": [to_feature(grid) for grid in grids]}


def to_feature(grid):
    properties = {key: getattr(grid, key) for key in (
        "code", "name", "level", "kind", "unit_type", "zone_type", "parent_code", "households", "population")}
    return {"type": "Feature", "geometry": grid.geometry, "properties": properties}


# --- reports -------------------------------------------------------------------------

def coverage_report(session, root, tolerance_m2=topology.DEFAULT_TOLERANCE_M2):
    grids = subtree(session, root)
    if not grids or grids[0].code != root:
        raise GridNotFound(f"No active grid has the code {root}.", details={"code": root})
    children_of = {}
    for grid in grids:
        children_of.setdefault(grid.parent_code, []).append(grid)
    gaps, overlaps, checked = [], [], 0
    for grid in grids:
        children = [c for c in children_of.get(grid.code, []) if c.geometry]
        if grid.geometry is None or not children:
            continue
        checked += 1
        g, o = topology.coverage_of(grid.code, _geometry_of(grid),
                                    [(c.code, _geometry_of(c)) for c in children], tolerance_m2)
        gaps += g
        overlaps += o
    return {"root": root, "tolerance_m2": tolerance_m2, "grids_checked": checked,
            "gap_area_m2": round(sum(g["area_m2"] for g in gaps), 2),
            "overlap_area_m2": round(sum(o["area_m2"] for o in overlaps), 2),
            "gaps": gaps, "overlaps": overlaps}


# The people service's counts a grid's measure falls back on when none is declared.
REGISTERED = {"households": "households_registered", "population": "residents_registered"}


def _registered_totals(session, scheme, root):
    """{measure: {grid code: count}}: what the people service registered in each grid
    and, summed, in each of its ancestors under ``root``."""
    lengths = sorted({level.code_length for level in scheme})
    totals = {}
    for measure, counter in REGISTERED.items():
        rows = session.execute(select(GridCounter.grid_code, GridCounter.value).where(
            GridCounter.grid_code.startswith(root), GridCounter.name == counter))
        sums = totals[measure] = {}
        for code, value in rows:
            for length in lengths:
                if len(root) <= length <= len(code):
                    sums[code[:length]] = sums.get(code[:length], 0) + value
    return totals


def _measure(bounds, declared, registered):
    """One measure of a grid against its range: the declared number is judged; where
    none is declared, what the people service registered (None when that is nothing)."""
    value = declared if declared is not None else (registered or None)
    position = None if value is None else ("below" if value < bounds[0] else "above" if value > bounds[1]
                                           else "within")
    return {"value": value, "declared": declared, "registered": registered, "range": list(bounds),
            "position": position}


def _problem(measures):
    positions = {m["position"] for m in measures.values() if m["position"] is not None}
    if not positions:
        return "unknown"
    if positions == {"below"}:
        return "too_small"
    return "too_large" if positions == {"above"} else "mixed"


def sizing_report(session, scheme, root):
    """Grids outside their sizing rule (by level and class: zone type, else kind; see
    grid.levels). A grid is within range when either measure it has a range for
    (households, population) is; a whole natural village always is. Both the declared
    and the registered numbers are shown, so a registry falling behind is visible."""
    registered = _registered_totals(session, scheme, root)
    outside, checked, villages = [], 0, 0
    for grid in subtree(session, root):
        rule = scheme.sizing_for(grid.level, grid.kind, grid.zone_type)
        if rule is None or not (rule.natural_village or rule.households or rule.population):
            continue
        checked += 1
        if rule.natural_village:
            villages += 1
            continue
        measures = {measure: _measure(getattr(rule, measure), getattr(grid, measure),
                                      registered[measure].get(grid.code, 0))
                    for measure in MEASURES if getattr(rule, measure) is not None}
        if any(m["position"] == "within" for m in measures.values()):
            continue
        households = measures.get("households", {})
        population = measures.get("population", {})
        outside.append({
            "code": grid.code, "name": grid.name, "level": grid.level, "kind": grid.kind,
            "zone_type": grid.zone_type, "sized_as": grid_class(grid.kind, grid.zone_type),
            "households": households.get("value", grid.households),
            "declared_households": grid.households,
            "registered_households": registered["households"].get(grid.code, 0),
            "range": households.get("range"),
            "population": population.get("value", grid.population),
            "declared_population": grid.population,
            "registered_population": registered["population"].get(grid.code, 0),
            "population_range": population.get("range"),
            "problem": _problem(measures), "why": rule.why})
    return {"root": root, "scheme": scheme.name, "grids_checked": checked, "natural_villages": villages,
            "outside_range": outside}


def staffed_grids(session, scheme, root):
    """The grids under ``root`` that grid workers are posted to, each with its level,
    community and town codes for totals: those of the scheme's staffed level, and
    exclusive grids wherever they are numbered (their unit's own chief heads them,
    seed 000)."""
    staffed = scheme.staffed_level.key
    lengths = {lv.key: lv.code_length for lv in scheme}
    community = lengths.get("community") or lengths.get("village")
    town = lengths.get("town") or lengths.get("street")
    # Five columns of the grids wanted, not every grid of the subtree with its polygon: a
    # district's 11,269 grids load in half a second, these in a hundredth.
    rows = session.execute(select(Grid.code, Grid.name, Grid.kind, Grid.level, Grid.zone_type).where(
        Grid.code.startswith(root), Grid.status == ACTIVE, or_(Grid.level == staffed, Grid.kind == "exclusive"))
        .order_by(Grid.depth, Grid.code)).all()
    return [{"code": g.code, "name": g.name, "kind": g.kind, "level": g.level, "zone_type": g.zone_type,
             "community_code": g.code[:community] if community else None,
             "town_code": g.code[:town] if town else None}
            for g in rows]


def level_codes(session, scheme, root, level=None):
    """``{"root", "level", "codes"}``: the active grids under ``root`` a map colours at
    ``level``: None or ``children`` the grids directly under it; ``leaf`` those under it
    (or itself) with no active grid below; else a level key of ``scheme`` at or below
    ``root``'s own (a 400 naming ``level`` otherwise). By code, in one query."""
    grid = get_grid(session, root)
    keys = [lv.key for lv in scheme]
    if level in (None, "children"):
        condition = (Grid.parent_code == root,)
    elif level == "leaf":
        below = Grid.__table__.alias("below")
        condition = (Grid.code.startswith(root, autoescape=True),
                     ~select(below.c.code).where(below.c.parent_code == Grid.code, below.c.status == ACTIVE).exists())
    else:
        chosen = scheme.level(level) if level in keys else None
        own = scheme.level(grid.level) if grid.level in keys else None
        if chosen is None or (own is not None and chosen.depth < own.depth):
            allowed = ["children", "leaf"] + [key for key in keys if own is None or scheme.level(key).depth >= own.depth]
            raise InvalidInput(f"level must be one of {', '.join(allowed)} (at or below grid {root}).",
                               code="VALIDATION_FAILED", details={"fields": {"level": [f"one of {allowed}"]}})
        condition = (Grid.code.startswith(root, autoescape=True), Grid.level == level)
    codes_found = session.scalars(select(Grid.code).where(Grid.status == ACTIVE, *condition).order_by(Grid.code)).all()
    return {"root": root, "level": level or "children", "codes": list(codes_found)}
