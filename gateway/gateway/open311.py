"""Open311 GeoReport v2 (issue 20): the platform in the shape civic apps and department
systems already speak. The routes are in gateway/routes/open311.py;
this module renders (JSON or XML), maps the catalogue onto services and tickets onto
service requests, and answers errors in the spec's shape.

- A service is a published category (``tickets.catalogue``): its code, Chinese name and
  department; every service has one attribute, ``crs`` (the point's coordinate system).
- A service request is a ticket as ``tickets.published_tickets`` gives it (never the
  reporter). ``status`` is ``open`` while the loop works on it (reported, accepted,
  handling) and ``closed`` from its resolution on (resolved, feedback given, rated,
  closed) or once merged into an earlier report of the same problem.
- Errors are a list of ``{code, description}``: the code is the HTTP status, the
  description starts with the platform's own error code (``INVALID_API_KEY: ...``).
"""
import datetime as dt
import logging
import re
import xml.etree.ElementTree as ET

from werkzeug.wrappers import Response

from common.errors import MAX_MESSAGE_CHARS, AppError, cut, http_status
from common.http import json_response
from common.logs import current_request_id, exception_summary
from common.shanghai import SHANGHAI

log = logging.getLogger(__name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
BASE = "/open311/v2"
MEDIA_TYPES = {"json": "application/json", "xml": "application/xml"}
CHANGESET = "2026-12-01T00:00:00+08:00"  # when this API's services or shapes last changed

# --- rendering ----------------------------------------------------------------------------

# A list under one of these keys holds elements of the singular name (the spec's XML).
ITEM_TAGS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}
# Characters XML 1.0 cannot hold at all, escaped or not: control characters but tab and
# newlines, lone surrogates, U+FFFE and U+FFFF. Text keeps its place with U+FFFD.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def _fill(element, value):
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        tag = ITEM_TAGS.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, tag), item)
    else:
        element.text = _text(value)  # ElementTree escapes &, < and > as it writes


def to_xml(root, item, payload):
    """``payload`` (a list of ``item`` elements, or a dict) under ``<root>``, as UTF-8
    bytes with the XML declaration the spec asks for."""
    element = ET.Element(root)
    if isinstance(payload, list):
        for entry in payload:
            _fill(ET.SubElement(element, item), entry)
    else:
        _fill(element, payload)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def answer(fmt, root, item, payload, status=200):
    """The payload as the format asks: JSON as it is, XML under ``<root>``."""
    if fmt == "xml":
        return Response(to_xml(root, item, payload), status=status, mimetype=MEDIA_TYPES["xml"])
    return json_response(payload, status)


# --- errors -------------------------------------------------------------------------------

class Open311Errors:
    """How a route under /open311 answers an error (``Route.errors_as``): the spec's list
    of ``{code, description}``, in the format its path asked for (JSON when that is not
    clear). Unknown errors are a 500 naming the request id, as elsewhere."""

    def answer(self, exc, path):
        if isinstance(exc, AppError):
            status, code, message = http_status(exc), exc.code, exc.message
        else:
            log.error("unexpected error in an Open311 route: %s", exception_summary(exc))
            request_id = current_request_id()
            status, code = 500, "INTERNAL_ERROR"
            message = "An unexpected error occurred" + (f" (request id {request_id})." if request_id else ".")
        errors = [{"code": status, "description": cut(f"{code}: {message}", MAX_MESSAGE_CHARS)}]
        return answer("xml" if path.get("format") == "xml" else "json", "errors", "error", errors, status)

    def document(self, status, meaning):
        return {"description": f"{meaning}. In Open311's shape: a list of {{code, description}}, the code the "
                               "HTTP status, the description starting with the platform's error code",
                "content": {"application/json": {"schema": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["code", "description"],
                    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}}}},
                    "application/xml": {"schema": {"type": "string"}}}}


ERRORS = Open311Errors()

# --- services -----------------------------------------------------------------------------

GRADE_LABELS = {"daily": "日常", "urgent": "紧急", "major": "重大"}
UNITS = {"h": "小时", "d": "个工作日"}
CRS_ATTRIBUTE = {
    "variable": True, "code": "crs", "datatype": "singlevaluelist", "required": False,
    "datatype_description": "坐标系，不填即 WGS-84", "order": 1,
    "description": "lat/long 所用坐标系：GPS 为 WGS-84；高德、腾讯地图给出的是 GCJ-02",
    "values": [{"key": "wgs84", "name": "WGS-84（GPS，默认）"}, {"key": "gcj02", "name": "GCJ-02（高德、腾讯地图）"}],
}


def _span(text):
    """A catalogue deadline ("4h", "3d", "0.5h") as a resident reads it."""
    return f"{text[:-1]}{UNITS.get(text[-1], text[-1])}"


def deadlines(category, grade="daily"):
    sla = category["sla"][grade]
    return f"{GRADE_LABELS[grade]}事项{_span(sla['accept'])}内受理，{_span(sla['resolve'])}内办结"


def service(category):
    return {"service_code": category["code"], "service_name": category["name"],
            "description": f"{category['name']}：{deadlines(category)}，{category['department_name']}主管",
            "metadata": True, "type": "realtime", "keywords": category["name"],
            "group": category["department_name"]}


def definition(category):
    return {"service_code": category["code"], "attributes": [CRS_ATTRIBUTE]}


# --- service requests ---------------------------------------------------------------------

LEVEL_AGENCIES = {"grid": "网格", "community": "社区（村）", "town": "镇（街道）", "department": "职能部门"}


def local_time(moment):
    """An ISO moment in the district's time, with its offset (the spec's w3 format)."""
    return moment and dt.datetime.fromisoformat(moment).astimezone(SHANGHAI).isoformat(timespec="seconds")


def status_notes(view):
    label = view["state_label"] + (f"（{view['outcome_label']}）" if view["outcome_label"] else "")
    if view["suspended"] and view["status"] == "open":
        label += "，暂停办理"
    return f"{label}：{view['note']['text']}" if view["note"] else label


def agency(view, departments):
    """The lead department a whistle summoned, else the level handling the ticket (a
    new one lies with its grid)."""
    code = view["lead_department"]
    if code:
        return departments.get(code) or view["lead_department_name"] or code
    return LEVEL_AGENCIES.get(view["level"] or "grid", view["level"])


def notice(view, category):
    if view["merged_into"]:
        return f"与 {view['merged_into']} 反映的是同一问题，并入该件一并办理"
    return category and deadlines(category, view["grade"])


def service_request(view, categories, departments, addresses):
    category = categories.get(view["category"])
    return {
        "service_request_id": view["number"], "status": view["status"], "status_notes": status_notes(view),
        "service_name": category["name"] if category else view["category"], "service_code": view["category"],
        "description": view["description"], "agency_responsible": agency(view, departments),
        "service_notice": notice(view, category), "requested_datetime": local_time(view["reported_at"]),
        "updated_datetime": local_time(view["updated_at"]), "expected_datetime": local_time(view["resolve_due"]),
        "address": addresses.get(view["grid_code"]), "address_id": view["grid_code"], "zipcode": None,
        "lat": view["lat"], "long": view["lon"], "media_url": view["media_url"],
    }


def prefixes(code):
    """Every code above and including ``code`` (a grid's ancestors are its prefixes)."""
    return [code[:end] for end in range(6, len(code) + 1)]


def address_of(code, labels):
    """The grid's name after those of the grids above it, top first (矩阵区甲街道甲社区甲一网格)."""
    names = sorted((labels[c]["depth"], labels[c]["name"]) for c in prefixes(code) if c in labels)
    return "".join(name for _, name in names) or None


def discovery(base_url):
    return {"changeset": CHANGESET, "contact": "区级指挥中心（district command centre）",
            "key_service": "部门系统的密钥由系统管理员签发：POST /api/v1/api-keys",
            "endpoints": [{"specification": SPECIFICATION, "url": f"{base_url}{BASE}", "changeset": CHANGESET,
                           "type": "production", "formats": list(MEDIA_TYPES.values())}]}
