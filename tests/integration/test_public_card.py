"""A grid's public card (上岗公示, issue 19) through the whole stack, with no sign-in: the
grid and the grids above it, its staff on duty by name and role (never a phone or an ID
number, though both are on record), the duty line an officer set (a mobile refused),
and a QR code that decodes to the grid's report form."""
import io

import zxingcpp
from PIL import Image

from idnumbers import fresh_id_number

API = "/api/v1"
COUNTY, X, Y = "320574", 126.60, 36.60       # a county and a spot no other test uses
PHONE = "13912345678"


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response


def test_a_grid_card_shows_its_staff_and_a_qr_code_leading_to_its_report_form(stack):
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "公示", X, Y)
    officer = stack.new_account(admin, ["community_officer"], grid[:12])
    numbers = []
    for name, role in (("公示网格长", "grid_chief"), ("公示网格员", "full_time_worker")):
        number = fresh_id_number()
        numbers.append(number)
        person = ok(stack.call("POST", f"{API}/staff", admin, {"name": name, "id_number": number, "phone": PHONE}),
                    201).json()
        ok(stack.call("POST", f"{API}/staff/{person['id']}/assignments", admin,
                      {"grid_code": grid, "role": role, "start_date": "2026-01-01"}), 201)

    mobile = stack.call("PATCH", f"{API}/grids/{grid}/card", officer, {"duty_phone": "139-1234-5678"})
    assert mobile.status_code == 400 and "duty_phone" in mobile.json()["details"]["fields"]
    assert stack.call("PATCH", f"{API}/grids/{grid}/card", officer, {}).status_code == 400
    assert stack.call("PATCH", f"{API}/grids/{grid}/card", None, {"duty_phone": "0512-65123456"}).status_code == 401
    set_ = ok(stack.call("PATCH", f"{API}/grids/{grid}/card", officer,
                         {"duty_phone": "0512-65123456", "service_hours": "工作日 8:30-17:30"})).json()
    assert set_["duty_phone"] == "0512-65123456"

    card = ok(stack.call("GET", f"{API}/public/grids/{grid}/card")).json()     # no token
    assert [a["name"] for a in card["above"]] == ["公示区", "公示街道", "公示社区"]
    assert [(p["name"], p["role"]) for p in card["staff"]] == [("公示网格长", "grid_chief"),
                                                              ("公示网格员", "full_time_worker")]
    assert card["duty_phone"] == "0512-65123456" and card["report_url"].endswith(f"/public/grids/{grid}/report")
    page = ok(stack.call("GET", f"{API}/public/grids/{grid}/card.html"))
    assert page.headers["Content-Type"].startswith("text/html") and "公示网格员" in page.text
    assert "<script" not in page.text
    for shown in (str(card), page.text):        # nothing personal on a public board
        assert PHONE not in shown and "139****5678" not in shown
        assert not any(number in shown or f"{number[:6]}********{number[-4:]}" in shown for number in numbers)

    png = ok(stack.call("GET", f"{API}/public/grids/{grid}/qr.png"))
    assert png.headers["Content-Type"] == "image/png"
    decoded = [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))]
    assert decoded == [card["report_url"]]
    svg = ok(stack.call("GET", f"{API}/public/grids/{grid}/qr.svg"))
    assert svg.headers["Content-Type"].startswith("image/svg+xml") and svg.text.lstrip().startswith("<svg")
    form = ok(stack.call("GET", card["report_url"].split(stack.gateway, 1)[-1]))
    assert "公示网格" in form.text

    assert stack.call("GET", f"{API}/public/grids/{grid}9/card").status_code == 404
    assert stack.call("GET", f"{API}/public/grids/{grid}9/qr.png").status_code == 404
