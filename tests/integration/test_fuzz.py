"""Fuzz the door from its own OpenAPI document (schemathesis): valid and invalid
requests for every operation, each sent as an administrator (who reaches furthest),
a grid worker and a resident. No answer may be a 5xx; every answer must be a
documented status in the documented shape, and invalid input must be refused.

Inside `make test` the budget is small (FUZZ_MAX_EXAMPLES, default 12 valid and 12
invalid requests per operation, the same ones each run: under two minutes); `make fuzz`
runs many more, new ones each run (FUZZ_RANDOM=1). The run has a platform of its own: it creates whatever the schema allows.
(schemathesis' own pytest plugin does not run under pytest 9, so each operation is
one test here, driving schemathesis' strategies with hypothesis directly.)"""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_schema_conformance, status_code_conformance)

from gateway.routes import ROUTES

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "12"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"  # make fuzz: new inputs each run; make test: the same ones
PASSWORD = "Passw0rd-2026"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _account(platform, admin, roles, scope=None):
    """A new account's sign-in: () -> a fresh token."""
    username = f"fz{os.urandom(5).hex()}"
    created = platform.call("POST", "/api/v1/accounts", admin, {
        "username": username, "display_name": "模糊测试", "password": PASSWORD, "roles": roles, "grid_scope": scope})
    assert created.status_code == 201, created.text
    return lambda: platform.login(username, PASSWORD)


@pytest.fixture(scope="module")
def sign_ins(own_stack):
    admin = own_stack.login()
    return {"admin": own_stack.login, "grid_worker": _account(own_stack, admin, ["grid_worker"], "320508019044001"),
            "resident": _account(own_stack, admin, ["resident"])}


@pytest.fixture(scope="module")
def callers(sign_ins):
    return {name: sign_in() for name, sign_in in sign_ins.items()}


@pytest.fixture(scope="module")
def api_schema(own_stack):
    schema = schemathesis.openapi.from_url(f"{own_stack.gateway}/api/v1/openapi.json")
    # Each case is sent with each caller's token, so a case that "leaves out" the token is
    # sent with one anyway; and an extra query parameter can vanish when serialised. Both
    # would count as invalid input accepted. (Unknown parameters and a missing token are
    # refused by the door: tests/unit/test_route_table.py, test_role_matrix.py.)
    schema.config.generation.update(with_security_parameters=False, allow_extra_parameters=False)
    return schema


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.method} {route.full_path}")
def test_no_request_breaks_the_door(api_schema, callers, sign_ins, route):
    operation = api_schema[route.full_path][route.method]

    for mode, checks in ((GenerationMode.POSITIVE, CHECKS), (GenerationMode.NEGATIVE, CHECKS + [negative_data_rejection])):
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def send(case):
            for token in callers.values():
                case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks, timeout=30)

        try:
            send()
        except Unsatisfiable:  # nothing to make invalid: no parameters, no body
            assert mode == GenerationMode.NEGATIVE and not (route.query or route.body or route.path_params)
    if route.name == "sign_out":  # it ended the callers' tokens: the operations after it get fresh ones
        callers.update({name: sign_in() for name, sign_in in sign_ins.items()})
