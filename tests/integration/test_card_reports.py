"""Reports through a grid's public card (issue 19) through the whole stack, with no
sign-in: the form the QR code opens and its JSON twin, the ticket a grid worker then
carries round the loop while the reporter follows it by tracking code, the limits per
client address (named with X-Forwarded-For, as a proxy in TRUSTED_PROXIES does), the
burst flag, and bad input refused with nothing stored. Last, the chain the issue asks
for: a resident signs up, is approved, receives a notice and reports through the card."""
import re
import uuid

from shapely.geometry import box

from idnumbers import fresh_id_number
from ticket_client import Ticket

API = "/api/v1"
COUNTY, X, Y = "320620", 128.00, 38.00       # a county and a spot no other test uses
CHAIN_COUNTY, CX, CY = "320621", 128.60, 38.60
LIMIT_COUNTY, BAD_COUNTY = "320622", "320623"
PASSWORD = "Kapian2026abc"


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response


def address():
    return f"10.{90 + uuid.uuid4().int % 9}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


def send_form(stack, grid, fields, client):
    return stack.call("POST", f"{API}/public/grids/{grid}/report", data=fields,
                      headers={"X-Forwarded-For": client, "Content-Type": "application/x-www-form-urlencoded"})


def send_json(stack, grid, body, client):
    return stack.call("POST", f"{API}/public/grids/{grid}/reports", None, body, headers={"X-Forwarded-For": client})


def receipt_of(page):
    """(number, tracking code) from the thank-you page."""
    number = re.search(r"number: <strong>([\d-]+)</strong>", page).group(1)
    code = re.search(r"tracking code: <strong>([0-9A-Z]{12})</strong>", page).group(1)
    return number, code


def test_a_card_report_runs_the_loop_and_its_reporter_follows_it_with_no_account(stack):
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "扫码", X, Y)
    worker = stack.new_account(admin, ["grid_worker"], scope=grid)

    form = ok(stack.call("GET", f"{API}/public/grids/{grid}/report")).text
    assert 'method="post"' in form and 'name="description"' in form and "乱堆乱放" in form
    sent = ok(send_form(stack, grid, {"category": "UM02", "description": "3号楼前垃圾堆放三天无人清运"}, address()), 201)
    assert sent.headers["Content-Type"].startswith("text/html") and "<script" not in sent.text
    number, code = receipt_of(sent.text)

    listed = ok(stack.call("GET", f"{API}/tickets?source=qr_card", worker)).json()["items"]
    assert [t["number"] for t in listed] == [number]
    found = listed[0]
    assert (found["grid_code"], found["category"], found["anonymous"]) == (grid, "UM02", True)
    assert found["reporter_account_id"] is None and found["reporter_phone"] is None

    ticket = Ticket(stack, found)
    ticket.act(worker, "accept")
    ticket.act(worker, "handle")
    ticket.act(worker, "resolve", outcome="fixed", note="已联系物业清运")
    progress = ok(stack.call("GET", f"{API}/public/reports/{code.lower()}")).json()   # no token
    assert (progress["number"], progress["status"], progress["outcome"]) == (number, "resolved", "fixed")
    assert progress["status_label"]["zh"] == "已办结，待回访" and progress["outcome_label"]["zh"] == "已解决"
    page = ok(stack.call("GET", f"{API}/public/track?code={code}")).text
    assert number in page and "已解决" in page
    assert stack.call("GET", f"{API}/public/track?code={'0' * 12}").status_code == 404
    assert stack.call("GET", f"{API}/public/reports/{'0' * 12}").status_code == 404

    # the JSON twin, with a contact: not anonymous, the phone kept masked
    made = ok(send_json(stack, grid, {"description": "路灯不亮已经一周了", "category": "UM07",
                                      "name": "王女士", "phone": "13912345678"}, address()), 201).json()
    assert made["anonymous"] is False and re.fullmatch(r"[0-9A-Z]{12}", made["tracking_code"])
    shown = ok(stack.call("GET", f"{API}/tickets?source=qr_card&category=UM07", worker)).json()["items"][0]
    assert shown["reporter_phone"] == "139****5678" and "13912345678" not in str(shown)


def test_one_address_is_limited_and_a_burst_is_flagged_for_review(stack):
    admin = stack.login()
    grid = stack.square_district(admin, LIMIT_COUNTY, "限流", X + 0.1, Y + 0.1)
    officer = stack.new_account(admin, ["community_officer"], grid[:12])
    one = address()
    answers = [send_json(stack, grid, {"description": f"噪音扰民第{n}次反映"}, one) for n in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]  # CARD_REPORTS_PER_HOUR: 3 a grid an address
    assert answers[-1].headers["Retry-After"] == "3600"
    limited = send_form(stack, grid, {"description": "噪音扰民再次反映"}, one)
    assert limited.status_code == 429 and "提交过于频繁" in limited.text and "噪音扰民再次反映" in limited.text
    assert limited.headers["Retry-After"] == "3600"
    flags = [ok(send_json(stack, grid, {"description": f"同一时间大量反映{n}"}, address()), 201).json()["review_flag"]
             for n in range(3)]
    assert flags == [None, None, "burst"]      # CARD_BURST_REPORTS: 5 within 10 minutes, then flagged
    flagged = ok(stack.call("GET", f"{API}/tickets?review_flag=burst&root={grid}", officer)).json()["items"]
    assert len(flagged) == 1 and flagged[0]["review_flag"] == "burst"


def test_bad_card_reports_are_refused_naming_the_field_and_nothing_is_stored(stack):
    admin = stack.login()
    grid = stack.square_district(admin, BAD_COUNTY, "坏输入", X + 0.2, Y + 0.2)
    outside = box(X, Y, X + 0.02, Y + 0.02).centroid     # the first test's grid, not this one
    for body, field in (({"description": "脏"}, "description"), ({"description": "井盖丢了", "category": "ZZ99"},
                                                                "category"),
                        ({"description": "井盖丢了", "phone": "12345"}, "phone"),
                        ({"description": "井盖丢了", "attachments": ["a.jpg"]}, "attachments"),
                        ({"description": "井盖丢了", "location": {"lon": outside.x, "lat": outside.y}}, "location")):
        refused = send_json(stack, grid, body, address())
        assert refused.status_code == 400, refused.text
        details = refused.json()["details"]
        assert field == details.get("field") or field in details.get("fields", {}), (field, details)
    page = send_form(stack, grid, {"description": "脏"}, address())
    assert page.status_code == 400 and "请填写问题描述" in page.text
    assert send_form(stack, grid, {"description": "井盖丢了", "reporter_account_id": "x"}, address()).status_code == 400
    assert stack.call("POST", f"{API}/public/grids/{grid}/report", None, {"description": "井盖丢了"}
                      ).status_code == 415
    assert send_json(stack, grid, {"description": "井盖丢了"}, address()).status_code == 201
    assert send_json(stack, f"{grid}9", {"description": "井盖丢了"}, address()).status_code == 404
    assert stack.db_rows("tickets", "SELECT count(*) AS n FROM tickets WHERE grid_code = :g", g=grid)[0]["n"] == 1


def test_a_resident_signs_up_is_approved_hears_a_notice_and_reports_through_the_card(stack):
    admin = stack.login()
    grid = stack.square_district(admin, CHAIN_COUNTY, "链路", CX, CY)
    officer = stack.new_account(admin, ["community_officer"], grid[:12])
    worker = stack.new_account(admin, ["grid_worker"], scope=grid)
    centre = box(CX, CY, CX + 0.02, CY + 0.02).centroid
    place = ok(stack.call("POST", f"{API}/places", admin, {"type": "building", "name": "链路楼",
                                                           "lon": centre.x, "lat": centre.y})).json()["code"]
    home = ok(stack.call("POST", f"{API}/households", admin, {"place_code": place, "address": "2单元302室"}),
              201).json()["id"]
    resident = ok(stack.call("POST", f"{API}/residents", admin, {"name": "链路居民", "id_number": fresh_id_number(),
                                                                "household_id": home}), 201).json()

    username = f"jl{uuid.uuid4().hex[:8]}"
    signup = ok(stack.call("POST", f"{API}/public/sign-ups", None, {
        "username": username, "password": PASSWORD, "name": "链路居民", "phone": "13822223333",
        "address": "链路楼2单元302室", "grid_code": grid}, headers={"X-Forwarded-For": address()}), 201).json()
    ok(stack.call("POST", f"{API}/sign-ups/{signup['id']}/approve", officer, {"resident_id": resident["id"]}))
    token = stack.login(username, PASSWORD)

    notice = ok(stack.call("POST", f"{API}/notices", worker, {"title": "扫码反映问题", "body": "楼下公示牌扫码即可反映问题。"}),
                201).json()
    inbox = ok(stack.call("GET", f"{API}/inbox", token)).json()["items"]
    assert [n["id"] for n in inbox] == [notice["id"]]
    ok(stack.call("POST", f"{API}/inbox/{notice['id']}/read", token))

    card = ok(stack.call("GET", f"{API}/public/grids/{grid}/card")).json()
    form_path = card["report_url"].split(stack.gateway, 1)[-1]
    assert form_path == f"{API}/public/grids/{grid}/report"
    sent = ok(send_form(stack, grid, {"description": "单元门禁坏了，陌生人随意进出", "name": "链路居民",
                                      "phone": "13822223333"}, address()), 201)
    number, code = receipt_of(sent.text)
    seen = ok(stack.call("GET", f"{API}/tickets/{number}", worker)).json()
    assert (seen["grid_code"], seen["source"], seen["anonymous"]) == (grid, "qr_card", False)
    assert ok(stack.call("GET", f"{API}/public/reports/{code}")).json()["status"] == "reported"
    assert ok(stack.call("GET", f"{API}/notices/{notice['id']}", worker)).json()["read"] == 1
