"""Open311 at the gateway (gateway.open311, routes/open311.py) without a broker: XML as
the spec's clients parse it (xmltodict, as the georeport client does), escaped and free
of characters XML cannot hold; errors in Open311's shape at every step of the door; the
form a civic app posts, with its api_key; and tickets' public view mapped onto service
requests."""
import json
import xml.etree.ElementTree as ET

import pytest
import xmltodict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from common.errors import InvalidInput, NotFound, Unauthenticated
from gateway import open311 as o
from gateway.auth import Callers, TokenIssuer, api_key_of
from gateway.limits import LocalBuckets, RateLimits
from gateway.routes import BY_NAME, ROUTES
from gateway.schemas.open311 import NewRequestForm, RequestsQuery
from gateway.service import GatewayService

CATEGORY = {"code": "UM05", "name": "道路破损", "department": "urban_management", "department_name": "区城市管理局",
            "published": True, "sla": {"daily": {"accept": "4h", "respond": "24h", "resolve": "5d"},
                                       "urgent": {"accept": "0.5h", "respond": "2h", "resolve": "24h"}}}


def view(**changes):
    base = {"id": "t-1", "number": "20261123-00001", "category": "UM05", "grade": "daily", "status": "open",
            "state": "handling", "state_label": "处理中", "outcome": None, "outcome_label": None, "suspended": False,
            "description": "路面破损", "note": None, "grid_code": "320508019044001", "level": "community",
            "lead_department": None, "lead_department_name": None, "merged_into": None,
            "reported_at": "2026-11-23T01:00:00+00:00", "updated_at": "2026-11-23T02:00:00+00:00",
            "resolve_due": "2026-11-30T01:00:00+00:00", "resolved_at": None, "lon": 120.6, "lat": 31.3,
            "media_url": None}
    return {**base, **changes}


def test_xml_is_escaped_holds_no_character_xml_cannot_and_parses_as_clients_parse_it():
    payload = [{"service_code": "UM05", "service_name": "<b>&道路</b>", "metadata": True, "keywords": None,
                "description": "bell\x07 and \ud800 and tab\tkept"}]
    body = o.to_xml("services", "service", payload)
    assert body.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert b"&lt;b&gt;&amp;" in body
    ET.fromstring(body)  # well formed: the bell and the lone surrogate are gone
    parsed = xmltodict.parse(body)["services"]["service"]
    assert parsed["service_name"] == "<b>&道路</b>" and parsed["metadata"] == "true"
    assert parsed["keywords"] is None and parsed["description"] == "bell\ufffd and \ufffd and tab\tkept"
    definition = xmltodict.parse(o.to_xml("service_definition", None, o.definition(CATEGORY)))["service_definition"]
    values = definition["attributes"]["attribute"]["values"]["value"]
    assert definition["attributes"]["attribute"]["code"] == "crs" and [v["key"] for v in values] == ["wgs84", "gcj02"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_take_open311_s_shape_in_the_format_asked(fmt):
    refused = o.ERRORS.answer(InvalidInput("Unknown service.", code="UNKNOWN_SERVICE"), {"format": fmt})
    assert refused.status_code == 400 and refused.mimetype == o.MEDIA_TYPES[fmt]
    body = refused.get_data()
    errors = json.loads(body) if fmt == "json" else [xmltodict.parse(body)["errors"]["error"]]
    assert [(int(e["code"]), e["description"]) for e in errors] == [(400, "UNKNOWN_SERVICE: Unknown service.")]
    broken = o.ERRORS.answer(RuntimeError("secret internals 13912345678"), {"format": fmt})
    assert broken.status_code == 500 and b"secret" not in broken.get_data() and b"INTERNAL_ERROR" in broken.get_data()
    # a path whose format is itself the mistake is answered in JSON
    assert o.ERRORS.answer(NotFound("x"), {"format": "x1"}).mimetype == "application/json"


class FakeTokens(Callers):
    def __init__(self):
        super().__init__(TokenIssuer("unit-test-secret-0123456789abcdef0123"))


class FakePeople:
    def __init__(self):
        self.keys = []

    def authenticate_api_key(self, key):
        self.keys.append(key)
        raise Unauthenticated("Invalid API key.", code="INVALID_API_KEY")


class FakeGateway:
    public_site = ""

    def __init__(self):
        self.tokens, self.people = FakeTokens(), FakePeople()
        self.limits = RateLimits(LocalBuckets())   # the door counts every request


def call(route_name, path, fmt="json", **request):
    """The route's entrypoint as nameko runs it, on a request built here."""
    route = BY_NAME[route_name]
    gateway = FakeGateway()
    entrypoint = getattr(GatewayService, route_name)
    answer = entrypoint(gateway, Request(EnvironBuilder(method=route.method, path=path, **request).get_environ()),
                        format=fmt)
    return gateway, answer


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_door_s_refusals_come_in_open311_s_shape(fmt):
    path = f"/open311/v2/requests.{fmt}"
    _, missing = call("open311_post_request", path, fmt, data={"service_code": "UM05"})
    assert missing.status_code == 401 and missing.mimetype == o.MEDIA_TYPES[fmt]
    assert b"AUTH_REQUIRED" in missing.get_data()
    # the spec's api_key form field is the key, as X-API-Key would be
    gateway, wrong = call("open311_post_request", path, fmt, data={"api_key": "ggk_abc_wrong", "service_code": "UM05"})
    assert gateway.people.keys == ["ggk_abc_wrong"] and wrong.status_code == 401 and b"INVALID_API_KEY" in \
        wrong.get_data()


def test_a_key_is_read_from_the_header_before_the_form():
    request = Request(EnvironBuilder(method="POST", data={"api_key": "from-form"},
                                     headers={"X-API-Key": "from-header"}).get_environ())
    assert api_key_of(request, "api_key") == "from-header"
    request = Request(EnvironBuilder(method="POST", data={"api_key": " from-form "}).get_environ())
    assert api_key_of(request, "api_key") == "from-form" and api_key_of(request) is None


def test_the_form_and_the_list_query():
    form = NewRequestForm().load({"service_code": "UM05", "lat": "31.3", "long": "120.6", "attribute[crs]": "gcj02",
                                  "api_key": "k", "email": "a@b.cn"})
    assert (form["lat"], form["long"], form["crs"]) == (31.3, 120.6, "gcj02")
    for bad, field in (({"service_code": "UM05", "lat": "31.3"}, "long"), ({"service_code": "UM05"}, "lat"),
                       ({"service_code": "UM05", "lat": "nan", "long": "1"}, "lat"),
                       ({"service_code": "UM05", "address_id": "1", "attribute[crs]": "bd09"}, "attribute[crs]"),
                       ({"service_code": "UM05", "address_id": "320508", "attribute[foo]": "x"}, "attribute[foo]")):
        with pytest.raises(Exception) as refused:
            NewRequestForm().load(bad)
        assert field in refused.value.messages, (bad, refused.value.messages)
    query = RequestsQuery().load({"service_request_id": "a, b,a", "status": "open,closed"})
    assert query["service_request_id"] == ["a", "b"] and query["status"] == ["open", "closed"]
    for bad in ({"status": "pending"}, {"status": "open,closed,open"}, {"service_request_id": ",".join(["x"] * 21)},
                {"service_code": "A" * 11}, {"start_date": "2026-11-23T00:00:00"}, {"service_request_id": "a,,b"},
                {"start_date": "2026-11-24T00:00:00Z", "end_date": "2026-11-23T00:00:00Z"}):
        with pytest.raises(Exception):
            RequestsQuery().load(bad)


def test_a_ticket_as_a_service_request():
    categories = {"UM05": CATEGORY}
    request = o.service_request(view(), categories, {}, {"320508019044001": "矩阵区甲街道甲社区甲一网格"})
    assert request["service_request_id"] == "20261123-00001" and request["status"] == "open"
    assert (request["service_name"], request["agency_responsible"]) == ("道路破损", "社区（村）")
    assert request["requested_datetime"] == "2026-11-23T09:00:00+08:00"
    assert request["expected_datetime"] == "2026-11-30T09:00:00+08:00"
    assert request["service_notice"] == "日常事项4小时内受理，5个工作日内办结"
    assert (request["address"], request["address_id"], request["lat"], request["long"]) == (
        "矩阵区甲街道甲社区甲一网格", "320508019044001", 31.3, 120.6)
    assert request["status_notes"] == "处理中"
    resolved = view(status="closed", state="resolved", state_label="已办结，待回访", outcome_label="已解决",
                    note={"action": "report_back", "text": "已修复"}, lead_department="water",
                    lead_department_name="区水务局", grade="urgent")
    request = o.service_request(resolved, categories, {"water": "水务局（登记名）"}, {})
    assert request["status_notes"] == "已办结，待回访（已解决）：已修复"
    assert request["agency_responsible"] == "水务局（登记名）"  # people's register names it first
    assert request["service_notice"] == "紧急事项0.5小时内受理，24小时内办结" and request["address"] is None
    assert o.service_request(view(lead_department="x9", level=None), categories, {}, {})["agency_responsible"] == "x9"
    assert o.service_request(view(level=None), categories, {}, {})["agency_responsible"] == "网格"
    merged = o.service_request(view(merged_into="20261120-00007"), categories, {}, {})
    assert "20261120-00007" in merged["service_notice"]


def test_an_address_is_the_grid_s_names_top_first():
    labels = {"320508": {"name": "矩阵区", "depth": 1}, "320508019": {"name": "甲街道", "depth": 2},
              "320508019044001": {"name": "甲一网格", "depth": 4}}
    assert o.address_of("320508019044001", labels) == "矩阵区甲街道甲一网格"
    assert o.prefixes("32050801")[0] == "320508" and o.prefixes("32050801")[-1] == "32050801"


def test_services_list_published_categories_with_their_department():
    service = o.service(CATEGORY)
    assert (service["service_code"], service["service_name"], service["group"], service["type"],
            service["metadata"]) == ("UM05", "道路破损", "区城市管理局", "realtime", True)


def test_only_the_open311_routes_answer_errors_in_open311_s_shape():
    assert {route.name for route in ROUTES if route.errors_as is o.ERRORS} == {
        route.name for route in ROUTES if route.base == o.BASE}
    assert all(route.errors_as is None for route in ROUTES if route.base != o.BASE)
