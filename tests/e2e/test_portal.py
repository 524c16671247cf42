"""The portal in a real browser, as its users work it (issue 22): each test makes its own
district (its own county and spot) and accounts through the API, signs in through the
form and works the pages; screenshots at each key step under e2e-screenshots/<test>/.

Counties 320881-320886 at 135.5-136.5 E, 45.5-46.5 N are these tests' own."""
import re
import time
import uuid

from playwright.sync_api import expect
from shapely.geometry import shape

from common.shanghai import shanghai_date

PHONE = {"width": 360, "height": 740}


def ticket_in(portal, grid, description, category="UM04", token=None):
    return portal.api("POST", "tickets", token, {"category": category, "grid_code": grid,
                                                "description": description}, expect=201)


def wait_ready(page, testid, timeout=10_000):
    """The element's data-state is "ready" (a page sets it when drawn)."""
    expect(page.get_by_test_id(testid)).to_have_attribute("data-state", "ready", timeout=timeout)


def act(page, action, note=None, outcome=None):
    """Take ``action`` on the open ticket through its form; returns once the page shows
    the ticket after it (a version later)."""
    version = page.get_by_test_id("ticket-detail").get_attribute("data-version")
    page.get_by_test_id(f"action-{action}").click()
    form = page.get_by_test_id(f"action-form-{action}")
    if outcome:
        form.get_by_test_id("action-outcome").select_option(outcome)
    if note:
        form.get_by_test_id("action-note").fill(note)
    form.get_by_test_id("action-submit").click()
    page.locator(f'[data-testid="ticket-detail"]:not([data-version="{version}"])').wait_for()
    return page.get_by_test_id("ticket-detail")


# --- the map --------------------------------------------------------------------------------

def test_a_community_officer_sees_the_scopes_grids_on_the_map_and_opens_one(portal, signed_in_page, shot):
    grids = portal.district("320881", "图上", 135.50, 45.50, grids=3)
    community = grids[0][:12]
    ticket_in(portal, grids[1], "图上2网格：路灯不亮")
    officer = portal.account(["community_officer"], community)

    page = signed_in_page(officer, hash_path="/map")
    wait_ready(page, "map")
    items = page.get_by_test_id("map-grid-item")
    expect(items).to_have_count(3)
    assert [items.nth(n).get_attribute("data-code") for n in range(3)] == grids
    expect(page.get_by_test_id("map-grid-list")).to_contain_text("图上1网格")
    expect(page.get_by_test_id("map").locator("canvas")).to_have_count(1)
    shot(page, "map-ready")

    # the overview of the second grid, from the list beside the map
    items.nth(1).click()
    overview = page.get_by_test_id("grid-overview")
    expect(overview).to_be_visible()
    expect(overview).to_have_attribute("data-code", grids[1])
    expect(overview.locator("#ov-title")).to_have_text("图上2网格")
    expect(overview.get_by_test_id("overview-tickets")).to_contain_text("1")
    for part in ("overview-staff", "overview-coverage", "overview-score"):
        expect(overview.get_by_test_id(part)).to_be_visible()
    assert f"sel={grids[1]}" in page.url
    shot(page, "overview")

    # the view is in the address: opened again, the overview comes back
    page.goto(portal.route(f"/map?grid={community}&sel={grids[1]}"))
    page.reload()
    wait_ready(page, "map")
    expect(page.get_by_test_id("grid-overview")).to_have_attribute("data-code", grids[1])
    page.get_by_test_id("grid-overview-close").click()
    expect(page.get_by_test_id("grid-overview")).to_be_hidden()


# --- the workbench --------------------------------------------------------------------------

def test_a_ticket_escalated_by_the_worker_is_resolved_by_the_community_in_the_workbench(
        portal, signed_in_page, shot):
    grid = portal.district("320882", "工单", 135.70, 45.70, grids=1)[0]
    worker = portal.account(["grid_worker"], grid)
    officer = portal.account(["community_officer"], grid[:12])
    number = f"E2E{uuid.uuid4().hex[:6]}"
    ticket = ticket_in(portal, grid, f"工单{number}：楼道堆放杂物，堵塞消防通道")

    page = signed_in_page(worker, hash_path="/tickets")
    wait_ready(page, "ticket-queue")
    row = page.locator(f'[data-testid="queue-row"][data-ticket-id="{ticket["id"]}"]')
    expect(row).to_be_visible()
    shot(page, "worker-queue")
    row.get_by_role("link").click()
    expect(page.get_by_test_id("ticket-detail")).to_have_attribute("data-status", "reported")
    shot(page, "worker-ticket")
    assert act(page, "accept").get_attribute("data-status") != "reported"
    act(page, "handle")
    detail = act(page, "escalate", note="网格无法处置，上报社区")
    expect(detail).to_have_attribute("data-level", "community")
    expect(page.get_by_test_id("action-escalate")).to_have_count(0)   # the community's now
    shot(page, "worker-escalated")

    page = signed_in_page(officer, hash_path=f"/tickets/{ticket['id']}")
    expect(page.get_by_test_id("ticket-detail")).to_have_attribute("data-level", "community")
    shot(page, "community-ticket")
    offered = portal.api("GET", f"tickets/{ticket['id']}", officer.token, expect=200)["your_actions"]
    buttons = page.get_by_test_id("ticket-actions").locator("button[data-testid^=action-]")
    assert sorted(b.get_attribute("data-testid")[len("action-"):] for b in buttons.all()) == sorted(offered)
    detail = act(page, "resolve", outcome="fixed", note="社区协调物业清理完毕")
    expect(detail).to_have_attribute("data-status", "resolved")
    expect(page.get_by_test_id("ticket-outcome")).to_be_visible()
    trail = page.get_by_test_id("trail-entry")
    assert [e.get_attribute("data-action") for e in trail.all()] == ["report", "accept", "handle", "escalate", "resolve"]
    expect(page.get_by_test_id("ticket-verify")).to_have_attribute("data-intact", "true")
    shot(page, "community-resolved", full_page=True)

    history = portal.api("GET", f"tickets/{ticket['id']}/history", expect=200)["items"]
    assert [h["action"] for h in history] == ["report", "accept", "handle", "escalate", "resolve"]


def test_an_action_the_api_refuses_is_explained_in_plain_words(portal, signed_in_page, shot):
    grid = portal.district("320886", "拒绝", 136.40, 46.40, grids=1)[0]
    worker = portal.account(["grid_worker"], grid)
    ticket = ticket_in(portal, grid, "拒绝：井盖缺失")
    page = signed_in_page(worker, hash_path=f"/tickets/{ticket['id']}")
    expect(page.get_by_test_id("action-accept")).to_be_visible()
    # someone else accepts it meanwhile: the form's version is stale
    portal.api("POST", f"tickets/{ticket['id']}/actions", body={"action": "accept", "version": ticket["version"]},
               expect=200)
    page.get_by_test_id("action-accept").click()
    page.get_by_test_id("action-form-accept").get_by_test_id("action-submit").click()
    error = page.get_by_test_id("action-error")
    expect(error).to_contain_text(re.compile("[\u4e00-\u9fff]"))    # plain words, in Chinese
    assert not error.inner_text().startswith(("VERSION_CONFLICT", "409", "Error"))
    shot(page, "refused")


# --- the dashboard --------------------------------------------------------------------------

def test_the_dashboards_numbers_change_when_a_ticket_is_resolved(portal, signed_in_page, shot):
    grid = portal.district("320883", "看板", 135.90, 45.90, grids=1)[0]
    officer = portal.account(["community_officer"], grid[:12])
    first = ticket_in(portal, grid, "看板：占道经营")
    ticket_in(portal, grid, "看板：噪声扰民")

    page = signed_in_page(officer, hash_path="/dashboard")
    wait_ready(page, "dashboard")
    expect(page.get_by_test_id("stat-total")).to_have_attribute("data-value", "2")
    expect(page.get_by_test_id("stat-solved")).to_have_attribute("data-value", "0")
    shot(page, "before")

    version = first["version"]
    for action, extra in (("accept", {}), ("handle", {}), ("resolve", {"outcome": "fixed"})):
        version = portal.api("POST", f"tickets/{first['id']}/actions", body={"action": action, "version": version,
                                                                             **extra}, expect=200)["ticket"]["version"]
    statistics = portal.stack.waited(lambda: (s := portal.api("GET", f"tickets/statistics?root={grid[:12]}",
                                                              officer.token, expect=200))["solved"] == 1 and s)
    page.get_by_test_id("dashboard-refresh").click()
    wait_ready(page, "dashboard")
    expect(page.get_by_test_id("stat-solved")).to_have_attribute("data-value", "1")
    expect(page.get_by_test_id("stat-total")).to_have_attribute("data-value", "2")
    expect(page.get_by_test_id("stat-resolution-rate")).to_have_attribute(
        "data-value", str(statistics["resolution_rate"]))
    shot(page, "after")


# --- assessment -----------------------------------------------------------------------------

def test_the_published_ranking_and_a_workers_breakdown(portal, signed_in_page, shot):
    grids = portal.district("320884", "排名", 136.10, 46.10, grids=3)
    community = grids[0][:12]
    leader = portal.account(["town_leader"], grids[0][:9])
    officer = portal.account(["community_officer"], community)
    today = shanghai_date()
    period = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    plan = f"e2e-{uuid.uuid4().hex[:8]}"
    portal.api("POST", "scoring/plans", body={
        "code": plan, "name": {"zh": "街道检查（浏览器测试）", "en": "Street checks (browser test)"},
        "subject": "worker", "period": "quarter", "parts": [{"key": "street", "weight": 100, "source": "items"}],
        "ranking": {"min_volume": 0, "prior_weight": 0, "commend_top": 1, "remind_bottom": 1},
        "bands": [{"key": "excellent", "min": 90, "zh": "优秀", "en": "excellent"},
                  {"key": "good", "min": 75, "zh": "良好", "en": "good"},
                  {"key": "pass", "min": 60, "zh": "合格", "en": "pass"},
                  {"key": "fail", "min": 0, "zh": "不合格", "en": "fail"}]}, expect=201)
    people = []
    for n, grid in enumerate(grids, 1):
        people.append(portal.staff(grid, name=f"排名{n}号网格员"))
    for person, points in zip(people, (9, 7, 8)):       # once scoring has heard of the posts
        body = {"period": period, "subject_id": person["id"], "items": [
            {"name": "街道检查", "points": points, "max_points": 10}]}
        portal.stack.waited(lambda: portal.api("POST", "scoring/items", leader.token, body).status_code == 201)

    def ran():
        answer = portal.api("POST", "assessments", body={"plan": plan, "period": period, "scope": community})
        return answer.json() if answer.status_code == 201 else None
    assessment = portal.stack.waited(ran, timeout=30)
    portal.api("POST", f"assessments/{assessment['id']}/publish", leader.token, expect=200)

    page = signed_in_page(officer, hash_path=f"/assessment?plan={plan}&period={period}&scope={community}")
    ranking = page.get_by_test_id("ranking")
    expect(ranking).to_be_visible()
    rows = ranking.locator("tbody tr")
    expect(rows).to_have_count(3)
    assert [rows.nth(n).get_attribute("data-subject") for n in range(3)] == [
        people[0]["id"], people[2]["id"], people[1]["id"]]          # 90, 80, 70
    expect(rows.nth(0)).to_contain_text("排名1号网格员")
    shot(page, "ranking")

    rows.nth(1).get_by_test_id("breakdown-open").click()
    breakdown = page.get_by_test_id("breakdown")
    expect(breakdown).to_be_visible()
    expect(breakdown).to_contain_text("排名3号网格员")
    expect(breakdown).to_contain_text("80")
    shot(page, "breakdown")


# --- the phone ------------------------------------------------------------------------------

def test_a_grid_worker_checks_in_offline_on_a_phone_and_the_patrol_is_stored_once(
        portal, signed_in_page, shot):
    grid = portal.district("320885", "巡查", 136.30, 46.30, grids=1)[0]
    person = portal.staff(grid, name="巡查浏览器测试员")
    worker = portal.account(["grid_worker"], grid, person_id=person["id"])
    geometry = portal.api("GET", f"grids/{grid}?geometry=true", expect=200)["geometry"]
    spot = shape(geometry).representative_point()

    page = signed_in_page(worker, viewport=PHONE, is_mobile=True, has_touch=True,
                          geolocation={"longitude": spot.x, "latitude": spot.y, "accuracy": 8},
                          permissions=["geolocation"])
    assert page.url.endswith("#/today")                       # a grid worker's home
    expect(page.get_by_test_id("checkin-button")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a 360 px phone"
    shot(page, "today")

    page.context.set_offline(True)
    expect(page.get_by_test_id("net-state")).to_have_attribute("data-online", "false")
    page.get_by_test_id("checkin-button").click()
    expect(page.get_by_test_id("outbox-count")).to_have_attribute("data-n", "1")
    expect(page.get_by_test_id("outbox-item")).to_have_attribute("data-kind", "patrol")
    shot(page, "offline-queued")
    assert portal.api("GET", f"patrols?person_id={person['id']}", expect=200)["items"] == []

    page.context.set_offline(False)
    expect(page.get_by_test_id("net-state")).to_have_attribute("data-online", "true")
    expect(page.get_by_test_id("outbox-count")).to_have_attribute("data-n", "0", timeout=15_000)
    expect(page.get_by_test_id("recent-item").first).to_have_attribute("data-kind", "patrol")
    shot(page, "online-sent")

    page.evaluate("window.__gridgovOutbox.flush({force: true})")   # asked again: nothing is left to send
    time.sleep(1)
    patrols = portal.api("GET", f"patrols?person_id={person['id']}", expect=200)["items"]
    assert len(patrols) == 1, patrols
    assert patrols[0]["inside"] is True and patrols[0]["located_grid_code"] == grid
