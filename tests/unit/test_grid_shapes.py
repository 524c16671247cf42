"""grid.shapes: polygons simplified and rounded for a map zoom, every grid kept, the
grids a query picks, and the cache."""
import json
import math

import pytest
import shapely
from shapely.geometry import Polygon, box, shape

from common.errors import InvalidInput
from grid import shapes
from grid.exceptions import GridNotFound
from grid.levels import scheme


def wiggly(cx, cy, radius, points=400, wobble=0.02):
    """A circle-like polygon with many small wiggles (what a survey gives)."""
    ring = []
    for i in range(points):
        angle = 2 * math.pi * i / points
        r = radius * (1 + wobble * math.sin(37 * angle))
        ring.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    return Polygon(ring)


def test_pixel_tolerance_and_decimals_follow_the_zoom():
    assert shapes.pixel_degrees(0) == pytest.approx(360 / 256)
    assert shapes.tolerance(10) == pytest.approx(360 / (256 * 1024) * 0.7)
    assert [shapes.decimals(z) for z in (0, 4, 8, 10, 12, 14, 16, 18, 20)] == [0, 2, 3, 3, 4, 5, 5, 6, 6]
    for zoom in range(21):  # a rounding step is never more than a pixel, nor under a tenth of one
        step = 10 ** -shapes.decimals(zoom)
        assert shapes.pixel_degrees(zoom) / 10 < step <= shapes.pixel_degrees(zoom)


def test_a_detailed_polygon_loses_points_at_low_zoom_and_keeps_its_shape():
    polygon = wiggly(120.6, 31.3, 0.02)
    far, near = shapes.simplify(polygon, 10), shapes.simplify(polygon, 18)
    assert far["type"] == "Polygon" and near["type"] == "Polygon"
    far_points, near_points = len(far["coordinates"][0]), len(near["coordinates"][0])
    assert far_points < 60 < near_points <= 401
    # within about a pixel of the original everywhere
    assert shape(far).hausdorff_distance(polygon) < 2 * shapes.pixel_degrees(10)
    assert shape(far).is_valid
    # rounded to the zoom's decimals
    for x, y in far["coordinates"][0]:
        assert round(x, 3) == x and round(y, 3) == y and len(json.dumps(x).split(".")[-1]) <= 3


def test_rings_are_closed_exteriors_counter_clockwise_holes_clockwise():
    outer = box(120.0, 31.0, 120.1, 31.1)
    holed = Polygon(list(outer.exterior.coords)[::-1], [list(box(120.04, 31.04, 120.06, 31.06).exterior.coords)])
    answer = shapes.simplify(holed, 14)
    exterior, hole = answer["coordinates"]
    assert exterior[0] == exterior[-1] and hole[0] == hole[-1]
    assert shapely.LinearRing(exterior).is_ccw and not shapely.LinearRing(hole).is_ccw


def test_a_hole_that_collapses_is_dropped_and_the_polygon_kept():
    outer = box(120.0, 31.0, 120.1, 31.1)
    tiny_hole = list(box(120.05, 31.05, 120.05001, 31.05001).exterior.coords)
    answer = shapes.simplify(Polygon(outer.exterior.coords, [tiny_hole]), 8)
    assert answer["type"] == "Polygon" and len(answer["coordinates"]) == 1


def test_a_grid_too_small_for_the_zoom_is_drawn_as_its_box():
    tiny = box(120.61231, 31.30012, 120.61234, 31.30015)  # a few metres
    answer = shapes.simplify(tiny, 6)  # a pixel is about 2 km: 2 decimals
    assert answer["type"] == "Polygon"
    ring = answer["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
    xs, ys = [x for x, _ in ring], [y for _, y in ring]
    assert min(xs) <= 120.61231 and max(xs) >= 120.61234 and min(ys) <= 31.30012 and max(ys) >= 31.30015
    assert max(xs) - min(xs) == pytest.approx(0.01) and max(ys) - min(ys) == pytest.approx(0.01)


def test_a_multipolygon_drops_only_its_collapsed_parts():
    big = box(120.0, 31.0, 120.1, 31.1)
    speck = box(120.5, 31.5, 120.50001, 31.50001)
    answer = shapes.simplify(shapely.MultiPolygon([big, speck]), 8)
    assert answer["type"] == "Polygon"  # the speck collapsed, the big part stays
    both = shapes.simplify(shapely.MultiPolygon([big, box(120.5, 31.5, 120.6, 31.6)]), 8)
    assert both["type"] == "MultiPolygon" and len(both["coordinates"]) == 2


def test_no_geometry_is_none():
    assert shapes.simplify(None, 10) is None
    assert shapes.simplify(Polygon(), 10) is None


def test_bbox_is_rounded_outward():
    assert shapes.bbox((120.61234, 31.30012, 120.71234, 31.40019), 10) == [120.612, 31.3, 120.713, 31.401]


# --- which grids -------------------------------------------------------------------------------

def _district():
    """A county 320508 with one street 320508001 and two communities; community 001 has
    two grids, community 002 none."""
    rows = [
        ("320508", "姑苏区", "district", 1, None, box(120.0, 31.0, 120.4, 31.2)),
        ("320508001", "金阊街道", "town", 2, "320508", box(120.0, 31.0, 120.4, 31.2)),
        ("320508001001", "彩香社区", "community", 3, "320508001", box(120.0, 31.0, 120.2, 31.2)),
        ("320508001002", "三元社区", "community", 3, "320508001", box(120.2, 31.0, 120.4, 31.2)),
        ("320508001001001", "彩香第一网格", "villager_group", 4, "320508001001", box(120.0, 31.0, 120.1, 31.2)),
        ("320508001001901", "彩香学校", "villager_group", 4, "320508001001", box(120.1, 31.0, 120.2, 31.2)),
    ]
    summaries = {code: {"code": code, "name": name, "level": level, "depth": depth, "parent_code": parent,
                        "kind": "exclusive" if code.endswith("901") else "basic"}
                 for code, name, level, depth, parent, _ in rows}
    return summaries, {row[0]: row[-1] for row in rows}


def _codes(answer):
    return [f["properties"]["code"] for f in answer["features"]]


def test_children_by_default_leaves_and_levels():
    summaries, geometries = _district()
    levels = scheme()
    answer = shapes.collection(summaries, geometries, levels, "320508001", 12)
    assert answer["type"] == "FeatureCollection" and answer["level"] == "community" and answer["zoom"] == 12
    assert answer["code"] == "320508001" and answer["bbox"] == [120.0, 31.0, 120.4, 31.2]
    assert _codes(answer) == ["320508001001", "320508001002"]
    assert answer["features"][0]["properties"] == {"code": "320508001001", "name": "彩香社区", "level": "community",
                                                   "kind": "basic", "parent_code": "320508001"}
    leaf = shapes.collection(summaries, geometries, levels, "320508", 12, "leaf")
    assert leaf["level"] == "leaf"
    assert _codes(leaf) == ["320508001001001", "320508001001901", "320508001002"]
    by_level = shapes.collection(summaries, geometries, levels, "320508", 12, "villager_group")
    assert _codes(by_level) == ["320508001001001", "320508001001901"]
    assert _codes(shapes.collection(summaries, geometries, levels, "320508001002", 12)) == ["320508001002"]
    assert _codes(shapes.collection(summaries, geometries, levels, "320508001", 12, "town")) == ["320508001"]


def test_bad_queries_name_their_field_and_unknown_grids_are_not_found():
    summaries, geometries = _district()
    levels = scheme()
    with pytest.raises(GridNotFound):
        shapes.collection(summaries, geometries, levels, "320599", 12)
    for zoom in (-1, 21, 99, "12", 1.5, True):
        with pytest.raises(InvalidInput) as refused:
            shapes.collection(summaries, geometries, levels, "320508", zoom)
        assert list(refused.value.details["fields"]) == ["zoom"]
    for level in ("street_block", "district"):
        with pytest.raises(InvalidInput) as refused:
            shapes.collection(summaries, geometries, levels, "320508001", 12, level)
        assert list(refused.value.details["fields"]) == ["level"]


def test_the_cache_answers_by_generation_and_keeps_to_its_weight():
    summaries, geometries = _district()
    answer = shapes.encode(shapes.collection(summaries, geometries, scheme(), "320508", 12, "leaf"))
    assert json.loads(answer)["features"] and "彩香" in answer and ": " not in answer
    cache = shapes.ShapeCache(max_weight=len(answer) * 2)
    cache.put((1, "320508", "leaf", 12), answer)
    assert cache.get((1, "320508", "leaf", 12)) is answer
    assert cache.get((2, "320508", "leaf", 12)) is None
    cache.put((2, "320508", "leaf", 12), answer)
    assert len(cache) == 1  # the older generation's answers went
    cache.put((2, "320508", "leaf", 13), answer)
    cache.put((2, "320508", "leaf", 14), answer)  # over the weight: the least recently used goes
    assert len(cache) == 2 and cache.get((2, "320508", "leaf", 12)) is None
    assert cache.weight <= cache.max_weight
    small = shapes.ShapeCache(max_weight=1)
    assert small.put((1, "x", None, 1), answer) is answer and len(small) == 0


def test_the_large_scale_property_every_feature_is_drawable():
    """Many tiny neighbours at a far zoom: each still has a polygon."""
    summaries = {"320508": {"code": "320508", "name": "区", "level": "district", "depth": 1, "parent_code": None,
                            "kind": "basic"}}
    geometries = {"320508": box(120.0, 31.0, 120.01, 31.01)}
    for i in range(100):
        code = f"320508{i + 1:03d}"
        x, y = 120.0 + (i % 10) * 0.001, 31.0 + (i // 10) * 0.001
        summaries[code] = {"code": code, "name": f"街道{i}", "level": "town", "depth": 2, "parent_code": "320508",
                           "kind": "basic"}
        geometries[code] = box(x, y, x + 0.001, y + 0.001)
    answer = shapes.collection(summaries, geometries, scheme(), "320508", 5)
    assert len(answer["features"]) == 100
    assert all(f["geometry"] and f["geometry"]["coordinates"] for f in answer["features"])
