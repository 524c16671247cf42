"""The reports a district sends up (issue 20 §4), through the whole stack: a street's
daily report compared with the day before (环比) and the same day last year (同比),
broken down per community, category and summoned department, as JSON and as a file
that opens in openpyxl with Chinese headers; the ticket list as XLSX and CSV, streamed;
and an export beyond the caller's reach refused before anything is written."""
import csv
import datetime as dt
import io
import uuid
from urllib.parse import unquote

from openpyxl import load_workbook
from shapely.geometry import box, mapping

from common.periods import year_earlier_span
from common.shanghai import SHANGHAI, shanghai_date
from ticket_client import Ticket

API = "/api/v1"
COUNTY, X, Y = "320640", 129.00, 39.00       # a county and a spot no other test uses
STREET = f"{COUNTY}001"
WEST_COMMUNITY, EAST_COMMUNITY = f"{STREET}001", f"{STREET}002"
WEST, EAST = f"{WEST_COMMUNITY}001", f"{EAST_COMMUNITY}001"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response


def district(stack, admin):
    """A street of two communities, each one grid: west and east halves of a square."""
    west, east = box(X, Y, X + 0.01, Y + 0.01), box(X + 0.01, Y, X + 0.02, Y + 0.01)
    whole = box(X, Y, X + 0.02, Y + 0.01)
    features = [(COUNTY, "报表区", whole, None), (STREET, "报表街道", whole, COUNTY),
                (WEST_COMMUNITY, "西社区", west, STREET), (EAST_COMMUNITY, "东社区", east, STREET),
                (WEST, "西一网格", west, WEST_COMMUNITY), (EAST, "东一网格", east, EAST_COMMUNITY)]
    ok(stack.call("POST", f"{API}/grids/import", admin, {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": mapping(shape), "properties": {"code": code, "name": name,
                                                                        "parent_code": parent}}
        for code, name, shape, parent in features]}), 201)


def report(stack, token, grid, category, description):
    return Ticket(stack, ok(stack.call("POST", f"{API}/tickets", token, {
        "grid_code": grid, "category": category, "description": description, "reporter_name": "王五",
        "reporter_phone": "13912345678"}), 201).json())


def sheet_rows(page):
    return [list(row) for row in page.iter_rows(values_only=True)]


def test_a_street_sends_its_daily_report_and_its_ticket_list(stack):
    admin = stack.login()
    district(stack, admin)
    department = f"urban_{uuid.uuid4().hex[:6]}"
    stack.register_department(admin, department, "报表测试城管队")
    leader = stack.new_account(admin, ["town_leader"], STREET)
    community = stack.new_account(admin, ["community_officer"], WEST_COMMUNITY)
    worker = stack.new_account(admin, ["grid_worker"], WEST)

    fixed = report(stack, admin, WEST, "UM02", "西一网格楼道堆放杂物")
    fixed.act(worker, "accept")
    fixed.act(worker, "handle")
    fixed.act(worker, "resolve", outcome="fixed", note="已清理")
    whistled = report(stack, admin, WEST, "EP01", "饭店油烟直排")
    whistled.act(community, "accept")
    whistled.act(community, "handle")
    whistled.act(community, "whistle", departments=[department], lead_department=department)
    yesterday = report(stack, admin, WEST, "UM02", "昨天的事件")
    last_year = report(stack, admin, EAST, "UM02", "去年今天的事件")

    # The day before and the same day last year, by moving two reports back in time
    # (put back when the test ends: their trails seal the time they were reported).
    today = shanghai_date()
    moved = {}
    for ticket, day in ((yesterday, today - dt.timedelta(days=1)), (last_year, year_earlier_span(today, today)[0])):
        at = stack.db_rows("tickets", "SELECT reported_at FROM tickets WHERE id = :id", id=ticket.id)[0]["reported_at"]
        moved[ticket.id] = at
        local = at.astimezone(SHANGHAI)
        stack.db_execute("tickets", "UPDATE tickets SET reported_at = :at WHERE id = :id", id=ticket.id,
                         at=dt.datetime.combine(day, local.timetz()).astimezone(dt.timezone.utc))
    try:
        daily = {"root": STREET, "from": today.isoformat(), "to": today.isoformat()}
        figures = ok(stack.call("GET", f"{API}/tickets/statistics", leader, params=daily)).json()
        assert figures["total"] == 2 and figures["solved"] == 1
        before, a_year_ago = figures["comparisons"]["previous_period"], figures["comparisons"]["same_period_last_year"]
        assert before["from"] == before["to"] == (today - dt.timedelta(days=1)).isoformat()
        assert (before["total"], a_year_ago["total"]) == (1, 1)
        assert before["change"]["total"] == {"absolute": 1, "percent": 100.0}
        assert a_year_ago["change"]["solved"] == {"absolute": 1, "percent": None}, "nothing solved then: no percent"
        grids = {row["code"]: row for row in figures["breakdowns"]["grids"]}
        assert set(grids) == {WEST_COMMUNITY, EAST_COMMUNITY}, "every community under the street, one without tickets"
        assert (grids[WEST_COMMUNITY]["name"], grids[WEST_COMMUNITY]["total"], grids[EAST_COMMUNITY]["total"]) == (
            "西社区", 2, 0)
        assert {row["code"]: row["total"] for row in figures["breakdowns"]["categories"]} == {"EP01": 1, "UM02": 1}
        summoned = figures["breakdowns"]["departments"]
        assert [(row["code"], row["name"], row["summoned"], row["lead"], row["signed"]) for row in summoned] == [
            (department, "报表测试城管队", 1, 1, 0)]

        # the daily report as a file
        sent = ok(stack.call("GET", f"{API}/tickets/statistics/export", leader, params=daily))
        assert sent.headers["Content-Type"] == XLSX
        disposition = sent.headers["Content-Disposition"]
        assert disposition.startswith("attachment; filename=\"") and "filename*=UTF-8''" in disposition
        assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"事件统计_{STREET}_{today}_{today}.xlsx"
        book = load_workbook(io.BytesIO(sent.content))
        assert book.sheetnames == ["总体情况", "分项统计", "按网格", "按类别", "按部门"]
        summary = sheet_rows(book["总体情况"])
        assert summary[0][0] == f"报表街道 ({STREET}) 事件统计 {today} 至 {today}"
        assert summary[1][:3] == ["指标", "单位", "本期"] and summary[1][4] == "环比增减" and summary[1][7] == "同比增减"
        assert summary[2] == ["事件总数", "件", 2, 1, 1, 100, 1, 1, 100]
        assert sheet_rows(book["按网格"])[2:] == [[WEST_COMMUNITY, "西社区", 2, 1, 50, 100, None, 0],
                                                 [EAST_COMMUNITY, "东社区", 0, 0, None, None, None, 0]]
        assert sheet_rows(book["按部门"])[2][:4] == [department, "报表测试城管队", 1, 1]
        english = ok(stack.call("GET", f"{API}/tickets/statistics/export", leader, params=dict(daily, format="csv",
                                                                                              lang="en")))
        assert english.headers["Content-Type"].startswith("text/csv")
        lines = list(csv.reader(io.StringIO(english.content.decode("utf-8-sig"))))
        assert lines[0] == ["Summary"] and lines[2][:3] == ["figure", "unit", "this period"]

        # the ticket list, streamed
        listed = ok(stack.call("GET", f"{API}/tickets/export", leader, params={"root": STREET}))
        assert listed.headers["Content-Type"] == XLSX and listed.headers.get("Transfer-Encoding") == "chunked"
        assert unquote(listed.headers["Content-Disposition"].split("''")[1]).startswith(f"事件清单_{STREET}_")
        page = load_workbook(io.BytesIO(listed.content)).active
        rows = sheet_rows(page)
        assert page.title == "事件清单" and rows[0][0].startswith(f"报表街道 ({STREET}) 事件清单")
        header = rows[1]
        assert header[:6] == ["事件编号", "上报时间", "网格编码", "网格名称", "类别编码", "事件类别"]
        found = {row[0]: dict(zip(header, row)) for row in rows[2:]}
        assert set(found) == {fixed.number, whistled.number, yesterday.number, last_year.number}
        assert [row[0] for row in rows[2:]][-1] == last_year.number, "newest first"
        one = found[fixed.number]
        assert (one["网格名称"], one["状态"], one["办结结果"], one["按期办结"]) == ("西一网格", "已办结", "已解决", "是")
        assert one["报告人"] == "王五" and one["联系电话"] == "139****5678", "the phone masked, as the list shows it"
        assert (found[whistled.number]["当前层级"], found[whistled.number]["牵头部门"]) == ("职能部门", "报表测试城管队")
        in_english = ok(stack.call("GET", f"{API}/tickets/export", leader, params={
            "root": WEST, "format": "csv", "lang": "en", "category": "UM02", "from": today.isoformat()}))
        table = list(csv.reader(io.StringIO(in_english.content.decode("utf-8-sig"))))
        assert table[1][:2] == ["number", "reported at"] and [row[0] for row in table[2:]] == [fixed.number]
        assert "139****5678" in in_english.text and "13912345678" not in in_english.text
    finally:
        for ticket_id, at in moved.items():
            stack.db_execute("tickets", "UPDATE tickets SET reported_at = :at WHERE id = :id", id=ticket_id, at=at)


def test_an_export_beyond_the_callers_reach_is_refused_and_nothing_is_written(stack):
    admin = stack.login()
    elsewhere = stack.new_account(admin, ["town_leader"], "320508019")  # the demo district's street
    worker = stack.new_account(admin, ["grid_worker"], "320508019044001")
    for path in ("/tickets/export", "/tickets/statistics/export"):
        refused = stack.call("GET", f"{API}{path}", elsewhere, params={"root": STREET})
        assert refused.status_code == 403 and refused.json()["error"] == "OUT_OF_SCOPE", refused.text
        assert "Content-Disposition" not in refused.headers
        role = stack.call("GET", f"{API}{path}", worker, params={"root": "320508019044001"})
        assert role.status_code == 403 and role.json()["error"] == "ROLE_FORBIDDEN"
        missing = stack.call("GET", f"{API}{path}", admin, params={"root": f"{COUNTY}999"})
        assert missing.status_code == 404 and missing.json()["error"] == "GRID_NOT_FOUND"
        wrong = stack.call("GET", f"{API}{path}", admin, params={"root": STREET, "format": "pdf"})
        assert wrong.status_code == 400 and "format" in wrong.text
