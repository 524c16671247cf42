"""Geometry helpers, free of nameko: GeoJSON in and out, areas on the ellipsoid's
sphere, validity explained, and GCJ-02 (Chinese web maps) to WGS-84.

Coordinates are WGS-84 longitude/latitude in degrees. Areas use the spherical
formula of Chamberlain & Duquette (the one Turf and d3 use) with the WGS-84
semi-major axis: within about 0.5% of the ellipsoidal area at China's latitudes,
well inside what grid sizing needs.
"""
import math

import shapely
from shapely.geometry import mapping, shape
from shapely.validation import explain_validity

from grid.exceptions import InvalidGeometry

EARTH_RADIUS_M = 6378137.0
POLYGONAL = ("Polygon", "MultiPolygon")


def parse_polygon(geojson, what):
    """A valid shapely (Multi)Polygon from a GeoJSON geometry, or InvalidGeometry
    naming ``what`` (e.g. the grid) and the problem, with its location."""
    if not isinstance(geojson, dict) or geojson.get("type") not in POLYGONAL:
        found = geojson.get("type") if isinstance(geojson, dict) else type(geojson).__name__
        raise InvalidGeometry(f"{what}: geometry must be a GeoJSON Polygon or MultiPolygon, not {found}.",
                              details={"field": "geometry"})
    try:
        geometry = shape(geojson)
    except Exception as exc:
        raise InvalidGeometry(f"{what}: geometry cannot be read: {exc}.", details={"field": "geometry"}) from None
    if geometry.is_empty:
        raise InvalidGeometry(f"{what}: geometry is empty.", details={"field": "geometry"})
    check_coordinates(geometry, what)
    if not geometry.is_valid:
        reason = explain_validity(geometry)  # e.g. "Self-intersection[120.61 31.32]"
        raise InvalidGeometry(f"{what}: invalid geometry: {reason}.",
                              details={"field": "geometry", "reason": reason, "where": _where(reason)})
    return geometry


def check_coordinates(geometry, what):
    coords = shapely.get_coordinates(geometry)
    bad = coords[(abs(coords[:, 0]) > 180) | (abs(coords[:, 1]) > 90)]
    if len(bad):
        lon, lat = bad[0]
        raise InvalidGeometry(
            f"{what}: coordinate ({lon:g}, {lat:g}) is outside longitude -180..180 / latitude -90..90.",
            details={"field": "geometry", "where": [float(lon), float(lat)]})


def _where(reason):
    if "[" in reason and reason.endswith("]"):
        try:
            lon, lat = reason[reason.index("[") + 1:-1].split()
            return [float(lon), float(lat)]
        except ValueError:
            return None
    return None


def ring_area_m2(coords):
    total = 0.0
    n = len(coords)
    if n < 3:
        return 0.0
    for i in range(n):
        lon1, lat1 = coords[i][0], coords[i][1]
        lon2, lat2 = coords[(i + 1) % n][0], coords[(i + 1) % n][1]
        total += math.radians(lon2 - lon1) * (2 + math.sin(math.radians(lat1)) + math.sin(math.radians(lat2)))
    return abs(total * EARTH_RADIUS_M * EARTH_RADIUS_M / 2.0)


def area_m2(geometry):
    """Area in square metres of a lon/lat (Multi)Polygon."""
    if geometry.is_empty:
        return 0.0
    polygons = geometry.geoms if hasattr(geometry, "geoms") else [geometry]
    total = 0.0
    for polygon in polygons:
        if polygon.geom_type != "Polygon":
            continue
        total += ring_area_m2(polygon.exterior.coords)
        total -= sum(ring_area_m2(ring.coords) for ring in polygon.interiors)
    return total


def to_geojson(geometry):
    return mapping(geometry) if geometry is not None else None


def polygonal_part(geometry):
    """Only the polygons of an overlay result (drops slivers reduced to lines/points)."""
    if geometry.is_empty:
        return geometry
    if geometry.geom_type in POLYGONAL:
        return geometry
    parts = [g for g in getattr(geometry, "geoms", []) if g.geom_type in POLYGONAL]
    return shapely.union_all(parts) if parts else shapely.Polygon()


# --- GCJ-02 ------------------------------------------------------------------
# The published transform of GB 20263 ("Mars coordinates"), as used by AMap and
# Tencent maps; the inverse has no closed form and is found by fixed-point iteration.

_A = 6378245.0
_EE = 0.00669342162296594323


_WEST, _EAST, _SOUTH, _NORTH = 72.004, 137.8347, 0.8293, 55.8271
_MAX_OFFSET_DEG = 0.02  # the offset is under 0.01 degree (about 700 m) everywhere


def _outside_china(lon, lat, margin=0.0):
    return not (_WEST - margin <= lon <= _EAST + margin and _SOUTH - margin <= lat <= _NORTH + margin)


def _delta(lon, lat):
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
            + (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
            + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    radlat = math.radians(lat)
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(radlat) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    if _outside_china(lon, lat):
        return lon, lat
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat):
    """The WGS-84 point w that the forward transform moves to p = (lon, lat): the
    fixed point of w = p - delta(w), iterated on the offset itself. Whether the offset
    applies is judged on w, not on p or on the iterates: near the box's edge the offset
    carries a point across it, and an inverse that judged p (or switched the offset
    off for an iterate outside the box) left such points unconverted, 500-600 m off.
    p outside the box and no w inside it: p itself (GCJ-02 equals WGS-84 there)."""
    if _outside_china(lon, lat, _MAX_OFFSET_DEG):
        return lon, lat
    wlon, wlat = lon, lat
    for _ in range(30):
        dlon, dlat = _delta(wlon, wlat)
        elon, elat = wlon + dlon - lon, wlat + dlat - lat
        wlon, wlat = wlon - elon, wlat - elat
        if abs(elon) < 1e-11 and abs(elat) < 1e-11:
            break
    if _outside_china(wlon, wlat) and _outside_china(lon, lat):
        return lon, lat
    return wlon, wlat


CRS = {"wgs84": lambda lon, lat: (lon, lat), "gcj02": gcj02_to_wgs84}


def to_wgs84(lon, lat, crs):
    try:
        return CRS[crs](lon, lat)
    except KeyError:
        raise InvalidGeometry(f"Unknown crs {crs!r}; use one of: {', '.join(CRS)}.",
                              code="UNKNOWN_CRS", details={"field": "crs", "allowed": list(CRS)}) from None
