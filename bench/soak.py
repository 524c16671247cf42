"""``make soak``: SOAK_SECONDS (600) of steady load (devtools.load) at SOAK_RATE (10)
requests per second on a platform of its own (set up as ``make load`` does), with the
resident memory (RSS, from /proc) of each of the five components sampled.

The baseline is taken after SOAK_WARMUP_SECONDS (60) of the same load, when caches,
pools and imports have settled; the end figure at the end of the run. A component
whose RSS grew by more than SOAK_MAX_GROWTH (0.10, i.e. 10%) fails the run: the exit
code is 1 and the message names it. Also printed: the load's figures (as ``make load``)
and each component's RSS every SOAK_SAMPLE_SECONDS (60), as JSON lines.

SOAK_MIX and SOAK_THREADS as LOAD_MIX and LOAD_THREADS. Not with GATEWAY_URL: the
memory of processes this run did not start is not read.
"""
import json
import os
import sys
import threading
import time
from pathlib import Path

from bench.load import SPOT, driver_settings, log, setting, target_platform
from devtools.load import LoadDriver, format_report


def rss_bytes(pid):
    """Resident set size of a process, from /proc/<pid>/status (VmRSS, in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def rss_of(processes):
    return {name: rss_bytes(process.process.pid) for name, process in processes.items()}


def mb(value):
    return round(value / 2**20, 1)


def growth_failures(start, end, max_growth):
    """{component: growth} of those that grew by more than ``max_growth`` (a fraction)."""
    return {name: (end[name] - start[name]) / start[name] for name in start
            if (end[name] - start[name]) / start[name] > max_growth}


def main():
    if os.environ.get("GATEWAY_URL"):
        sys.exit("make soak starts its own platform (it reads its processes' memory): unset GATEWAY_URL")
    rate, seconds = setting("SOAK_RATE", 10.0), setting("SOAK_SECONDS", 600.0)
    warmup, every = setting("SOAK_WARMUP_SECONDS", 60.0), setting("SOAK_SAMPLE_SECONDS", 60.0)
    max_growth = setting("SOAK_MAX_GROWTH", 0.10)
    mix, threads = driver_settings("SOAK")
    with target_platform("soak") as (gateway, admin, password, processes):
        driver = LoadDriver(gateway, rate, warmup + seconds, mix, threads)
        driver.setup(admin, password, os.environ.get("LOAD_COUNTY", "320799"), *SPOT)
        log(f"soak: {rate:g} requests/s, {warmup:g} s warm-up then {seconds:g} s, against {gateway} ...")
        result = {}
        load = threading.Thread(target=lambda: result.update(report=driver.run()), daemon=True)
        load.start()
        time.sleep(warmup)
        start = rss_of(processes)
        began = time.monotonic()
        print(json.dumps({"soak_rss_mb": "start", "after_seconds": 0, **{n: mb(v) for n, v in start.items()}}),
              flush=True)
        while load.is_alive():
            load.join(every)
            dead = [name for name, process in processes.items() if not process.alive()]
            if dead:
                sys.exit(f"soak: {', '.join(dead)} stopped during the run")
            if load.is_alive():
                print(json.dumps({"soak_rss_mb": "sample", "after_seconds": round(time.monotonic() - began),
                                  **{n: mb(v) for n, v in rss_of(processes).items()}}), flush=True)
        end = rss_of(processes)
        print(json.dumps({"soak_rss_mb": "end", "after_seconds": round(time.monotonic() - began),
                          **{n: mb(v) for n, v in end.items()}}), flush=True)
        report = result["report"]
        print(format_report(report), file=sys.stderr, flush=True)
        print(json.dumps(report, ensure_ascii=False), flush=True)

    print(f"\n{'component':<10}{'start MB':>10}{'end MB':>10}{'growth':>9}", file=sys.stderr)
    for name in start:
        print(f"{name:<10}{mb(start[name]):>10}{mb(end[name]):>10}{(end[name] - start[name]) / start[name]:>9.1%}",
              file=sys.stderr)
    failures = growth_failures(start, end, max_growth)
    if failures:
        print("soak FAILED: resident memory grew by more than "
              f"{max_growth:.0%}: " + ", ".join(f"{n} +{g:.1%}" for n, g in failures.items()), file=sys.stderr)
        return 1
    if report["requests_ok"] == 0:
        print("soak FAILED: no request succeeded", file=sys.stderr)
        return 1
    print(f"soak passed: no component's memory grew by more than {max_growth:.0%}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
