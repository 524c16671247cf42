"""Open311 GeoReport v2 (issue 20 §1) through the whole stack, read by an Open311 client
from PyPI (``georeport``: services, definitions and requests, JSON and XML; it cannot
post) and posted to as civic apps post, a plain form with the department system's
api_key. Errors come in Open311's shape and store nothing; a resident's words and
every reporter stay out of what anyone reads."""
import uuid

import pytest
import requests
import xmltodict
from georeport import GeoReport

from ticket_client import Ticket

API, OPEN311 = "/api/v1", "/open311/v2"
COUNTY, X, Y = "320660", 130.00, 40.00        # a county and a spot no other test uses
NEIGHBOUR = "320661"                           # a second district beside it, at X + 0.10
PHONE = "13912345678"


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response


@pytest.fixture(scope="module")
def district(stack):
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "开放", X, Y)
    stack.square_district(admin, NEIGHBOUR, "邻近", X + 0.10, Y)
    department = f"o311_{uuid.uuid4().hex[:6]}"
    stack.register_department(admin, department, "区城市照明管理处")
    key = ok(stack.call("POST", f"{API}/api-keys", admin, {"department_code": department, "name": "照明工单系统"}),
             201).json()["key"]
    return {"admin": admin, "grid": grid, "department": department, "key": key}


def post(stack, fmt="json", headers=None, **form):
    """A service request as civic apps send it: application/x-www-form-urlencoded."""
    return requests.post(f"{stack.gateway}{OPEN311}/requests.{fmt}", data=form, headers=headers or {}, timeout=10)


def tickets_in(stack, district):
    return ok(stack.call("GET", f"{API}/tickets?root={COUNTY}&limit=500", district["admin"])).json()["items"]


def errors_of(response):
    """Open311's errors as [(code, description)], from JSON or XML."""
    if response.headers["Content-Type"].startswith("application/xml"):
        listed = xmltodict.parse(response.content)["errors"]["error"]
        listed = listed if isinstance(listed, list) else [listed]
    else:
        listed = response.json()
    return [(int(e["code"]), e["description"]) for e in listed]


def as_list(value):
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_georeport_client_reads_services_and_a_request_a_department_posted(stack, district, fmt):
    client = GeoReport(f"{stack.gateway}{OPEN311}", jurisdiction=COUNTY, output_format=fmt)
    services = {s["service_code"]: s for s in client.get_service_list()}
    assert services["UM07"]["service_name"] == "路灯故障" and services["UM07"]["group"] == "区城市管理局"
    assert "DM01" not in services and "LS01" not in services  # disputes, the elderly: no public map of them
    definition = client.get_service_definition("UM07")
    attribute = as_list(definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"])[0]
    assert attribute["code"] == "crs"

    # the department's system posts as the spec has it: a form, its api_key a field of it
    posted = ok(post(stack, fmt, api_key=district["key"], jurisdiction_id=COUNTY, service_code="UM07",
                     lat=str(Y + 0.01), long=str(X + 0.01), description=f"路灯不亮，联系人{PHONE}",
                     first_name="小明", last_name="王", phone=PHONE, email="wang@example.cn",
                     media_url="https://img.example.cn/lamp.jpg"), 201)
    assert posted.headers["Content-Type"].startswith(f"application/{fmt}")
    receipt = posted.json()[0] if fmt == "json" else xmltodict.parse(posted.content)["service_requests"]["request"]
    number = receipt["service_request_id"]
    assert number and receipt["service_notice"] == "日常事项4小时内受理，5个工作日内办结"

    request = client.get_service_request(number)
    assert (request["service_code"], request["status"], request["service_name"]) == ("UM07", "open", "路灯故障")
    assert request["description"] == "路灯不亮，联系人139****5678"
    assert (float(request["lat"]), float(request["long"])) == (Y + 0.01, X + 0.01)
    assert request["address"] == "开放区开放街道开放社区开放网格" and request["address_id"] == district["grid"]
    assert request["media_url"] == "https://img.example.cn/lamp.jpg"
    assert request["requested_datetime"].endswith("+08:00") and request["expected_datetime"]
    assert request["agency_responsible"] == "网格" and request["status_notes"] == "已提交，待受理"
    for private in (PHONE, "王", "小明", "wang@", "apikey", district["key"]):
        assert private not in str(request)
    listed = client.get_service_requests(service_request_id=number)
    assert as_list(listed)[0]["service_request_id"] == number
    listed = as_list(client.get_service_requests(service_code="UM07,UM05", status="open"))
    assert number in [r["service_request_id"] for r in listed]

    # the ticket is a department's referral, with the resident to call back kept for the handlers
    ticket = ok(stack.call("GET", f"{API}/tickets/{number}", district["admin"])).json()
    assert (ticket["source"], ticket["reporter_name"], ticket["reporter_phone"]) == (
        "department_referral", "王小明", "139****5678")
    token = ok(requests.get(f"{stack.gateway}{OPEN311}/tokens/{receipt['token']}.json", timeout=10)).json()
    assert token == [{"service_request_id": number, "token": ticket["id"]}]


def test_a_gcj02_point_and_the_key_as_a_header(stack, district):
    """A point from AMap (GCJ-02) is stored as WGS-84, some hundred metres away."""
    posted = ok(post(stack, "xml", headers={"X-API-Key": district["key"]}, service_code="UM05", lat="40.01",
                     long="130.01", **{"attribute[crs]": "gcj02"}), 201)
    number = xmltodict.parse(posted.content)["service_requests"]["request"]["service_request_id"]
    [request] = ok(requests.get(f"{stack.gateway}{OPEN311}/requests/{number}.json", timeout=10)).json()
    assert request["description"] == "道路破损"  # none given: the service's name
    assert 0.0005 < abs(request["long"] - 130.01) < 0.02 and 0.0001 < abs(request["lat"] - 40.01) < 0.02


def test_the_loop_as_anyone_reads_it(stack, district):
    admin = district["admin"]
    resident = stack.new_account(admin, ["resident"])
    made = ok(stack.call("POST", f"{API}/tickets", resident, {
        "category": "UM05", "grid_code": district["grid"], "description": "我家门口（3栋2单元）路面塌陷，张三电话" + PHONE}), 201)
    ticket = Ticket(stack, made.json())
    for step in ("accept", "handle"):
        ticket.act(admin, step)
    ticket.act(admin, "resolve", outcome="fixed", note=f"路面已修补，现场负责人{PHONE}")
    ticket.act(admin, "feedback", note="已电话回访张三，满意")
    [request] = ok(requests.get(f"{stack.gateway}{OPEN311}/requests/{ticket.number}.json", timeout=10)).json()
    assert request["description"] is None and request["media_url"] is None  # a resident's own words
    assert request["status"] == "closed"
    assert request["status_notes"] == "已回访（已解决）：路面已修补，现场负责人139****5678"
    assert "张三" not in str(request) and PHONE not in str(request)
    closed = as_list(GeoReport(f"{stack.gateway}{OPEN311}", output_format="xml").get_service_requests(
        service_request_id=ticket.number, status="open"))  # ids override every other filter
    assert closed[0]["status"] == "closed"
    # an unpublished category's ticket is not there at all
    dispute = ok(stack.call("POST", f"{API}/tickets", admin, {"category": "DM01", "grid_code": district["grid"],
                                                              "description": "邻里因噪音发生纠纷"}), 201).json()
    missing = requests.get(f"{stack.gateway}{OPEN311}/requests/{dispute['number']}.xml", timeout=10)
    assert missing.status_code == 404 and errors_of(missing)[0][1].startswith("REQUEST_NOT_FOUND")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_refusals_come_in_open311_s_shape_and_store_nothing(stack, district, fmt):
    before = len(tickets_in(stack, district))
    key, point = district["key"], {"lat": "40.01", "long": "130.01"}
    for response, status, code in (
        (post(stack, fmt, service_code="UM05", **point), 401, "AUTH_REQUIRED"),
        (post(stack, fmt, api_key="ggk_nope_nope", service_code="UM05", **point), 401, "INVALID_API_KEY"),
        (post(stack, fmt, headers={"Authorization": f"Bearer {district['admin']}"}, service_code="UM05", **point),
         403, "ROLE_FORBIDDEN"),
        (post(stack, fmt, api_key=key, service_code="ZZ99", **point), 400, "UNKNOWN_SERVICE"),
        (post(stack, fmt, api_key=key, service_code="DM01", **point), 400, "UNKNOWN_SERVICE"),
        (post(stack, fmt, api_key=key, service_code="UM05", lat="41.5", long="131.5"), 400,
         "LOCATION_OUTSIDE_DISTRICT"),
        (post(stack, fmt, api_key=key, service_code="UM05", jurisdiction_id=COUNTY, lat="40.01", long="130.11"), 400,
         "LOCATION_OUTSIDE_DISTRICT"),                                # in the neighbouring district
        (post(stack, fmt, api_key=key, service_code="UM05", jurisdiction_id=f"{COUNTY}001", **point), 400,
         "UNKNOWN_JURISDICTION"),
        (post(stack, fmt, api_key=key, service_code="UM05", lat="40.01"), 400, "VALIDATION_FAILED"),
        (post(stack, fmt, api_key=key, service_code="UM05", phone="12345", **point), 400, "INVALID_PHONE"),
        (requests.post(f"{stack.gateway}{OPEN311}/requests.{fmt}", json={"service_code": "UM05"},
                       headers={"X-API-Key": key}, timeout=10), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (requests.get(f"{stack.gateway}{OPEN311}/services.{fmt}?jurisdiction_id=320599", timeout=10), 400,
         "UNKNOWN_JURISDICTION"),
        (requests.get(f"{stack.gateway}{OPEN311}/services/DM01.{fmt}", timeout=10), 404, "SERVICE_NOT_FOUND"),
        (requests.get(f"{stack.gateway}{OPEN311}/requests.{fmt}?start_date=2026-01-01T00:00:00Z"
                      "&end_date=2026-06-01T00:00:00Z", timeout=10), 400, "VALIDATION_FAILED"),
        (requests.get(f"{stack.gateway}{OPEN311}/tokens/{uuid.uuid4()}.{fmt}", timeout=10), 404, "TOKEN_NOT_FOUND"),
    ):
        assert response.status_code == status, (code, response.text)
        assert response.headers["Content-Type"].startswith(f"application/{fmt}"), (code, response.headers)
        [(number, description)] = errors_of(response)
        assert number == status and description.startswith(f"{code}: "), (code, description)
    assert len(tickets_in(stack, district)) == before
    # a format the spec has not is refused as JSON; the platform's own routes keep their shape
    other = requests.get(f"{stack.gateway}{OPEN311}/services.csv", timeout=10)
    assert other.status_code == 400 and errors_of(other)[0][1].startswith("VALIDATION_FAILED")
    assert stack.call("GET", f"{API}/tickets").json()["error"] == "AUTH_REQUIRED"


def test_discovery_names_the_endpoint(stack):
    found = ok(requests.get(f"{stack.gateway}{OPEN311}/discovery.xml", timeout=10))
    endpoint = xmltodict.parse(found.content)["discovery"]["endpoints"]["endpoint"]
    assert endpoint["url"].endswith(OPEN311) and endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["formats"]["format"] == ["application/json", "application/xml"]
