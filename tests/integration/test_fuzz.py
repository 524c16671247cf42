"""Fuzz the door from its own OpenAPI document (schemathesis): valid and invalid
requests for every operation, as an administrator (who reaches furthest) and as a
grid worker and a resident. No answer may be a 5xx, every answer must be a documented
status in the documented shape, and invalid input must be refused.

Inside `make test` the budget is small (FUZZ_MAX_EXAMPLES, default 8 per operation and
caller: about two minutes); `make fuzz` runs the same with many more examples. The run
has a platform of its own: it creates whatever the schema allows."""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_schema_conformance, status_code_conformance)

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
PASSWORD = "Passw0rd-2026"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]


def _account(platform, admin, roles, scope=None):
    username = f"fz{os.urandom(5).hex()}"
    created = platform.call("POST", "/api/v1/accounts", admin, {
        "username": username, "display_name": "模糊测试", "password": PASSWORD, "roles": roles, "grid_scope": scope})
    assert created.status_code == 201, created.text
    return platform.login(username, PASSWORD)


@pytest.fixture(scope="module")
def callers(own_stack):
    admin = own_stack.login()
    return {"admin": admin, "grid_worker": _account(own_stack, admin, ["grid_worker"], "320508019044001"),
            "resident": _account(own_stack, admin, ["resident"])}


@pytest.fixture(scope="module")
def api_schema(own_stack):
    return schemathesis.openapi.from_url(f"{own_stack.gateway}/api/v1/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.parametrize("who", ["admin", "grid_worker", "resident"])
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_no_request_breaks_the_door(case, callers, who):
    case.call_and_validate(headers={"Authorization": f"Bearer {callers[who]}"}, checks=CHECKS, timeout=30)
