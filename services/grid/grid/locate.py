"""Locating a point: now from the in-memory index, at a past date from the
database (grid history), both with the same border rule."""
import itertools

import shapely
from sqlalchemy import select

from grid.exceptions import PointOutsideDistrict
from grid.index import GridIndex, pick
from grid.models import Grid


SUMMARY = ("code", "name", "level", "depth", "kind", "parent_code")


def summary(grid):
    return {key: getattr(grid, key) for key in SUMMARY}


def load_index(session):
    columns = [getattr(Grid, key) for key in SUMMARY]
    rows = session.execute(select(*columns, Grid.geometry).where(Grid.status == "active")).all()
    return GridIndex((dict(zip(SUMMARY, row[:-1])), shapely.geometry.shape(row[-1]) if row[-1] else None)
                     for row in rows)


class LiveIndex:
    """The index one replica answers from, and its rebuilds, each swapped in whole so
    readers never see half an index. Rebuilds overlap (a change made here and another
    replica's ``grid_changed`` event, or two events close together), and the one that
    read the older database may finish last: each rebuild takes a generation number
    before it reads, and a result older than the one installed is discarded. A later
    generation began reading later, so it saw every change committed before it did.

    ``load()``: a fresh GridIndex from the database."""

    def __init__(self, load):
        self._load = load
        self._generations = itertools.count(1)
        self.generation = 0  # of the installed index
        self.index = GridIndex()
        self._applied = set()

    def rebuild(self, event_id=None):
        """Reload the index; ``event_id``: the change's own event, which this replica
        then need not apply again when the broadcast brings it back. True if this
        rebuild's index was installed."""
        generation = next(self._generations)
        index = self._load()
        installed = generation > self.generation
        if installed:
            self.index, self.generation = index, generation
        if event_id:
            self._applied.add(event_id)
        return installed

    def refresh(self, event_id):
        if event_id in self._applied:
            self._applied.discard(event_id)
            return
        self.rebuild()


def locate_at(session, lon, lat, at):
    """The grid that covered the point at ``at`` (retired grids included)."""
    valid = (Grid.valid_from <= at) & ((Grid.valid_to.is_(None)) | (Grid.valid_to > at))
    rows = session.scalars(select(Grid).where(
        valid, Grid.geometry.is_not(None),
        Grid.min_lon <= lon, Grid.max_lon >= lon, Grid.min_lat <= lat, Grid.max_lat >= lat)).all()
    point = shapely.Point(lon, lat)
    code = pick([(g.code, g.depth, shapely.geometry.shape(g.geometry)) for g in rows], point)
    if code is None:
        raise PointOutsideDistrict(
            f"On {at.date().isoformat()} no grid covered the point ({lon:.6f}, {lat:.6f}).",
            details={"lon": lon, "lat": lat, "at": at.isoformat()})
    grid = session.get(Grid, code)
    chain, parent = [], grid.parent_code
    while parent:
        ancestor = session.get(Grid, parent)
        chain.append(summary(ancestor))
        parent = ancestor.parent_code
    return summary(grid), chain

