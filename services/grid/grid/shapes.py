"""Grid shapes for a map, free of nameko: the grids under one grid as a GeoJSON
FeatureCollection, each polygon simplified for a web-mercator zoom and its coordinates
rounded to what that zoom can show.

At zoom ``z`` one screen pixel (of a 256-pixel tile) spans ``360 / (256 * 2**z)``
degrees of longitude. A polygon is simplified (Douglas-Peucker, topology kept) with a
tolerance of 0.7 of that, and its coordinates are rounded to the fewest decimals whose
step is at most one pixel (zoom 10: 3 decimals, about 100 m; zoom 16: 5). A ring that
collapses on rounding (fewer than three distinct points, or no area) is dropped; a
grid all of whose rings collapse is drawn as its bounding box, so every grid asked for
is on the map, however small. Exteriors run counter-clockwise and holes clockwise
(RFC 7946), as map renderers tell holes from islands by their winding.

Answers are cached as JSON text per (registry generation, grid, level, zoom) by
``ShapeCache``: the generation changes whenever the registry does, so a cached answer
is never stale.
"""
import json
import math
from collections import OrderedDict

from shapely.geometry.polygon import orient

from common.errors import InvalidInput
from grid.exceptions import GridNotFound

MIN_ZOOM, MAX_ZOOM = 0, 20
PIXEL_FRACTION = 0.7  # the simplification's tolerance, in screen pixels
MAX_DECIMALS = 7      # about a centimetre: more than any survey holds
LEAF = "leaf"
PROPERTIES = ("code", "name", "level", "kind", "parent_code")


def pixel_degrees(zoom):
    """Degrees of longitude one screen pixel spans at ``zoom`` (256-pixel tiles)."""
    return 360.0 / (256 * 2 ** zoom)


def tolerance(zoom):
    return pixel_degrees(zoom) * PIXEL_FRACTION


def decimals(zoom):
    """The fewest decimals whose step is no more than one pixel at ``zoom``."""
    return min(MAX_DECIMALS, max(0, math.ceil(-math.log10(pixel_degrees(zoom)) - 1e-9)))


def _ring(coords, places):
    """The ring rounded to ``places`` decimals without repeated points, closed; None
    when it collapses (under three distinct points, or no area left)."""
    ring = []
    for point in coords:
        rounded = [round(point[0], places), round(point[1], places)]
        if not ring or ring[-1] != rounded:
            ring.append(rounded)
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()
    if len(ring) < 3 or _signed_area(ring) == 0:
        return None
    ring.append(list(ring[0]))
    return ring


def _signed_area(ring):
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1])) / 2


def _box(bounds, places):
    """The bounds rounded outward, at least one step wide and high: a grid too small
    to draw at this zoom still shows."""
    step = 10 ** -places
    min_x, min_y = math.floor(bounds[0] / step) * step, math.floor(bounds[1] / step) * step
    max_x = max(math.ceil(bounds[2] / step) * step, min_x + step)
    max_y = max(math.ceil(bounds[3] / step) * step, min_y + step)
    min_x, min_y, max_x, max_y = (round(v, places) for v in (min_x, min_y, max_x, max_y))
    return [[min_x, min_y], [max_x, min_y], [max_x, max_y], [min_x, max_y], [min_x, min_y]]


def _polygons(geometry):
    if geometry.is_empty:
        return []
    if geometry.geom_type == "Polygon":
        return [geometry]
    return [part for part in getattr(geometry, "geoms", ()) if part.geom_type == "Polygon" and not part.is_empty]


def simplify(geometry, zoom):
    """A shapely (Multi)Polygon as a GeoJSON geometry for a map at ``zoom``: simplified,
    rounded, collapsed rings dropped; its bounding box when nothing is left; None for
    no geometry."""
    if geometry is None or geometry.is_empty:
        return None
    places = decimals(zoom)
    polygons = []
    for polygon in _polygons(geometry.simplify(tolerance(zoom), preserve_topology=True)):
        polygon = orient(polygon, 1.0)
        exterior = _ring(polygon.exterior.coords, places)
        if exterior is None:
            continue
        holes = [ring for ring in (_ring(hole.coords, places) for hole in polygon.interiors) if ring is not None]
        polygons.append([exterior, *holes])
    if not polygons:
        polygons = [[_box(geometry.bounds, places)]]
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": polygons[0]}
    return {"type": "MultiPolygon", "coordinates": polygons}


def bbox(bounds, zoom):
    """[min lon, min lat, max lon, max lat] rounded outward to the zoom's decimals."""
    ring = _box(bounds, decimals(zoom))
    return [ring[0][0], ring[0][1], ring[2][0], ring[2][1]]


# --- which grids ------------------------------------------------------------------------

def _invalid(field, message):
    return InvalidInput(message, code="VALIDATION_FAILED", details={"fields": {field: [message]}})


def check_query(zoom, level):
    """``zoom`` a whole number 0..20, ``level`` text or None; 400 naming the field otherwise."""
    if isinstance(zoom, bool) or not isinstance(zoom, int) or not MIN_ZOOM <= zoom <= MAX_ZOOM:
        raise _invalid("zoom", f"Must be a whole number from {MIN_ZOOM} to {MAX_ZOOM}.")
    if level is not None and (not isinstance(level, str) or not level):
        raise _invalid("level", "Must be a level key or `leaf`.")


def select(summaries, scheme, code, level=None):
    """(the level answered, the summaries of the grids to draw) under ``code``:
    ``level`` None: its children (the grid itself when it has none); ``leaf``: the
    grids under it (itself included) that have no children; a level key of the scheme,
    at or below the grid's own level: the grids of that level under it.
    ``summaries``: {code: {"code", "name", "level", "depth", "kind", "parent_code"}}
    of the active grids."""
    root = summaries.get(code)
    if root is None:
        raise GridNotFound(f"No active grid has the code {code}.", details={"code": code})
    under = [s for c, s in summaries.items() if c.startswith(code)]
    if level is None:
        children = [s for s in under if s["parent_code"] == code]
        if not children:
            return root["level"], [root]
        return children[0]["level"], sorted(children, key=lambda s: s["code"])
    if level == LEAF:
        parents = {s["parent_code"] for s in under}
        return LEAF, sorted((s for s in under if s["code"] not in parents), key=lambda s: s["code"])
    wanted = scheme.level(level)
    if wanted is None:
        keys = ", ".join([lv.key for lv in scheme] + [LEAF])
        raise _invalid("level", f"Unknown level {level!r}: one of {keys}.")
    if wanted.depth < root["depth"]:
        raise _invalid("level", f"Level {level!r} is above the grid {code} ({root['level']}): choose its own level "
                                "or one below it.")
    return level, sorted((s for s in under if s["level"] == level), key=lambda s: s["code"])


def collection(summaries, geometries, scheme, code, zoom, level=None, pause=None):
    """The answer: a GeoJSON FeatureCollection of the grids ``select`` picks, with the
    grid asked for (``code``), the ``level`` answered, the ``zoom`` and the ``bbox`` of
    the grid (else of the features). ``geometries``: {code: shapely geometry};
    ``pause()``: called now and then in a long run (to let other work in)."""
    check_query(zoom, level)
    answered, chosen = select(summaries, scheme, code, level)
    features = []
    for count, summary in enumerate(chosen, 1):
        features.append({"type": "Feature", "geometry": simplify(geometries.get(summary["code"]), zoom),
                         "properties": {key: summary.get(key) for key in PROPERTIES}})
        if pause is not None and count % 500 == 0:
            pause()
    bounds = _bounds([geometries.get(code)] if geometries.get(code) is not None
                     else [geometries.get(s["code"]) for s in chosen])
    return {"type": "FeatureCollection", "code": code, "level": answered, "zoom": zoom,
            "bbox": bbox(bounds, zoom) if bounds else None, "features": features}


def _bounds(geometries):
    boxes = [g.bounds for g in geometries if g is not None and not g.is_empty]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def encode(answer):
    """The answer as compact JSON text: what the cache keeps and the bus carries (one
    string, which the gateway passes on as it is, instead of 10,000 features decoded
    and encoded again)."""
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":"))


class ShapeCache:
    """Answers (JSON text, ``encode``) by key, least recently used out first, up to
    ``max_weight`` characters in all (the large district's leaf grids at its district
    view are 3.2 million). A key holds the registry's generation: an answer of an older
    generation is never returned, and those are dropped as soon as a newer one is
    stored."""

    def __init__(self, max_weight=64_000_000):
        self.max_weight = max_weight
        self._entries = OrderedDict()  # key -> (answer, weight)
        self.weight = 0
        self.hits = self.misses = 0

    def get(self, key):
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[0]

    def put(self, key, answer):
        generation = key[0]
        for old in [k for k in self._entries if k[0] != generation]:
            self._drop(old)
        heavy = len(answer)
        if heavy > self.max_weight:
            return answer  # larger than the whole cache: answered, not kept
        self._drop(key)
        self._entries[key] = (answer, heavy)
        self.weight += heavy
        while self.weight > self.max_weight:
            self._drop(next(iter(self._entries)))
        return answer

    def _drop(self, key):
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.weight -= entry[1]

    def __len__(self):
        return len(self._entries)
