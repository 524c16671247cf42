"""Ticket figures, one JSON line each:

- ``rpc_echo`` and ``gateway_ticket_intake`` in the same run: ``POST /api/v1/tickets``
  with a location (gateway -> tickets -> grid locate -> one transaction with the
  ticket, its trail entry and its outbox event) against the bare nameko echo; their
  ``ratio`` (aim: at least 0.5).
- ``gateway_ticket_intake_half_rate``: p50/p99 latency with the clients paced at half
  the intake rate just measured.
- ``gateway_ticket_intake_with_webhooks``: intake again once 20 departments' systems
  subscribed to webhooks, and its ratio to intake without (aim: at least 0.95).
- ``ticket_statistics_1m_district`` / ``_town`` (only with BENCH_PG_URL): seconds for
  ``GET /api/v1/tickets/statistics`` over 1,000,000 tickets generated in PostgreSQL,
  for the whole district and for one town (two thirds of them), over a year: the median
  of BENCH_TICKET_STATISTICS_RUNS calls (3) and each call, beside the figure of
  2026-12-06 (district 2.4 s, town 1.5 s) and the aim (under 1 s). ``BENCH_TICKET_STATISTICS=0``
  skips them (intake figures only); ``BENCH_TICKET_INTAKE=0`` skips the intake figures
  (statistics only).
"""
import json
import os
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from functools import partial

import requests
import shapely
from shapely.geometry import shape
from sqlalchemy import create_engine, text

from bench.run import (CALL_TIMEOUT, CONCURRENCY, PG_URL, SECONDS, bench_environment, log, measure, percentile_ms,
                       platform, rpc_echo, sign_in_and_report)

MILLION = 1_000_000
STATISTICS = os.environ.get("BENCH_TICKET_STATISTICS", "1") != "0"  # 0: intake figures only
INTAKE = os.environ.get("BENCH_TICKET_INTAKE", "1") != "0"  # 0: statistics only
STATISTICS_RUNS = int(os.environ.get("BENCH_TICKET_STATISTICS_RUNS", "3"))
# (name, root, seconds on 2026-12-06 with the statistics as they were then): issue 18
# aims at under 1 s
STATISTICS_ROOTS = (("district", "320508", 2.4), ("town", "320508019", 1.5))
STATISTICS_AIM_SECONDS = 1.0
CATEGORIES = ("UM01", "UM02", "UM04", "UM06", "UM07", "SF01", "SF02", "EP01", "DM01", "LS01", "MU03", "TR01")


def emit(**figure):
    print(json.dumps(figure, ensure_ascii=False), flush=True)


def points_inside(gateway, token, count, rng):
    headers = {"Authorization": f"Bearer {token}"}
    grids = requests.get(f"{gateway}/api/v1/grids?level=villager_group&limit=1000", headers=headers,
                         timeout=30).json()["items"]
    shapes = [shape(requests.get(f"{gateway}/api/v1/grids/{g['code']}?geometry=true", headers=headers,
                                 timeout=30).json()["geometry"]) for g in grids]
    points = []
    while len(points) < count:
        polygon = rng.choice(shapes)
        minx, miny, maxx, maxy = polygon.bounds
        point = shapely.Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if polygon.contains(point):
            points.append((point.x, point.y))
    return points


@contextmanager
def intake(gateway, token, points):
    picker = random.Random()
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"

        def call():
            lon, lat = picker.choice(points)
            response = session.post(f"{gateway}/api/v1/tickets", timeout=CALL_TIMEOUT, json={
                "category": picker.choice(CATEGORIES), "description": "基准测试上报",
                "location": {"lon": lon, "lat": lat, "crs": "wgs84"}})
            if response.status_code != 201:
                raise RuntimeError(f"{response.status_code} {response.text[:200]}")
        yield call


def paced(client, rate, seconds):
    """Latencies with CONCURRENCY threads sending ``rate`` calls/s in all."""
    interval = CONCURRENCY / rate
    latencies, lock = [], threading.Lock()

    def worker(offset):
        with client() as call:
            next_at = time.monotonic() + offset
            deadline = next_at + seconds
            while next_at < deadline:
                time.sleep(max(0.0, next_at - time.monotonic()))
                began = time.monotonic()
                call()
                with lock:
                    latencies.append(time.monotonic() - began)
                next_at += interval

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(worker, [i * interval / CONCURRENCY for i in range(CONCURRENCY)]))
    return sorted(latencies)


def generate_tickets(tickets_url, grid_codes, count=MILLION, signatures=(None,)):
    """``count`` tickets over the last year, in SQL (generate_series), in states and
    levels spread the way a district's are (bench.scoring seeds its rebuild with them),
    their descriptions' signatures taken in turn from ``signatures``."""
    engine = create_engine(tickets_url)
    codes = "ARRAY[" + ",".join(f"'{c}'" for c in grid_codes) + "]"
    signed = "ARRAY[" + ",".join("NULL" if sig is None else f"'{sig}'" for sig in signatures) + "]::text[]"
    categories = "ARRAY[" + ",".join(f"'{c}'" for c in CATEGORIES) + "]"
    with engine.begin() as connection:
        connection.execute(text(f"""
            INSERT INTO tickets (id, number, grid_code, source, description, description_sig, status, category,
                                 reported_category,
                                 grade, level, reported_at, accepted_at, resolved_at, resolved_level, resolve_due,
                                 satisfaction, created_at, updated_at, version, attachments, anonymous, reopen_count,
                                 suspended, suspended_seconds, meeting_disposal)
            SELECT 'bench-' || g, 'B' || lpad(g::text, 10, '0'), ({codes})[1 + g % {len(grid_codes)}],
                   (ARRAY['grid_patrol','resident_report','hotline_12345','department_referral','media'])[1 + g % 5],
                   '基准测试工单', ({signed})[1 + g % {len(signatures)}], x.status,
                   ({categories})[1 + g % {len(CATEGORIES)}],
                   ({categories})[1 + g % {len(CATEGORIES)}],
                   (ARRAY['daily','daily','daily','daily','urgent','major'])[1 + g % 6], x.level,
                   x.t, x.t + x.accept, CASE WHEN x.done THEN x.t + x.resolve END,
                   CASE WHEN x.done THEN x.level END, x.t + interval '5 days',
                   CASE WHEN x.status IN ('rated', 'closed') THEN 1 + (g % 5) END,
                   x.t, x.t, 1, '[]', false, 0, false, 0, false
            FROM generate_series(1, {int(count)}) AS g,
            LATERAL (SELECT now() - random() * interval '365 days' AS t,
                            random() * interval '6 hours' AS accept,
                            random() * interval '8 days' AS resolve,
                            (ARRAY['reported','accepted','handling','resolved','feedback_given','rated','closed',
                                   'closed','closed','closed'])[1 + floor(random() * 10)::int] AS status,
                            (ARRAY['grid','grid','grid','grid','grid','community','community','town','town',
                                   'department'])[1 + floor(random() * 10)::int] AS level,
                            g AS n) AS x0,
            LATERAL (SELECT x0.*, x0.status NOT IN ('reported','accepted','handling') AS done) AS x
        """))
        connection.execute(text("ANALYZE tickets"))
    engine.dispose()


def intake_figures(amqp_uri, gateway, token, points, database):
    """The bare echo, intake through the gateway, their ratio, and intake at half that rate."""
    echo = measure("rpc_echo", partial(rpc_echo, amqp_uri), "calls_per_second")
    full = measure("gateway_ticket_intake", partial(intake, gateway, token, points), "requests_per_second",
                   database=database)
    emit(benchmark="ratio", name="gateway_ticket_intake / rpc_echo",
         value=round(full["requests_per_second"] / echo["calls_per_second"], 3), database=database)
    half = full["requests_per_second"] / 2
    log(f"intake paced at {half:.0f}/s ...")
    latencies = paced(partial(intake, gateway, token, points), half, SECONDS)
    emit(benchmark="gateway_ticket_intake_half_rate", target_per_second=round(half, 1),
         p50_ms=percentile_ms(latencies, 50), p99_ms=percentile_ms(latencies, 99), calls=len(latencies),
         database=database)
    subscribe_webhooks(gateway, token, WEBHOOK_SUBSCRIBERS)
    with_hooks = measure("gateway_ticket_intake_with_webhooks", partial(intake, gateway, token, points),
                         "requests_per_second", database=database, subscriptions=WEBHOOK_SUBSCRIBERS)
    emit(benchmark="ratio", name="gateway_ticket_intake_with_webhooks / gateway_ticket_intake",
         value=round(with_hooks["requests_per_second"] / full["requests_per_second"], 3), aim_at_least=0.95,
         database=database)


WEBHOOK_SUBSCRIBERS = 20


def subscribe_webhooks(gateway, token, count):
    """``count`` departments' systems subscribed to every event (issue 20: deliveries run
    from the outbox and people's timer, so intake should not feel them)."""
    headers = {"Authorization": f"Bearer {token}"}
    for n in range(count):
        code = f"bench_dept_{n}"
        requests.post(f"{gateway}/api/v1/departments", headers=headers, timeout=CALL_TIMEOUT,
                      json={"code": code, "name": f"压测部门{n}", "kind": "functional_department"})
        response = requests.post(f"{gateway}/api/v1/webhooks", headers=headers, timeout=CALL_TIMEOUT, json={
            "url": f"http://192.0.2.{n + 1}:9/hook", "department_code": code,
            "events": ["ticket_dispatched", "sla_breached", "ticket_reopened"]})
        response.raise_for_status()


def main():
    rng = random.Random(5)
    with ExitStack() as stack:
        bench = bench_environment(stack, "tickets")
        amqp_uri, db_urls, database = bench.amqp_uri, bench.db_urls, bench.database
        log("starting the five components and the echo service ...")
        gateway = stack.enter_context(platform(bench.env, bench.work_dir))
        token, _ = sign_in_and_report(gateway)
        if INTAKE:
            intake_figures(amqp_uri, gateway, token, points_inside(gateway, token, 500, rng), database)
        if not PG_URL or not STATISTICS:
            emit(benchmark="ticket_statistics_1m", skipped="needs BENCH_PG_URL (PostgreSQL)" if not PG_URL
                 else "BENCH_TICKET_STATISTICS=0")
            return
        log("generating 1,000,000 tickets in PostgreSQL ...")
        headers = {"Authorization": f"Bearer {token}"}
        codes = [g["code"] for g in requests.get(f"{gateway}/api/v1/grids?level=villager_group&limit=1000",
                                                 headers=headers, timeout=30).json()["items"]]
        started = time.perf_counter()
        generate_tickets(db_urls["tickets"], codes)
        emit(benchmark="ticket_generate_1m", seconds=round(time.perf_counter() - started, 1))
        for name, root, reference in STATISTICS_ROOTS:
            runs = []
            for _ in range(STATISTICS_RUNS):
                started = time.perf_counter()
                response = requests.get(f"{gateway}/api/v1/tickets/statistics", headers=headers, timeout=300,
                                        params={"root": root, "from": "2025-11-01", "to": "2026-12-31"})
                runs.append(time.perf_counter() - started)
                response.raise_for_status()
            emit(benchmark=f"ticket_statistics_1m_{name}", seconds=round(statistics.median(runs), 2),
                 runs_seconds=[round(run, 2) for run in runs], reference_seconds=reference,
                 reference_date="2026-12-06", aim_seconds=STATISTICS_AIM_SECONDS, root=root,
                 tickets=response.json()["total"])


if __name__ == "__main__":
    main()
