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
  (statistics only). The answer now carries its comparisons (环比, 同比) and breakdowns;
  over this one year of tickets the periods compared hold few.
- ``ticket_export_100k_xlsx`` / ``_csv`` (BENCH_PG_URL; ``BENCH_TICKET_EXPORT=0`` skips):
  ``GET /api/v1/tickets/export`` for the district over the last days holding about
  100,000 of those tickets, as an admin: seconds to the last byte (aim: under 10 s) and
  to the first, bytes, rows read back, and the gateway's and tickets' resident memory
  before and at most during the download (sampled every 20 ms): streamed, it must not
  grow with the rows (``ticket_export_20k_xlsx_memory``, a fifth of them first, shows where
  it settles). Beside it, the writer alone on the same rows in this process:
  common.sheets, and openpyxl's write-only mode, which builds the file before any byte
  can leave.
- ``ticket_statistics_1m_district_compared`` (BENCH_PG_URL): a second million tickets
  generated over the year before, and a tenth of all at department level with its
  whistle (a dispatch each); then the district's statistics over the last 365 days (the
  first million) compared with the 365 days before (the second): the median of
  BENCH_TICKET_STATISTICS_RUNS, aim under 1 s. ``ticket_statistics_district_month``:
  the last whole month, compared with the month before and the same month last year.
  ``BENCH_TICKET_YEAR_BEFORE=0`` stops before the second million.
"""
import datetime as dt
import json
import os
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path

import requests
import shapely
from shapely.geometry import shape
from sqlalchemy import create_engine, text

from common.shanghai import shanghai_date
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
EXPORT = os.environ.get("BENCH_TICKET_EXPORT", "1") != "0"
YEAR_BEFORE = os.environ.get("BENCH_TICKET_YEAR_BEFORE", "1") != "0"  # 0: no second million, no compared figure
EXPORT_TICKETS = 100_000
EXPORT_AIM_SECONDS = 10.0
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


def generate_tickets(tickets_url, grid_codes, count=MILLION, signatures=(None,), years_back=0):
    """``count`` tickets over the last year (``years_back``: over the year that many
    years before it, numbered apart), in SQL (generate_series), in states and levels
    spread the way a district's are (bench.scoring seeds its rebuild with them), their
    descriptions' signatures taken in turn from ``signatures``."""
    engine = create_engine(tickets_url)
    codes = "ARRAY[" + ",".join(f"'{c}'" for c in grid_codes) + "]"
    signed = "ARRAY[" + ",".join("NULL" if sig is None else f"'{sig}'" for sig in signatures) + "]::text[]"
    categories = "ARRAY[" + ",".join(f"'{c}'" for c in CATEGORIES) + "]"
    prefix = "bench-" if not years_back else f"bench-y{years_back}-"
    numbered = "B" if not years_back else chr(ord("B") + years_back)
    with engine.begin() as connection:
        connection.execute(text(f"""
            INSERT INTO tickets (id, number, grid_code, source, description, description_sig, status, category,
                                 reported_category,
                                 grade, level, reported_at, accepted_at, resolved_at, resolved_level, resolve_due,
                                 satisfaction, created_at, updated_at, version, attachments, anonymous, reopen_count,
                                 suspended, suspended_seconds, meeting_disposal)
            SELECT '{prefix}' || g, '{numbered}' || lpad(g::text, 10, '0'), ({codes})[1 + g % {len(grid_codes)}],
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
            LATERAL (SELECT now() - interval '{int(years_back)} years' - random() * interval '365 days' AS t,
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


DEPARTMENTS = ("urban_management", "environment", "housing", "market", "public_security", "water")


def generate_dispatches(tickets_url):
    """A whistle for every generated ticket at department level (a tenth of them), as
    the loop leaves one: the ticket names its lead department and the level that blew
    the whistle, and one dispatch to that department has clocks from acceptance, is
    signed, and reported back in nine cases of ten, a third of those after the attend
    deadline."""
    engine = create_engine(tickets_url)
    departments = "ARRAY[" + ",".join(f"'{d}'" for d in DEPARTMENTS) + "]"
    with engine.begin() as connection:
        connection.execute(text(f"""
            UPDATE tickets SET lead_department = ({departments})[1 + abs(hashtext(id)) % {len(DEPARTMENTS)}],
                               whistle_level = 'town'
            WHERE level = 'department' AND id LIKE 'bench-%'"""))
        connection.execute(text("""
            INSERT INTO ticket_dispatches (ticket_id, whistle_round, department, lead, dispatched_at, sign_due,
                                           contact_due, attend_due, signed_at, contacted_at, reported_at)
            SELECT id, 0, lead_department, true, accepted_at,
                   accepted_at + interval '1 hour', accepted_at + interval '24 hours',
                   accepted_at + interval '3 days', accepted_at + random() * interval '2 hours',
                   accepted_at + random() * interval '20 hours',
                   CASE WHEN random() < 0.9 THEN accepted_at + random() * interval '4 days' END
            FROM tickets WHERE lead_department IS NOT NULL AND id LIKE 'bench-%'
        """))
        connection.execute(text("ANALYZE tickets"))
        connection.execute(text("ANALYZE ticket_dispatches"))
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


def statistics_figure(gateway, headers, name, params, **labels):
    runs = []
    for _ in range(STATISTICS_RUNS):
        started = time.perf_counter()
        response = requests.get(f"{gateway}/api/v1/tickets/statistics", headers=headers, timeout=300, params=params)
        runs.append(time.perf_counter() - started)
        response.raise_for_status()
    answer = response.json()
    emit(benchmark=name, seconds=round(statistics.median(runs), 2), runs_seconds=[round(run, 2) for run in runs],
         aim_seconds=STATISTICS_AIM_SECONDS, root=params["root"], period=[answer["from"], answer["to"]],
         tickets=answer["total"], compared={key: [value["from"], value["to"], value["total"]]
                                            for key, value in answer["comparisons"].items()},
         grids=len(answer["breakdowns"]["grids"]), departments=len(answer["breakdowns"]["departments"]), **labels)


def component_pids(amqp_uri):
    """{component: pid} of this run's ``nameko run`` processes (their AMQP_URI is ours)."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            argv = entry.joinpath("cmdline").read_bytes().split(b"\0")
            if b"nameko" not in argv or f"AMQP_URI={amqp_uri}".encode() not in \
                    entry.joinpath("environ").read_bytes().split(b"\0"):
                continue
        except OSError:
            continue
        module = next((arg.decode() for arg in argv if b".service:" in arg), "")
        if module:
            found[module.split(".")[0]] = int(entry.name)
    return found


def rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def memory_sampled(pids, interval=0.02):
    """{component: [MiB before, MiB at most while the block ran]}, sampled every ``interval``."""
    seen = {name: [rss_mib(pid), rss_mib(pid)] for name, pid in pids.items()}
    done = threading.Event()

    def sample():
        while not done.wait(interval):
            for name, pid in pids.items():
                seen[name][1] = max(seen[name][1], rss_mib(pid))

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    try:
        yield seen
    finally:
        done.set()
        watcher.join()


def days_holding(tickets_url, count):
    """The first Shanghai day of the most recent days that hold at least ``count`` tickets."""
    engine = create_engine(tickets_url)
    with engine.connect() as connection:
        days = connection.execute(text(
            "SELECT (reported_at AT TIME ZONE 'Asia/Shanghai')::date AS day, count(*) FROM tickets "
            "GROUP BY 1 ORDER BY 1 DESC")).all()
    engine.dispose()
    held = 0
    for day, tickets in days:
        held += tickets
        if held >= count:
            return day
    return days[-1][0]


def export_figures(gateway, headers, amqp_uri, tickets_url):
    """The district's ticket list over the last days holding EXPORT_TICKETS tickets, as
    XLSX and as CSV through the gateway, then the writers alone on the same rows."""
    from io import BytesIO, StringIO
    import csv
    from openpyxl import Workbook, load_workbook
    from common.sheets import Sheet, xlsx

    first_day = days_holding(tickets_url, EXPORT_TICKETS)
    pids = component_pids(amqp_uri)
    params = {"root": "320508", "from": first_day.isoformat()}
    table = None
    # A fifth of the list first: a streamed export holds two pages at most, so the gateway's
    # and tickets' memory at the end of the small one is where the large one stays.
    small = {"from": days_holding(tickets_url, EXPORT_TICKETS // 5).isoformat()}
    with memory_sampled({name: pids[name] for name in ("gateway", "tickets")}) as warm:
        requests.get(f"{gateway}/api/v1/tickets/export", headers=headers, timeout=300,
                     params=dict(params, **small)).raise_for_status()
    emit(benchmark="ticket_export_20k_xlsx_memory", since=small["from"],
         memory_mib={name: {"before": round(before, 1), "peak": round(peak, 1), "growth": round(peak - before, 1)}
                     for name, (before, peak) in warm.items()})
    for file_format in ("xlsx", "csv"):
        with memory_sampled({name: pids[name] for name in ("gateway", "tickets")}) as memory:
            started = time.perf_counter()
            with requests.get(f"{gateway}/api/v1/tickets/export", headers=headers, timeout=300, stream=True,
                              params=dict(params, format=file_format)) as response:
                response.raise_for_status()
                body, first_byte = bytearray(), None
                for chunk in response.iter_content(chunk_size=None):
                    first_byte = first_byte or time.perf_counter() - started
                    body += chunk
            seconds = time.perf_counter() - started
        if file_format == "xlsx":
            rows = sum(1 for _ in load_workbook(BytesIO(bytes(body)), read_only=True).active.iter_rows()) - 2
        else:
            table = list(csv.reader(StringIO(body.decode("utf-8-sig"))))
            rows = len(table) - 2
        emit(benchmark=f"ticket_export_100k_{file_format}", seconds=round(seconds, 2),
             first_byte_seconds=round(first_byte, 2), aim_seconds=EXPORT_AIM_SECONDS, rows=rows, bytes=len(body),
             memory_mib={name: {"before": round(before, 1), "peak": round(peak, 1), "growth": round(peak - before, 1)}
                         for name, (before, peak) in memory.items()},
             transfer_encoding=response.headers.get("Transfer-Encoding"), root=params["root"], since=params["from"])
    header, lines = table[1], table[2:]
    started = time.perf_counter()
    written = sum(len(chunk) for chunk in xlsx([Sheet("事件清单", header, lines, title=table[0][0])]))
    ours = time.perf_counter() - started
    started = time.perf_counter()
    book = Workbook(write_only=True)
    page = book.create_sheet("事件清单")
    page.append(table[0])
    page.append(header)
    for line in lines:
        page.append(line)
    buffer = BytesIO()
    book.save(buffer)
    theirs = time.perf_counter() - started
    emit(benchmark="sheet_writer_100k_rows", rows=len(lines), common_sheets_seconds=round(ours, 2),
         common_sheets_bytes=written, openpyxl_write_only_seconds=round(theirs, 2),
         openpyxl_write_only_bytes=len(buffer.getvalue()),
         note="the writer alone, in this process, on the rows the export sent; openpyxl gives nothing before save")


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
            statistics_figure(gateway, headers, f"ticket_statistics_1m_{name}",
                              {"root": root, "from": "2025-11-01", "to": "2026-12-31"},
                              reference_seconds=reference, reference_date="2026-12-06")
        if EXPORT:
            export_figures(gateway, headers, amqp_uri, db_urls["tickets"])
        if not YEAR_BEFORE:
            return
        log("generating the year before (1,000,000 tickets) and the whistles ...")
        started = time.perf_counter()
        generate_tickets(db_urls["tickets"], codes, years_back=1)
        generate_dispatches(db_urls["tickets"])
        emit(benchmark="ticket_generate_year_before", seconds=round(time.perf_counter() - started, 1))
        today = shanghai_date()
        statistics_figure(gateway, headers, "ticket_statistics_1m_district_compared",
                          {"root": "320508", "from": (today - dt.timedelta(days=364)).isoformat(),
                           "to": today.isoformat()})
        last_month_end = today.replace(day=1) - dt.timedelta(days=1)
        statistics_figure(gateway, headers, "ticket_statistics_district_month",
                          {"root": "320508", "from": last_month_end.replace(day=1).isoformat(),
                           "to": last_month_end.isoformat()})


if __name__ == "__main__":
    main()
