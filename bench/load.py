"""``make load``: a steady, mixed load (devtools.load) for LOAD_SECONDS at LOAD_RATE
requests per second, then throughput and p50/p95/p99 per kind, as a table on stderr
and one JSON line on stdout.

- ``GATEWAY_URL`` set: against that running platform, signing in as ADMIN_USERNAME
  (admin) with ADMIN_PASSWORD; the driver makes its own district (LOAD_COUNTY, 320799)
  and accounts there.
- Unset: on a platform of its own, set up and removed as ``make bench`` does
  (bench.run.bench_environment: fresh vhost, SQLite or, with BENCH_PG_URL, temporary
  PostgreSQL databases, ports from BENCH_PORT_BASE).

Settings: LOAD_RATE (20), LOAD_SECONDS (60), LOAD_MIX (``intake=40,action=30,read=20,
statistics=10``; ``intake_keyless`` adds intakes without a key), LOAD_THREADS (8).
"""
import json
import os
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from common.launcher import start_all, stop_all
from devtools.load import DEFAULT_MIX, LoadDriver, format_report, parse_mix

SPOT = (133.5, 43.5)  # the load district's square: clear of the demo district and the tests' spots


def setting(name, default, kind=float):
    raw = os.environ.get(name, "")
    if not raw.strip():
        return default
    try:
        value = kind(raw)
    except ValueError:
        sys.exit(f"{name}={raw!r} is not a {'number' if kind is float else 'whole number'}")
    if value <= 0:
        sys.exit(f"{name} must be above 0 (got {raw})")
    return value


def log(message):
    print(f"load: {message}", file=sys.stderr, flush=True)


@contextmanager
def target_platform(name):
    """(gateway URL, admin username, admin password, {component: ServiceProcess} or None
    for a platform this run did not start)."""
    if os.environ.get("GATEWAY_URL"):
        password = os.environ.get("ADMIN_PASSWORD")
        if not password:
            sys.exit("GATEWAY_URL is set: set ADMIN_PASSWORD (and ADMIN_USERNAME if not admin) too")
        yield os.environ["GATEWAY_URL"], os.environ.get("ADMIN_USERNAME", "admin"), password, None
        return
    from bench.run import ADMIN_PASSWORD, bench_environment

    with ExitStack() as stack:
        bench = bench_environment(stack, name)
        log(f"starting the five components ({bench.database}); logs in {bench.work_dir} ...")
        processes = start_all(bench.env, bench.work_dir)
        try:
            yield processes["gateway"].url, "admin", ADMIN_PASSWORD, processes
        finally:
            stop_all(processes)


def driver_settings(prefix):
    mix = os.environ.get(f"{prefix}_MIX", "").strip()
    try:
        parsed = parse_mix(mix) if mix else dict(DEFAULT_MIX)
    except ValueError as exc:
        sys.exit(str(exc).replace("LOAD_MIX", f"{prefix}_MIX"))
    return parsed, setting(f"{prefix}_THREADS", 8, int)


def main():
    rate, seconds = setting("LOAD_RATE", 20.0), setting("LOAD_SECONDS", 60.0)
    mix, threads = driver_settings("LOAD")
    county = os.environ.get("LOAD_COUNTY", "320799")
    with target_platform("load") as (gateway, admin, password, _):
        driver = LoadDriver(gateway, rate, seconds, mix, threads)
        driver.setup(admin, password, county, *SPOT)
        log(f"{rate:g} requests/s for {seconds:g} s ({threads} threads) against {gateway} ...")
        began = time.monotonic()
        report = driver.run()
        log(f"done in {time.monotonic() - began:.0f} s")
        print(format_report(report), file=sys.stderr, flush=True)
        print(json.dumps(report, ensure_ascii=False), flush=True)
    return 1 if report["requests_ok"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
