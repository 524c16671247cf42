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
