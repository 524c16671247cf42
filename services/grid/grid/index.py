"""Point -> grid lookup from memory: an STRtree over every active grid's geometry,
rebuilt (and swapped in whole) when grids change.

Border rule: a point on a shared border, or in several grids of one level, goes
to the deepest grid containing it, and among those to the lowest code. Points are
tested with "covers", so a border point always finds a grid.
"""
import shapely
from shapely.strtree import STRtree

from grid.exceptions import PointOutsideDistrict


class GridIndex:
    def __init__(self, grids=()):
        """``grids``: (summary dict with code, parent_code, depth ..., shapely geometry or None)."""
        grids = list(grids)
        self.summaries = {summary["code"]: summary for summary, _ in grids}
        grids = [(summary, geometry) for summary, geometry in grids if geometry is not None]
        self.codes = [summary["code"] for summary, _ in grids]
        self.depths = [summary["depth"] for summary, _ in grids]
        self.geometries = [geometry for _, geometry in grids]
        for geometry in self.geometries:
            shapely.prepare(geometry)
        self.tree = STRtree(self.geometries) if grids else None

    def __len__(self):
        return len(self.codes)

    def locate_code(self, lon, lat):
        if self.tree is None:
            return None
        point = shapely.Point(lon, lat)
        best = None
        for i in self.tree.query(point):
            if self.geometries[i].covers(point):
                key = (-self.depths[i], self.codes[i])
                if best is None or key < best[0]:
                    best = (key, self.codes[i])
        return best[1] if best else None

    def ancestors(self, code):
        chain = []
        parent = self.summaries[code]["parent_code"]
        while parent in self.summaries:
            chain.append(self.summaries[parent])
            parent = self.summaries[parent]["parent_code"]
        return chain

    def locate(self, lon, lat):
        """(the grid's summary, its ancestors nearest first)."""
        code = self.locate_code(lon, lat)
        if code is None:
            raise PointOutsideDistrict(
                f"The point ({lon:.6f}, {lat:.6f}) lies outside every grid of this district.",
                details={"lon": lon, "lat": lat})
        return self.summaries[code], self.ancestors(code)


def pick(candidates, point):
    """The border rule applied to (code, depth, geometry) candidates."""
    covering = [(-depth, code) for code, depth, geometry in candidates if geometry.covers(point)]
    return min(covering)[1] if covering else None
