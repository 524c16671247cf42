"""The route table holds together: every route well declared, the OpenAPI document
valid and complete, the README's table and docs/api.md generated from it, and each
route's role set enforced before anything is called (every route x every role, and
no token). The same matrix against the real services, inside and outside scope, is
tests/integration/test_role_matrix.py."""
import json
import warnings
from pathlib import Path

import pytest
from marshmallow import fields
from marshmallow.validate import Range
from openapi_spec_validator import validate
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from common.errors import AppError
from common.roles import NAMED_SETS, ROLES
from gateway import door, openapi, reference
from gateway.auth import Callers, TokenIssuer
from gateway.limits import LocalBuckets, RateLimits
from gateway.portal import Portal
from gateway.routes import BY_NAME, ROUTES
from gateway.routing import QUERY, Call, Query
from gateway.schemas.base import PAGE_LIMIT_MAX

SECRET = "unit-test-secret-0123456789abcdef0123"
# the only routes reachable with no token: a new one must be named here on purpose
PUBLIC = {"login", "openapi_document", "docs_page", "docs_asset", "healthz", "prometheus_metrics",
          "public_grid_card", "public_grid_qr_svg", "public_grid_qr_png", "public_grid_card_page",
          "public_grid_report_form", "public_sign_up", "public_grid_report_form_send", "public_card_report",
          "public_card_report_progress", "public_track_page", "change_password",
          # Open311's reads are public in the spec: published categories and their tickets, never a reporter
          "open311_discovery", "open311_services", "open311_service_definition", "open311_requests",
          "open311_request", "open311_token",
          # the portal's built files and run-time settings: a page loads before anyone signs in
          "portal_home", "portal_home_bare", "portal_index", "portal_config", "portal_file", "portal_asset"}
SERVICES = {"grid", "people", "tickets", "scoring"}


def test_every_route_is_declared_with_a_named_role_set_and_its_shapes():
    assert {route.name for route in ROUTES if route.public} == PUBLIC
    for route in ROUTES:
        assert route.summary and route.tag in dict(openapi.TAGS), route.name
        if not route.public:
            assert NAMED_SETS.get(route.roles.name) is route.roles, route.name
        if route.path_params:
            assert route.path_schema is not None and set(route.path_schema._declared_fields) == set(route.path_params)
        if isinstance(route.call, Call):
            assert route.call.service in SERVICES, route.name
        assert route.response is not None, f"{route.name} documents no answer"
        if route.self_param:
            assert route.self_param in route.path_params


def _answers_a_list(route):
    """A list route: a read (GET) answering the RPC's list wrapped as ``items``, or with an
    answer whose ``items`` is a list. (POST /residents/search is GET /residents with its
    filters in a body: the same schema, below.)"""
    if route.method != "GET":
        return False
    if route.wrap == "items":
        return True
    return isinstance(route.response, type) and isinstance(route.response._declared_fields.get("items"), fields.List)


LIST_ROUTES = [route for route in ROUTES if _answers_a_list(route)]
# Lists answered whole, each saying why in its declaration (Route.whole): a new one must
# be named here on purpose; every other list comes a page at a time.
WHOLE = {"ticket_categories", "ticket_history", "plan_versions", "party_coverage"}
CURSORS = ("after", "before")


def test_lists_answered_whole_are_few_and_say_why():
    assert len(LIST_ROUTES) > 25, "the rule finds the lists"
    assert {route.name for route in ROUTES if route.whole} == WHOLE
    assert all(_answers_a_list(route) for route in ROUTES if route.whole)
    assert BY_NAME["search_residents"].body is BY_NAME["list_residents"].query
    assert BY_NAME["search_residents"].response is BY_NAME["list_residents"].response


@pytest.mark.parametrize("route", [route for route in LIST_ROUTES if not route.whole], ids=lambda route: route.name)
def test_every_list_comes_a_page_at_a_time(route):
    """A bounded ``limit`` and a cursor in what the client sends, ``next`` in the answer,
    and both handed to the RPC: a list never grows with the district unbounded."""
    sent = route.query._declared_fields
    limit = sent.get("limit")
    assert isinstance(limit, fields.Integer), "no limit"
    ranges = [v for v in limit.validators if isinstance(v, Range)]
    assert ranges and ranges[0].min == 1 and ranges[0].max <= PAGE_LIMIT_MAX, "limit without a maximum"
    assert limit.load_default <= ranges[0].max
    cursor = [name for name in CURSORS if name in sent]
    assert cursor, "no cursor"
    assert route.wrap is None and "next" in route.response._declared_fields, "no next in the answer"
    if isinstance(route.call, Call):
        sources = route.call.arguments.values()
        passed = {source.name for source in sources if isinstance(source, Query)}
        assert QUERY in sources or {"limit", cursor[0]} <= passed, "the RPC is not given the page asked for"


def test_the_openapi_document_validates_and_covers_every_route():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # two schemas of one name would be renamed silently
        document = openapi.build(ROUTES)
    validate(document)
    operations = {(path, method) for path, methods in document["paths"].items() for method in methods}
    assert operations == {(route.full_path, route.method.lower()) for route in ROUTES}
    for route in ROUTES:
        operation = document["paths"][route.full_path][route.method.lower()]
        assert operation["operationId"] == route.name
        documented = {int(status) for status in operation["responses"]}
        assert set(route.documented_errors) <= documented and route.status in documented
        assert (operation["security"] == []) == route.public
    json.dumps(document)  # served as JSON


def test_the_readme_table_and_docs_api_md_are_generated_from_the_table():
    assert reference.main(["--check"]) == 0, "run: python -m gateway.reference --write"


class FakeRpc:
    """Records calls and answers nothing useful: the role check must come first."""

    def __init__(self, calls, name):
        self.calls, self.name = calls, name

    def __getattr__(self, method):
        def call(**kwargs):
            self.calls.append(f"{self.name}.{method}")
            raise AppError("fake", code="FAKE")
        return call


class FakeOps:
    def health(self):
        return 200, {"service": "gateway", "status": "ok", "checks": {"broker": "ok"}}

    def metrics_response(self):
        return Response(b"", content_type="text/plain")


class FakeGateway:
    def __init__(self):
        self.calls = []
        self.ops = FakeOps()
        self.tokens = Callers(TokenIssuer(SECRET))
        self.limits = RateLimits(LocalBuckets())  # off: no limit configured
        self.portal = Portal(Path(__file__).parent / "no-portal-here")  # not built: 503 pages
        for name in SERVICES:
            setattr(self, name, FakeRpc(self.calls, name))


def _request(route, token=None):
    path = route.full_path
    values = {name: "320508019044001" if name == "code" else "x1" for name in route.path_params}
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    builder = EnvironBuilder(method=route.method, path=path, headers=headers, json={} if route.body else None)
    return Request(builder.get_environ()), values


def _answer(gateway, route, token=None):
    request, values = _request(route, token)
    try:
        door.handle(gateway, route, request, values)
        return None
    except AppError as exc:
        return exc.code


def _token(role):
    account = {"id": f"acc-{role}", "username": role, "roles": [role],
               "grid_scope": "320508019044" if role not in ("admin", "district_officer", "resident", "department")
               else None, "department_code": "environment" if role == "department" else None}
    return TokenIssuer(SECRET).issue(account)["access_token"]


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_each_role_outside_a_routes_set_is_refused_before_any_call(route):
    gateway = FakeGateway()
    if route.public:
        assert _answer(gateway, route) != "AUTH_REQUIRED"
        return
    assert _answer(gateway, route) == "AUTH_REQUIRED" and not gateway.calls
    for role in ROLES:
        gateway.calls.clear()
        code = _answer(gateway, route, _token(role))
        if role in route.roles:
            assert code != "ROLE_FORBIDDEN", (route.name, role)
        else:
            assert code == "ROLE_FORBIDDEN" and not gateway.calls, (route.name, role, code)


UNGATED = [route for route in ROUTES if route.body is not None and not route.gate]


def test_some_routes_leave_their_bodys_fields_to_the_service():
    assert UNGATED, "no route is declared with gate=False: the test below tests nothing"


@pytest.mark.parametrize("route", UNGATED, ids=lambda route: route.name)
@pytest.mark.parametrize("body", ["null", "[]", '"text"', "7"])
def test_a_body_of_the_wrong_shape_is_refused_before_any_call_even_ungated(route, body):
    """The service judges an ungated body's fields; the door still refuses one that is not
    an object (the fuzz run stored a default threshold version from a ``null`` body)."""
    gateway = FakeGateway()
    role = next(iter(sorted(route.roles)))
    path = route.full_path
    for name in route.path_params:
        path = path.replace("{" + name + "}", "320508019044001" if name == "code" else "x1")
    request = Request(EnvironBuilder(method=route.method, path=path, data=body, content_type="application/json",
                                     headers={"Authorization": f"Bearer {_token(role)}"}).get_environ())
    with pytest.raises(AppError) as refused:
        door.handle(gateway, route, request, {name: "x1" for name in route.path_params})
    assert refused.value.code == "VALIDATION_FAILED" and refused.value.details == {
        "fields": {"_schema": ["must be an object"]}} and not gateway.calls
