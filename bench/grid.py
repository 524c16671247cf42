"""Grid registry figures on the large generated district (12 towns, 200
communities, 1,000 basic grids, 10,000 household groups), one JSON line each:

- ``grid_import_large``: seconds to import it through the registry's all-or-nothing
  import (every code, containment and overlap rule checked), in process.
- ``grid_coverage_large``: seconds for the full coverage check of the district.
- ``grid_locate_index`` and ``grid_locate_bare_strtree``: point lookups/s through the
  service's own index (the deepest grid, border rule and all) and through a bare
  shapely STRtree query over the same polygons, same points, same run; and their
  ``ratio`` (aim: at least 0.5).
- ``grid_locate_rpc``: lookups/s over RPC to a running grid service holding the district.

SQLite in a temporary folder, or PostgreSQL with BENCH_PG_URL; BENCH_LOCATE_POINTS
(20,000) random points in the district's bounding box.
"""
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import shapely
from nameko.standalone.rpc import ClusterRpcProxy
from shapely.strtree import STRtree

from bench.run import (CALL_TIMEOUT, PG_URL, PORT_BASE, broker_vhost, child_env, log, measure,
                       postgres_databases, require_free)
from common.cli import open_database
from common.launcher import BY_NAME, ServiceProcess
from grid import MIGRATIONS_DIR, registry
from grid.generator import build, large_spec
from grid.levels import scheme
from grid.locate import load_index

POINTS = int(os.environ.get("BENCH_LOCATE_POINTS", "20000"))
ROOT = "320509"


def emit(**figure):
    print(json.dumps(figure, ensure_ascii=False), flush=True)


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def lookups_per_second(points, lookup):
    started = time.perf_counter()
    found = sum(1 for x, y in points if lookup(x, y) is not None)
    return len(points) / (time.perf_counter() - started), found


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    database = "postgresql" if PG_URL else "sqlite"
    with ExitStack() as stack:
        data_dir = Path(tempfile.mkdtemp(prefix="gridgov-bench-grid-"))
        stack.callback(shutil.rmtree, data_dir, ignore_errors=True)
        db_urls = stack.enter_context(postgres_databases(PG_URL)) if PG_URL else {}
        grid_url = db_urls.get("grid") or f"sqlite:///{data_dir / 'grid.db'}"

        log("generating the large district ...")
        collection, seconds = timed(lambda: build(large_spec(), radius_deg=0.25))
        emit(benchmark="grid_generate_large", seconds=round(seconds, 2), grids=len(collection["features"]))

        db = open_database("grid", MIGRATIONS_DIR, {"DB_URL": grid_url})
        stack.callback(db.engine.dispose)

        def import_all():
            with db.transaction() as session:
                return registry.import_features(session, scheme(), collection)
        added, seconds = timed(import_all)
        emit(benchmark="grid_import_large", seconds=round(seconds, 2), grids=len(added), database=database)

        def coverage():
            with db.read() as session:
                return registry.coverage_report(session, ROOT)
        report, seconds = timed(coverage)
        emit(benchmark="grid_coverage_large", seconds=round(seconds, 2), grids_checked=report["grids_checked"],
             gaps=len(report["gaps"]), overlaps=len(report["overlaps"]), database=database)

        with db.read() as session:
            index, seconds = timed(lambda: load_index(session))
        emit(benchmark="grid_index_build", seconds=round(seconds, 2), grids=len(index))

        minx, miny, maxx, maxy = shapely.total_bounds(index.geometries)
        rng = random.Random(7)
        points = [(rng.uniform(minx, maxx), rng.uniform(miny, maxy)) for _ in range(POINTS)]
        bare_tree = STRtree(index.geometries)

        def bare(x, y):
            hits = bare_tree.query(shapely.Point(x, y), predicate="intersects")
            return hits if len(hits) else None

        bare_rate, bare_found = lookups_per_second(points, bare)
        index_rate, index_found = lookups_per_second(points, index.locate_code)
        emit(benchmark="grid_locate_bare_strtree", lookups_per_second=round(bare_rate), points=POINTS,
             found=bare_found)
        emit(benchmark="grid_locate_index", lookups_per_second=round(index_rate), points=POINTS, found=index_found)
        emit(benchmark="ratio", name="grid_locate_index / grid_locate_bare_strtree",
             value=round(index_rate / bare_rate, 3))

        require_free([PORT_BASE + 1])
        amqp_uri = stack.enter_context(broker_vhost())
        env = child_env(amqp_uri, data_dir, {"grid": grid_url})
        process = ServiceProcess(BY_NAME["grid"], env, data_dir / "grid.log")
        stack.callback(process.stop)
        log("starting the grid service on the large district ...")
        process.start().wait_healthy(300)
        inside = [p for p in points[:2000] if index.locate_code(*p) is not None]

        @contextmanager
        def rpc_locate():
            picker = random.Random()
            with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=CALL_TIMEOUT) as rpc:
                yield lambda: rpc.grid.locate(*picker.choice(inside))

        measure("grid_locate_rpc", rpc_locate, "lookups_per_second", database=database)


if __name__ == "__main__":
    main()
