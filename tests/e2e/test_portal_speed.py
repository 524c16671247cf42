"""The portal's speed in the browser (issue 22), on a platform of this module's own that
holds the large district (grid.generator.large_spec: 11,269 grids, written into grid's
database as rows before the components start, as bench/coverage.py does) and a
community with 500 open tickets:

- the district map of the large district (its 10,056 leaf grids at the district view,
  #/map?grid=320509&level=leaf in a 1200 x 800 window) drawn in under 2 s, with the
  geometry sent at 2 MB or less;
- a 500-ticket queue drawn in under 1 s.

Each figure is printed with the API's time beside it ("portal figure: ..." lines, again
in the session's summary). The pages measure themselves (window.__portalMetrics); the
assertions here are generous bounds, the references are the issue's: bench/portal.py
measures the same against them."""
import time

import pytest
from playwright.sync_api import expect

from e2e_platform import large_platform

LARGE = "320509"
COMMUNITY = "320509001001"          # a street's first community in the large district
QUEUE_GRID = f"{COMMUNITY}001"
QUEUE_SIZE = 500
VIEW = {"width": 1200, "height": 800}
MAP_AIM_S, QUEUE_AIM_S, SHAPES_AIM_BYTES = 2.0, 1.0, 2_000_000
# what this test fails on: well above the aims, so a busy CI machine does not fail it
MAP_BOUND_S, QUEUE_BOUND_S = 10.0, 4.0


@pytest.fixture(scope="module")
def large(broker, tmp_path_factory, portal_build):
    """The platform with the large district and 500 open tickets in one community."""
    started = time.perf_counter()
    with large_platform(broker, tmp_path_factory) as portal:
        seeded = time.perf_counter() - started
        portal.open_tickets(QUEUE_GRID, QUEUE_SIZE)
        print(f"large district platform: {seeded:.1f} s, {QUEUE_SIZE} tickets {time.perf_counter() - started - seeded:.1f} s")
        yield portal


def metrics(page):
    return page.evaluate("window.__portalMetrics || {}")


def test_the_large_districts_map_is_drawn_in_under_two_seconds(large, signed_in_page, shot, figure):
    officer = large.account(["district_officer"])          # the whole district's
    page = signed_in_page(officer, viewport=VIEW, hash_path="/inbox", on=large)
    figures = []
    for run in ("first", "again"):       # the server's first answer, then its cached one
        page.evaluate("window.__portalMetrics = {}")
        page.goto(large.route(f"/map?grid={LARGE}&level=leaf&run={run}"))
        expect(page.get_by_test_id("map")).to_have_attribute("data-state", "ready", timeout=60_000)
        drawn = dict(metrics(page), **sent(page))
        figures.append(drawn)
        shot(page, f"large-district-{run}")
        figure(f"large district map drawn ({run} visit)", drawn["mapDrawnMs"] / 1000, f"< {MAP_AIM_S:g} s",
               api_seconds=drawn["shapesApiMs"] / 1000, grids=drawn["features"], zoom=drawn["zoom"],
               geometry=f"{drawn['wireBytes'] / 1e6:.2f} MB sent ({drawn['shapesBytes'] / 1e6:.2f} MB as JSON; "
                        f"reference ≤ 2 MB)")
    assert figures[-1]["shapesSource"] == "shapes", "the map did not use GET /grids/{code}/shapes"
    assert figures[-1]["features"] >= 10_000
    assert max(f["wireBytes"] for f in figures) <= SHAPES_AIM_BYTES
    assert figures[-1]["mapDrawnMs"] / 1000 < MAP_BOUND_S


def sent(page):
    """What the browser received for the last GET .../shapes: the bytes on the wire (the
    gateway gzips it) and the zoom it asked, from the Resource Timing entries."""
    entry = page.evaluate("""() => {
        const e = performance.getEntriesByType('resource').filter((r) => r.name.includes('/shapes?')).pop();
        return e ? {url: e.name, wire: e.encodedBodySize, decoded: e.decodedBodySize} : null; }""")
    assert entry, "no GET /grids/{code}/shapes was made"
    zoom = dict(part.split("=", 1) for part in entry["url"].split("?", 1)[1].split("&")).get("zoom")
    return {"wireBytes": entry["wire"], "zoom": zoom}


def test_a_500_ticket_queue_renders_in_under_a_second(large, signed_in_page, shot, figure):
    officer = large.account(["community_officer"], COMMUNITY)
    page = signed_in_page(officer, hash_path="/tickets", on=large)
    queue = page.get_by_test_id("ticket-queue")
    expect(queue).to_have_attribute("data-state", "ready", timeout=30_000)
    expect(queue).to_have_attribute("data-count", str(QUEUE_SIZE))
    expect(page.get_by_test_id("queue-row")).to_have_count(QUEUE_SIZE)
    drawn = metrics(page)
    shot(page, "queue-500")
    figure(f"{QUEUE_SIZE}-ticket queue rendered", drawn["queueRenderMs"] / 1000, f"< {QUEUE_AIM_S:g} s",
           api_seconds=drawn["queueApiMs"] / 1000, rows=drawn["queueRows"])
    assert drawn["queueRows"] == QUEUE_SIZE
    assert drawn["queueRenderMs"] / 1000 < QUEUE_BOUND_S
