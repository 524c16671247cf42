"""Places attached to grids, and the per-grid summary, free of nameko.

A place goes to the deepest grid covering its point (the same rule as locate) and is
numbered within its community. The summary counts, for a subtree, what this service
owns (places by type, grids) and what other services announce in their events
(tickets reported; households and residents once people publishes them).
"""
import shapely
from sqlalchemy import func, select

from common import keyset
from common.db import add_to_counter
from grid.exceptions import GridRetired, InvalidGridCode, PlaceNotFound
from grid.models import Grid, GridCounter, Place

PLACE_TYPES = {
    "building": ("楼栋", "building"), "shop": ("商铺", "shop"), "unit": ("单位", "institution or enterprise"),
    "school": ("学校", "school"), "hospital": ("医疗机构", "hospital or clinic"), "market": ("市场", "market"),
    "other": ("其他", "other"),
}
PLACE_NUMBER_DIGITS = 5


def community_of(levels, grid_code):
    level = next((lv for lv in levels if lv.key in ("community", "village")), None)
    if level is None or len(grid_code) < level.code_length:
        raise InvalidGridCode(f"Grid {grid_code} is above community level; a place must lie inside a community.",
                              code="PLACE_ABOVE_COMMUNITY", details={"grid_code": grid_code})
    return grid_code[:level.code_length]


def add_place(session, levels, data, grid_code):
    """Number the place in its community, under a lock on the community's row (two
    places added at once took the same number), in ``grid_code`` if that grid is still
    active once the lock is held (a split or merge may have retired it meanwhile)."""
    community = community_of(levels, grid_code)
    session.get(Grid, community, with_for_update=True, populate_existing=True)
    grid = session.get(Grid, grid_code, with_for_update={"read": True}, populate_existing=True)
    if grid is None or grid.status != "active":
        raise GridRetired(f"Grid {grid_code} was just retired by a split or merge; please retry.",
                          details={"grid_code": grid_code})
    last = session.scalar(select(func.max(Place.code)).where(Place.code.startswith(community),
                                                              func.length(Place.code) == len(community) + 5))
    number = int(last[-PLACE_NUMBER_DIGITS:]) + 1 if last else 1
    if number > 99999:
        raise InvalidGridCode(f"Community {community} has numbered 99,999 places already.",
                              code="PLACE_NUMBERS_EXHAUSTED", details={"community": community})
    place = Place(code=f"{community}{number:05d}", type=data["type"], name=data["name"],
                  address=data.get("address"), lon=data["lon"], lat=data["lat"], grid_code=grid_code)
    session.add(place)
    session.flush()
    return place


def get_place(session, code):
    place = session.scalar(select(Place).where(Place.code == code))
    if place is None:
        raise PlaceNotFound(f"No place has the code {code}.", details={"field": "place_code", "code": code})
    return place


def list_places(session, root=None, type=None, limit=100, group_rental=None, after=None):
    """Places by code, a page at a time (``keyset.Page``; ``limit`` None: all of them)."""
    query = select(Place)
    if root:
        query = query.where(Place.grid_code.startswith(root))
    if type:
        query = query.where(Place.type == type)
    if group_rental is not None:
        query = query.where(Place.group_rental.is_(bool(group_rental)))
    return keyset.page(session, query, (Place.code,), cursor=after, limit=limit, noun="place")


def mark_group_rental(session, code, group_rental, *, by, now):
    """Mark the place a group rental (群租房) or clear the mark; marking it again keeps
    the first moment (its follow-up cadence runs from there)."""
    place = session.scalar(select(Place).where(Place.code == code).with_for_update())
    if place is None:
        raise PlaceNotFound(f"No place has the code {code}.", details={"field": "code", "code": code})
    if group_rental and not place.group_rental:
        place.group_rental_marked_at, place.group_rental_marked_by = now, by
    elif not group_rental:
        place.group_rental_marked_at = place.group_rental_marked_by = None
    place.group_rental = bool(group_rental)
    session.flush()
    return place


def rehome_places(session, old_codes, new_grids):
    """After a split or merge: each place of a retired grid moves to the new grid
    covering it (the nearest one if digitising left it just outside)."""
    shapes = [(grid.code, shapely.geometry.shape(grid.geometry)) for grid in new_grids if grid.geometry]
    moved = 0
    for place in session.scalars(select(Place).where(Place.grid_code.in_(old_codes))):
        point = shapely.Point(place.lon, place.lat)
        covering = sorted(code for code, shape in shapes if shape.covers(point))
        place.grid_code = covering[0] if covering else min(shapes, key=lambda s: s[1].distance(point))[0]
        moved += 1
    return moved


def count_event(session, grid_code, name, by=1):
    add_to_counter(session, GridCounter.__table__, {"grid_code": grid_code, "name": name}, "value", by)


def move_count(session, from_grid_code, to_grid_code, name, by=1):
    """``by`` of a count moved from one grid to another (a household moved, a ticket re-homed)."""
    count_event(session, from_grid_code, name, -by)
    count_event(session, to_grid_code, name, by)


def summary(session, root):
    places = dict(session.execute(select(Place.type, func.count())
                                  .where(Place.grid_code.startswith(root)).group_by(Place.type)).all())
    grids = dict(session.execute(select(Grid.level, func.count()).where(
        Grid.code.startswith(root), Grid.status == "active").group_by(Grid.level)).all())
    grid = session.get(Grid, root)
    households, population = grid.households, grid.population
    if households is None:  # not recorded on the grid itself: what its children add up to
        households, population = session.execute(select(func.sum(Grid.households), func.sum(Grid.population))
                                                  .where(Grid.parent_code == root, Grid.status == "active")).one()
    counters = dict(session.execute(select(GridCounter.name, func.sum(GridCounter.value)).where(
        GridCounter.grid_code.startswith(root)).group_by(GridCounter.name)).all())
    return {
        "root": root,
        "grids": grids,
        "places": {"total": sum(places.values()), "by_type": places},
        "households": households, "population": population,
        "from_events": {name: int(value) for name, value in counters.items()},
    }
