"""The portal's speed in a real browser, one JSON line per figure beside its reference
(issue 22), measured as tests/e2e/test_portal_speed.py measures it, over more runs.

Set-up: bench_environment (a fresh vhost, SQLite or BENCH_PG_URL databases, the demo
grids), the large district (``grid.generator.large_spec``, 11,269 grids) written into
grid's database as rows before the five components start (as bench/coverage.py), and
500 open tickets reported in one community. The gateway serves the built portal
(``make portal``: portal/dist). Debian's chromium, headless, driven by Playwright,
reaching nothing but 127.0.0.1.

- ``portal_map_large_district``: a district officer opens the district view of the
  large district's 10,056 leaf grids (#/map?grid=320509&level=leaf, a 1200 x 800
  window): ``seconds`` from the page's start to the map drawn (the page's own
  window.__portalMetrics.mapDrawnMs), the median of BENCH_PORTAL_RUNS (5) after the
  first (``first_seconds``: the server's first answer), beside ``aim_seconds`` (2);
  ``api_seconds`` the GET /grids/320509/shapes part; ``sent_bytes`` the answer on the
  wire (gzip) and ``json_bytes`` as JSON, beside ``aim_bytes`` (2 MB).
- ``portal_queue_500``: a community officer's queue of 500 open tickets drawn
  (queueRenderMs: rows built, inserted and laid out), the median of the runs, beside
  ``aim_seconds`` (1), with ``api_seconds`` the GET /tickets part.
"""
import os
import shutil
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import requests

from bench.coverage import seed_grid
from bench.run import ADMIN_PASSWORD, START_TIMEOUT, bench_environment, emit, log
from common.launcher import ROOT, start_all, stop_all
from grid.generator import build, large_spec

LARGE, COMMUNITY = "320509", "320509001001"
QUEUE_SIZE = 500
RUNS = int(os.environ.get("BENCH_PORTAL_RUNS", "5"))
MAP_AIM_SECONDS, QUEUE_AIM_SECONDS, AIM_BYTES = 2.0, 1.0, 2_000_000
PASSWORD = "Passw0rd-2026"
BROWSER_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
SHAPES_SENT = """() => {
  const e = performance.getEntriesByType('resource').filter((r) => r.name.includes('/shapes?')).pop();
  return e ? {wire: e.encodedBodySize, decoded: e.decodedBodySize} : {}; }"""


class Api:
    def __init__(self, gateway):
        self.base = f"{gateway}/api/v1"
        self.admin = self.login("admin", ADMIN_PASSWORD)

    def login(self, username, password):
        answer = requests.post(f"{self.base}/auth/login", json={"username": username, "password": password}, timeout=30)
        answer.raise_for_status()
        return answer.json()["access_token"]

    def post(self, path, body):
        answer = requests.post(f"{self.base}/{path}", json=body, headers={"Authorization": f"Bearer {self.admin}"},
                               timeout=60)
        if answer.status_code != 201:
            raise SystemExit(f"bench: POST {path} answered {answer.status_code}: {answer.text[:300]}")
        return answer.json()

    def account(self, roles, scope=None):
        username = f"b{uuid.uuid4().hex[:9]}"
        self.post("accounts", {"username": username, "display_name": "基准测试", "password": PASSWORD,
                               "roles": roles, "grid_scope": scope})
        return username


def sign_in(browser, portal_url, username, hash_path):
    """A page of a context of its own (its own storage), signed in through the form."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1200, "height": 800})
    page = context.new_page()
    page.goto(f"{portal_url}#{hash_path}")
    try:
        page.wait_for_selector("form.signin input[name=username]", timeout=30_000)
    except Exception:
        raise SystemExit(f"bench: no sign-in form at {portal_url}: {page.inner_text('body')[:300]!r}") from None
    page.fill("form.signin input[name=username]", username)
    page.fill("form.signin input[name=password]", PASSWORD)
    page.click("form.signin button[type=submit]")
    page.wait_for_selector("header.top")
    return page


def open_and_measure(page, url, testid, timeout_ms=60_000):
    page.evaluate("window.__portalMetrics = {}")
    page.goto(url)
    page.wait_for_selector(f'[data-testid="{testid}"][data-state="ready"]', timeout=timeout_ms)
    return page.evaluate("window.__portalMetrics || {}")


def measure(portal_url, officer, district_officer):
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise SystemExit("bench: no chromium on PATH (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
        try:
            page = sign_in(browser, portal_url, district_officer, "/inbox")
            maps = []
            for run in range(RUNS + 1):
                drawn = open_and_measure(page, f"{portal_url}#/map?grid={LARGE}&level=leaf&run={run}", "map")
                maps.append(dict(drawn, **page.evaluate(SHAPES_SENT)))
            if maps[-1].get("shapesSource") != "shapes":
                log("the map did not use GET /grids/{code}/shapes: the figures are the registry's fallback")
            later = maps[1:]
            emit(benchmark="portal_map_large_district",
                 seconds=round(statistics.median(m["mapDrawnMs"] for m in later) / 1000, 2),
                 aim_seconds=MAP_AIM_SECONDS, first_seconds=round(maps[0]["mapDrawnMs"] / 1000, 2),
                 best_seconds=round(min(m["mapDrawnMs"] for m in later) / 1000, 2),
                 api_seconds=round(statistics.median(m["shapesApiMs"] for m in later) / 1000, 2),
                 first_api_seconds=round(maps[0]["shapesApiMs"] / 1000, 2), runs=RUNS, grids=maps[-1]["features"],
                 sent_bytes=maps[-1].get("wire"), json_bytes=maps[-1]["shapesBytes"], aim_bytes=AIM_BYTES,
                 source=maps[-1].get("shapesSource"))
            page.context.close()
            page = sign_in(browser, portal_url, officer, "/inbox")
            queues = [open_and_measure(page, f"{portal_url}#/tickets?run={run}", "ticket-queue")
                      for run in range(RUNS + 1)]
            later = queues[1:]
            emit(benchmark="portal_queue_500",
                 seconds=round(statistics.median(q["queueRenderMs"] for q in later) / 1000, 3),
                 aim_seconds=QUEUE_AIM_SECONDS, best_seconds=round(min(q["queueRenderMs"] for q in later) / 1000, 3),
                 api_seconds=round(statistics.median(q["queueApiMs"] for q in later) / 1000, 3), runs=RUNS,
                 rows=queues[-1]["queueRows"])
        finally:
            browser.close()


def main():
    if not (Path(ROOT) / "portal" / "dist" / "index.html").exists():
        sys.exit("bench: the portal is not built: run `make portal` first")
    with ExitStack() as stack:
        bench = bench_environment(stack, "portal")
        grid_url = bench.db_urls.get("grid") or f"sqlite:///{bench.work_dir / 'grid.db'}"
        log("generating and writing the large district ...")
        seed_grid(grid_url, build(large_spec(), radius_deg=0.25))
        log("starting the five components ...")
        processes = start_all(bench.env, bench.work_dir, START_TIMEOUT * 3)  # grid indexes 11,269 polygons
        stack.callback(stop_all, processes)
        gateway = processes["gateway"].url
        api = Api(gateway)
        officer, district_officer = api.account(["community_officer"], COMMUNITY), api.account(["district_officer"])
        log(f"reporting {QUEUE_SIZE} tickets ...")
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: api.post("tickets", {"category": "UM04", "grid_code": f"{COMMUNITY}001",
                                                         "description": f"队列第{n}件：垃圾桶满溢，请清运"}),
                          range(QUEUE_SIZE)))
        log(f"... in {time.perf_counter() - started:.1f} s; measuring in chromium ...")
        measure(f"{gateway}/portal/", officer, district_officer)


if __name__ == "__main__":
    main()
