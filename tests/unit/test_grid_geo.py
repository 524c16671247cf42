import pytest
from shapely.geometry import box, mapping

from grid import geo, topology
from grid.exceptions import InvalidGeometry, TopologyViolation


def test_area_of_a_known_box_in_square_metres():
    # 0.01 degree square at 31.3 N: 1113.2 m north-south x 951 m east-west
    assert geo.area_m2(box(120.6, 31.3, 120.61, 31.31)) == pytest.approx(1_058_800, rel=0.005)
    with_hole = box(0, 0, 0.02, 0.02).difference(box(0.005, 0.005, 0.015, 0.015))
    assert geo.area_m2(with_hole) == pytest.approx(geo.area_m2(box(0, 0, 0.02, 0.02)) * 0.75, rel=1e-3)


def test_gcj02_round_trip_and_offset_size():
    lon, lat = 116.391248, 39.907501  # Tiananmen, WGS-84
    glon, glat = geo.wgs84_to_gcj02(lon, lat)
    offset_m = ((glon - lon) * 85_000) ** 2 + ((glat - lat) * 111_000) ** 2
    assert 100 ** 2 < offset_m < 1000 ** 2  # web maps are off by hundreds of metres
    back = geo.gcj02_to_wgs84(glon, glat)
    assert back == pytest.approx((lon, lat), abs=1e-8)
    assert geo.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)  # outside China: unchanged


@pytest.mark.parametrize("geometry, fragment", [
    ({"type": "Point", "coordinates": [1, 2]}, "not Point"),
    ("nonsense", "not str"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}, "Self-intersection"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [0, 1], [0, 0]]]}, "outside longitude"),
    ({"type": "Polygon", "coordinates": "x"}, "cannot be read"),
])
def test_bad_geometry_is_named_and_located(geometry, fragment):
    with pytest.raises(InvalidGeometry) as caught:
        geo.parse_polygon(geometry, "grid 320508019044001")
    assert fragment in caught.value.message and caught.value.message.startswith("grid 320508019044001")
    if fragment == "Self-intersection":
        assert caught.value.details["where"] == [0.5, 0.5]


def test_unknown_crs_names_the_field():
    with pytest.raises(InvalidGeometry) as caught:
        geo.to_wgs84(120, 31, "bd09")
    assert caught.value.code == "UNKNOWN_CRS" and caught.value.details["field"] == "crs"


def test_coverage_finds_real_gaps_and_overlaps_but_forgives_slivers():
    parent = box(0, 0, 0.02, 0.01)
    left, right = box(0, 0, 0.01, 0.01), box(0.01, 0, 0.02, 0.01)
    assert topology.coverage_of("P", parent, [("A", left), ("B", right)], 1.0) == ([], [])
    # a border drawn 5 cm apart: a long thin sliver, forgiven
    nudged = box(0.0100005, 0, 0.02, 0.01)
    assert topology.coverage_of("P", parent, [("A", left), ("B", nudged)], 1.0) == ([], [])
    gaps, overlaps = topology.coverage_of("P", parent, [("A", left), ("B", box(0.012, 0, 0.02, 0.01))], 1.0)
    assert len(gaps) == 1 and gaps[0]["area_m2"] == pytest.approx(geo.area_m2(box(0.01, 0, 0.012, 0.01)), rel=1e-6)
    gaps, overlaps = topology.coverage_of("P", parent, [("A", box(0, 0, 0.012, 0.01)), ("B", right)], 1.0)
    assert gaps == [] and overlaps[0]["grids"] == ["A", "B"]
    with pytest.raises(TopologyViolation) as caught:
        topology.check_within_parent("C", box(0.015, 0, 0.03, 0.01), "P", parent, 1.0)
    assert caught.value.code == "OUTSIDE_PARENT" and caught.value.details["area_m2"] > 1_000_000
    assert mapping(box(0, 0, 1, 1))["type"] == "Polygon"


# Published test vectors of eviltransform (WGS-84 lon/lat -> GCJ-02 lon/lat).
EVILTRANSFORM_VECTORS = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),     # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),     # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),     # Beijing
]


def _metres(a, b):
    import math
    return math.hypot((a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1])), (a[1] - b[1]) * 110_574)


@pytest.mark.parametrize("wgs, gcj", EVILTRANSFORM_VECTORS)
def test_gcj02_matches_published_vectors_both_ways(wgs, gcj):
    assert geo.wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-9)
    assert _metres(geo.gcj02_to_wgs84(*gcj), wgs) < 0.01


def _points_across_china():
    """WGS-84 points across the box the transform applies in, dense near its edges."""
    west, east, south, north = 72.004, 137.8347, 0.8293, 55.8271
    inside = [1e-4, 0.001, 0.005, 0.01, 0.05]
    lons = [west + d for d in inside] + [80, 95, 105, 116.4, 121.5, 130] + [east - d for d in inside]
    lats = [south + d for d in inside] + [10, 22.5, 31.2, 39.9, 45] + [north - d for d in inside]
    return [(lon, lat) for lon in lons for lat in lats]


def test_gcj02_inverse_undoes_the_offset_everywhere_in_the_box_including_its_edges():
    # near the east edge the offset pushes a point out of the box; the inverse used to
    # leave such a point unconverted, 500-600 m off
    far = []
    for wgs in _points_across_china():
        gcj = geo.wgs84_to_gcj02(*wgs)
        back = geo.gcj02_to_wgs84(*gcj)
        if _metres(back, wgs) > 0.01 or _metres(geo.wgs84_to_gcj02(*back), gcj) > 0.01:
            far.append((wgs, round(_metres(back, wgs), 1)))
    assert far == []


def test_gcj02_far_outside_china_is_left_alone():
    for point in [(2.35, 48.85), (-74.0, 40.7), (150.0, -33.9), (71.9, 40.0), (138.0, 40.0)]:
        assert geo.gcj02_to_wgs84(*point) == point == geo.wgs84_to_gcj02(*point)
