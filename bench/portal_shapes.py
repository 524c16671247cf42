"""The portal map's shapes of the large district (``grid.shapes``), one JSON line per figure.

The large district (``grid.generator.large_spec``: 11,269 grids, of which 10,056 are leaf
grids: 10,000 household groups and 56 exclusive grids) at its district view: the zoom
that fits the whole district in a 1200 x 800 pixel map (web mercator, whole zooms; 10
for this district). For each level the map asks for there (the leaf grids, the towns,
the communities, the villager groups):

- ``portal_shapes_<level>_in_process``: the grid service's own path, in this process:
  the answer built from the in-memory index (``seconds_first``, a cache miss), then
  from its cache (``seconds_cached``); ``answer_bytes`` as the gateway writes it
  (compact JSON), ``gzip_bytes`` as a browser receives it, beside ``aim_bytes`` (2 MB
  for the district view's leaf grids, which the plan asks), and the coordinates kept.
- ``portal_shapes_<level>_gateway`` (unless BENCH_SHAPES_GATEWAY=0): the same through
  the running platform (HTTP, token, scope, RPC to grid and back, ETag, gzip): the
  first request and the median of BENCH_SHAPES_RUNS (5) after it, and the bytes on
  the wire; the platform on SQLite, or PostgreSQL with BENCH_PG_URL.
"""
import gzip
import json
import math
import os
import statistics
import time
from contextlib import ExitStack

import requests
import shapely.geometry

from bench.run import ADMIN_PASSWORD, START_TIMEOUT, bench_environment, emit, log
from common.launcher import start_all, stop_all
from grid import shapes
from grid.generator import build, large_spec
from grid.index import GridIndex
from grid.levels import level_by_code, scheme

ROOT = "320509"
VIEW = (1200, 800)  # a command centre's map, in CSS pixels
AIM_BYTES = 2_000_000
LEVELS = ("leaf", None, "community", "villager_group")  # None: the district's children, its towns
RUNS = int(os.environ.get("BENCH_SHAPES_RUNS", "5"))
THROUGH_GATEWAY = os.environ.get("BENCH_SHAPES_GATEWAY", "1") != "0"


def fit_zoom(bounds, width, height):
    """The largest whole web-mercator zoom at which ``bounds`` fit in width x height pixels."""
    min_lon, min_lat, max_lon, max_lat = bounds

    def mercator_y(lat):
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    across = (max_lon - min_lon) / 360
    up = (mercator_y(max_lat) - mercator_y(min_lat)) / (2 * math.pi)
    return math.floor(min(math.log2(width / (256 * across)), math.log2(height / (256 * up))))


def index_of(collection):
    """The grid service's in-memory index of the district (what ``load_index`` builds)."""
    levels = scheme()
    rows = []
    for feature in collection["features"]:
        p = feature["properties"]
        rows.append(({"code": p["code"], "name": p["name"], "level": p["level"],
                      "depth": level_by_code(levels, p["code"]).depth, "kind": p.get("kind", "basic"),
                      "parent_code": p.get("parent_code")}, shapely.geometry.shape(feature["geometry"])))
    return GridIndex(rows)


def body_of(answer):
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()


def coordinates(answer):
    total = 0
    for feature in answer["features"]:
        geometry = feature["geometry"] or {"type": "Polygon", "coordinates": []}
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        total += sum(len(ring) for polygon in polygons for ring in polygon)
    return total


def label(level):
    return level or "children"


def in_process(index, zoom):
    cache = shapes.ShapeCache()
    geometries = dict(zip(index.codes, index.geometries))
    for level in LEVELS:
        key = (1, ROOT, level, zoom)
        started = time.perf_counter()
        text = cache.get(key) or cache.put(key, shapes.encode(shapes.collection(
            index.summaries, geometries, scheme(), ROOT, zoom, level)))
        first = time.perf_counter() - started
        started = time.perf_counter()
        cached = cache.get(key)
        again = time.perf_counter() - started
        assert cached is text
        body, answer = text.encode(), json.loads(text)
        emit(benchmark=f"portal_shapes_{label(level)}_in_process", zoom=zoom, level=answer["level"],
             features=len(answer["features"]), seconds_first=round(first, 3), seconds_cached=round(again, 6),
             answer_bytes=len(body), gzip_bytes=len(gzip.compress(body, 5)),
             aim_bytes=AIM_BYTES if level == "leaf" else None,
             coordinates=coordinates(answer), decimals=shapes.decimals(zoom))


def seed(grid_url, collection):
    from bench.coverage import seed_grid
    return seed_grid(grid_url, collection)


def through_gateway(collection, zoom):
    with ExitStack() as stack:
        bench = bench_environment(stack, "portal-shapes")
        grid_url = bench.db_urls.get("grid") or f"sqlite:///{bench.work_dir / 'grid.db'}"
        log(f"writing {seed(grid_url, collection):,} grids ...")
        log("starting the five components ...")
        processes = start_all(bench.env, bench.work_dir, START_TIMEOUT * 3)
        stack.callback(stop_all, processes)
        gateway = processes["gateway"].url + "/api/v1"
        token = requests.post(f"{gateway}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD},
                              timeout=30).json()["access_token"]
        for level in LEVELS:
            params = {"zoom": zoom, **({"level": level} if level else {})}
            seconds, response = [], None
            for _ in range(RUNS + 1):
                started = time.perf_counter()
                response = requests.get(f"{gateway}/grids/{ROOT}/shapes", params=params, timeout=120,
                                        headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"},
                                        stream=True)
                wire = response.raw.read(decode_content=False)
                seconds.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise SystemExit(f"bench: shapes answered {response.status_code}: {wire[:300]!r}")
            answer = json.loads(gzip.decompress(wire) if response.headers.get("Content-Encoding") == "gzip" else wire)
            emit(benchmark=f"portal_shapes_{label(level)}_gateway", zoom=zoom, level=answer["level"],
                 features=len(answer["features"]), seconds_first=round(seconds[0], 3),
                 seconds_cached=round(statistics.median(seconds[1:]), 3), runs=RUNS, wire_bytes=len(wire),
                 content_encoding=response.headers.get("Content-Encoding"), answer_bytes=len(body_of(answer)),
                 aim_bytes=AIM_BYTES if level == "leaf" else None, database=bench.database)


def main():
    log("generating the large district ...")
    collection = build(large_spec(), radius_deg=0.25)
    index = index_of(collection)
    bounds = index.geometries[index.codes.index(ROOT)].bounds
    zoom = fit_zoom(bounds, *VIEW)
    leaves = len(shapes.select(index.summaries, scheme(), ROOT, "leaf")[1])
    emit(benchmark="portal_shapes_district_view", grids=len(collection["features"]), leaf_grids=leaves, zoom=zoom,
         view_pixels=f"{VIEW[0]}x{VIEW[1]}", bbox=[round(v, 4) for v in bounds])
    in_process(index, zoom)
    if THROUGH_GATEWAY:
        through_gateway(collection, zoom)


if __name__ == "__main__":
    main()
