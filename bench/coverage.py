"""The coverage report (巡查走访) of the large district, one JSON line per figure.

The large district (``grid.generator.large_spec``: 12 towns, 200 communities, 1,056
villager groups of which 56 exclusive grids, 10,000 household groups; 11,269 grids)
goes into grid's database as rows, geometry and all, and people's records of it by
bulk SQL: each household group's households (399,642), the staffing standard's posts
in each basic grid (a chief, a full-time worker, two part-timers) and a chief per
exclusive grid, and two quarters (2026-Q2 and Q3) of visits and patrols with gaps that
vary by grid: full-time workers cover 85-100% of their households, part-timers and
chiefs miss their share in about half the grids, and rounds fall short in about half. The five components run on
PostgreSQL (BENCH_PG_URL, required). Then, as a district officer asks it:

- ``coverage_large_district_quarter``: ``GET /api/v1/coverage?root=320509&period=2026-Q3``
  through the gateway (people asks grid for the district's staffed grids, counts in
  grouped queries, answers every worker below target and the first page of households
  not visited); the median of BENCH_COVERAGE_RUNS (5) after one warm-up, beside its aim
  (under 2 s), with the best and the answer's size.
- ``coverage_large_district_in_process``: ``people.coverage.report`` on the same
  database, called in this process with the grids already in hand: the floor, without
  the RPC to grid, the bus and the HTTP.
"""
import os
import statistics
import time
from contextlib import ExitStack

import requests
import shapely.geometry
from sqlalchemy import create_engine, insert

from bench.run import ADMIN_PASSWORD, PG_URL, START_TIMEOUT, bench_environment, emit, log
from bench.sql import run_steps
from common.db import utcnow
from common.launcher import start_all, stop_all
from common.periods import parse_period
from common.shanghai import shanghai_date
from grid.generator import build, large_spec
from grid.levels import level_by_code, scheme
from grid.models import Grid

ROOT, PERIOD = "320509", "2026-Q3"
AIM_SECONDS = 2.0
RUNS = int(os.environ.get("BENCH_COVERAGE_RUNS", "5"))


def grid_rows(collection):
    """The district's features as rows of grid's table (what an import stores)."""
    levels, now = scheme(), utcnow()
    rows = []
    for feature in collection["features"]:
        props = feature["properties"]
        shape = shapely.geometry.shape(feature["geometry"])
        minx, miny, maxx, maxy = shape.bounds
        rows.append({"code": props["code"], "name": props["name"], "level": props["level"],
                     "depth": level_by_code(levels, props["code"]).depth, "kind": props.get("kind", "basic"),
                     "parent_code": props.get("parent_code"), "unit_type": props.get("unit_type"),
                     "zone_type": None, "geometry": feature["geometry"], "min_lon": minx, "min_lat": miny,
                     "max_lon": maxx, "max_lat": maxy, "area_m2": None, "households": props.get("households"),
                     "population": props.get("population"), "status": "active", "valid_from": now,
                     "valid_to": None, "created_at": now, "updated_at": now, "version": 1})
    return rows


def _array(values):
    return "ARRAY[" + ",".join(f"'{value}'" for value in values) + "]"


def seed_people(url, collection):
    """Posts, households, two quarters of visits and rounds in people's tables."""
    features = [f["properties"] for f in collection["features"]]
    staffed = [p for p in features if p["level"] == "villager_group"]
    groups = [p for p in features if p["level"] == "household_group"]
    codes, kinds = _array(p["code"] for p in staffed), _array(p.get("kind", "basic") for p in staffed)
    group_codes = _array(p["code"] for p in groups)
    sizes = "ARRAY[" + ",".join(str(p["households"]) for p in groups) + "]"
    person = "md5('person-' || {grid} || '-' || {seat})::uuid::text"
    # Each grid's quality (0-99) varies how well its people keep their targets.
    quality = "abs(hashtext({grid})) % 100"
    steps = [
        ("posts", f"""
            CREATE TEMPORARY TABLE seats AS
            SELECT g.code AS grid_code, s.seat,
                   CASE WHEN s.seat = 0 THEN 'grid_chief' WHEN s.seat = 1 THEN 'full_time_worker'
                        ELSE 'part_time_worker' END AS role
            FROM unnest({codes}, {kinds}) AS g(code, kind),
                 generate_series(0, CASE WHEN g.kind = 'basic' THEN 3 ELSE 0 END) AS s(seat)"""),
        ("persons", f"""
            INSERT INTO persons (id, name, party_member, smartphone_user, violation_recorded, status, created_at,
                                 updated_at)
            SELECT {person.format(grid='grid_code', seat='seat')}, '网格员' || grid_code || '-' || seat, false, true,
                   false, 'active', now(), now()
            FROM seats"""),
        ("assignments", f"""
            INSERT INTO assignments (id, person_id, grid_code, role, start_date, end_date, created_at, version)
            SELECT md5('post-' || grid_code || '-' || seat)::uuid::text, {person.format(grid='grid_code', seat='seat')},
                   grid_code, role, DATE '2026-01-01', NULL, now(), 1
            FROM seats"""),
        ("households", f"""
            INSERT INTO households (id, place_code, grid_code, address, residents, created_at, version)
            SELECT md5('hh-' || g.code || '-' || h)::uuid::text, substr(g.code, 1, 12) || lpad(h::text, 5, '0'),
                   g.code, NULL, 1 + h % 4, now(), 1
            FROM unnest({group_codes}, {sizes}) AS g(code, size), generate_series(1, g.size) AS h"""),
        ("visits", f"""
            INSERT INTO household_visits (id, person_id, household_id, grid_code, client_id, notes, notes_sig,
                                          occurred_at, received_at)
            SELECT md5('vi-' || v.kind || '-' || h.id)::uuid::text,
                   {person.format(grid='substr(h.grid_code, 1, 15)', seat='v.seat')}, h.id, h.grid_code,
                   'c-' || v.kind || '-' || h.id, '入户走访', NULL, t.at, t.at + interval '1 hour'
            FROM households h,
                 LATERAL (SELECT abs(hashtext(h.id)) % 100 AS k,
                                 {quality.format(grid='substr(h.grid_code, 1, 15)')} AS q) AS x,
                 LATERAL (VALUES
                     ('q3', 1, x.k < 85 + x.q % 16, DATE '2026-07-01' + x.k * 7 % 92),
                     ('q3-again', 1, x.k < 15, DATE '2026-08-15' + x.k % 40),
                     ('q3-part', 2 + x.k % 2, x.k % 20 < 4 + x.q % 3, DATE '2026-07-03' + x.k * 3 % 85),
                     ('q3-chief', 0, x.k % 4 = 1 AND x.q < 50, DATE '2026-07-10' + x.k % 80),
                     ('q2', 1, x.k BETWEEN 5 AND 95, DATE '2026-04-01' + x.k * 5 % 91)) AS v(kind, seat, wanted, day),
                 LATERAL (SELECT (v.day + TIME '10:00') AT TIME ZONE 'Asia/Shanghai' AS at) AS t
            WHERE v.wanted"""),
        ("patrols", f"""
            INSERT INTO patrol_checkins (id, person_id, client_id, lon, lat, occurred_at, received_at,
                                         assigned_grid_codes, located_grid_code, inside)
            SELECT md5('pa-' || s.grid_code || '-' || s.seat || '-' || r.quarter || '-' || n)::uuid::text,
                   {person.format(grid='s.grid_code', seat='s.seat')}, 'c-' || r.quarter || '-' || n, 120.6, 31.3,
                   t.at, t.at + interval '1 minute', json_build_array(s.grid_code),
                   CASE WHEN substr(s.grid_code, 13, 3) >= '901' THEN s.grid_code ELSE s.grid_code || '001' END, true
            FROM seats s,
                 LATERAL (SELECT {quality.format(grid='s.grid_code')} AS q) AS x,
                 (VALUES ('q2', DATE '2026-04-01'), ('q3', DATE '2026-07-01')) AS r(quarter, first),
                 generate_series(0, CASE WHEN s.role = 'full_time_worker' THEN 55 + x.q % 20
                                         ELSE 10 + (x.q + s.seat) % 8 END - 1) AS n,
                 LATERAL (SELECT (r.first + n % 91 + TIME '09:00') AT TIME ZONE 'Asia/Shanghai'
                                 + (n / 91) * interval '1 hour' AS at) AS t"""),
    ]
    run_steps(url, steps, "seeded people", vacuum=True)


def seed_grid(url, collection):
    engine = create_engine(url)
    rows = grid_rows(collection)
    with engine.begin() as connection:
        for start in range(0, len(rows), 2000):
            connection.execute(insert(Grid), rows[start:start + 2000])
    engine.dispose()
    return len(rows)


def in_process(url, grids):
    """The report computed here on people's database: the floor of the route."""
    from common.cli import open_database
    from people import MIGRATIONS_DIR, coverage, targets
    handle = open_database("people", MIGRATIONS_DIR, {"DB_URL": url})
    try:
        seconds = []
        for _ in range(RUNS + 1):
            started = time.perf_counter()
            with handle.read() as session:
                coverage.report(session, grids, ROOT, parse_period(PERIOD), targets.targets_in_force(session),
                                shanghai_date())
            seconds.append(time.perf_counter() - started)
        return seconds[1:]
    finally:
        handle.engine.dispose()


def main():
    if not PG_URL:  # as bench.assessment: a line that says so, and `make bench` goes on
        emit(benchmark="coverage_large_district_quarter", skipped="needs BENCH_PG_URL (PostgreSQL)")
        return
    with ExitStack() as stack:
        bench = bench_environment(stack, "coverage")
        log("generating the large district ...")
        collection = build(large_spec(), radius_deg=0.25)
        log(f"writing {seed_grid(bench.db_urls['grid'], collection):,} grids ...")
        log("starting the five components ...")
        processes = start_all(bench.env, bench.work_dir, START_TIMEOUT * 3)  # grid indexes 11,269 polygons
        stack.callback(stop_all, processes)
        seed_people(bench.db_urls["people"], collection)
        gateway = processes["gateway"].url + "/api/v1"
        token = requests.post(f"{gateway}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD},
                              timeout=30).json()["access_token"]
        url = f"{gateway}/coverage?root={ROOT}&period={PERIOD}"
        seconds, answer = [], None
        for run in range(RUNS + 1):
            started = time.perf_counter()
            response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=120)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"bench: coverage answered {response.status_code}: {response.text[:500]}")
            if run:  # the first warms the caches
                seconds.append(elapsed)
            answer = response
        report = answer.json()
        emit(benchmark="coverage_large_district_quarter", seconds=round(statistics.median(seconds), 2),
             aim_seconds=AIM_SECONDS, best_seconds=round(min(seconds), 2), runs=RUNS, period=PERIOD,
             grids=len(collection["features"]), households=report["total"]["households"],
             visits_in_period=report["total"]["visits"], patrols_in_period=report["total"]["patrols"],
             workers=report["total"]["workers"], workers_below_target=report["total"]["workers_below_target"],
             households_not_visited=report["total"]["not_visited"], answer_bytes=len(answer.content),
             database=bench.database)
        staffed = [{"code": p["code"], "name": p["name"], "kind": p.get("kind", "basic"),
                    "community_code": p["code"][:12], "town_code": p["code"][:9]}
                   for p in (f["properties"] for f in collection["features"]) if p["level"] == "villager_group"]
        floor = in_process(bench.db_urls["people"], staffed)
        emit(benchmark="coverage_large_district_in_process", seconds=round(statistics.median(floor), 2),
             best_seconds=round(min(floor), 2), runs=RUNS, period=PERIOD, database=bench.database)


if __name__ == "__main__":
    main()
