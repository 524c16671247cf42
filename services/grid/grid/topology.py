"""Seamless coverage (横向到边、纵向到底、无缝隙), free of nameko and I/O.

A child lies within its parent, siblings do not overlap, and the children of a
grid cover it. Digitising noise is forgiven: a gap or overlap is reported only if
its area exceeds ``tolerance_m2`` (default 1 m², setting ``GRID_TOLERANCE_M2``)
and it is wider than ``SLIVER_WIDTH_M`` (0.5 m) somewhere, so a shared border drawn
twice a few centimetres apart passes however long it is.
"""
import shapely
from shapely.strtree import STRtree

from grid.exceptions import TopologyViolation
from grid.geo import area_m2, polygonal_part, to_geojson

DEFAULT_TOLERANCE_M2 = 1.0
SLIVER_WIDTH_M = 0.5
_METRES_PER_DEGREE = 111_320.0


def _wider_than_a_sliver(polygon):
    # erode by half the sliver width (in degrees of latitude: the safe, smaller side)
    return not polygon.buffer(-SLIVER_WIDTH_M / 2 / _METRES_PER_DEGREE).is_empty


def _pieces(geometry, tolerance_m2):
    geometry = polygonal_part(geometry)
    polygons = getattr(geometry, "geoms", [geometry]) if not geometry.is_empty else []
    return [p for p in polygons if area_m2(p) > tolerance_m2 and _wider_than_a_sliver(p)]


def check_within_parent(code, geometry, parent_code, parent_geometry, tolerance_m2):
    outside = _pieces(geometry.difference(parent_geometry), tolerance_m2)
    if outside:
        excess = shapely.union_all(outside)
        raise TopologyViolation(
            f"Grid {code} reaches {area_m2(excess):.1f} m² outside its parent {parent_code}.",
            code="OUTSIDE_PARENT",
            details={"grid": code, "parent_code": parent_code, "area_m2": round(area_m2(excess), 2),
                     "where": to_geojson(excess)})


def check_no_overlap(code, geometry, siblings, tolerance_m2):
    """``siblings``: (code, geometry) pairs already in place."""
    for sibling_code, sibling in siblings:
        if sibling_code == code or not geometry.intersects(sibling):
            continue
        overlap = _pieces(geometry.intersection(sibling), tolerance_m2)
        if overlap:
            shared = shapely.union_all(overlap)
            raise TopologyViolation(
                f"Grid {code} overlaps its sibling {sibling_code} by {area_m2(shared):.1f} m².",
                code="OVERLAPS_SIBLING",
                details={"grid": code, "overlaps": sibling_code, "area_m2": round(area_m2(shared), 2),
                         "where": to_geojson(shared)})


def coverage_of(parent_code, parent_geometry, children, tolerance_m2):
    """Gaps (parent area no child covers) and overlaps between children, each with
    its area in m² and GeoJSON. ``children``: (code, geometry) pairs."""
    gaps, overlaps = [], []
    if children:
        covered = shapely.union_all([geometry for _, geometry in children])
        for piece in _pieces(parent_geometry.difference(covered), tolerance_m2):
            gaps.append({"parent_code": parent_code, "area_m2": round(area_m2(piece), 2),
                         "geometry": to_geojson(piece)})
        tree = STRtree([geometry for _, geometry in children])
        for i, (code, geometry) in enumerate(children):
            for j in tree.query(geometry, predicate="intersects"):
                if j <= i:
                    continue
                other_code, other = children[j]
                for piece in _pieces(geometry.intersection(other), tolerance_m2):
                    overlaps.append({"parent_code": parent_code, "grids": [code, other_code],
                                     "area_m2": round(area_m2(piece), 2), "geometry": to_geojson(piece)})
    return gaps, overlaps
