"""Lockout is no weapon: wrong passwords lock a name for the address they came from,
not for its owner elsewhere. The gateway passes the client's address; other
addresses are reached by calling people's RPC directly, as the gateway does."""
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from common.errors import Locked

API = "/api/v1"


def sign_in(rpc, username, password, address):
    """people.authenticate as the gateway calls it: the account, or the error's (code, details)."""
    try:
        return rpc.people.authenticate(username, password, address)
    except Locked as exc:
        return exc.code, exc.details
    except Exception as exc:  # noqa: BLE001 - the other typed errors, as they came
        return getattr(exc, "code", type(exc).__name__), getattr(exc, "details", {})


def test_a_stranger_locks_the_admin_at_their_own_address_only(stack):
    admin = stack.login()
    username = f"adm{uuid.uuid4().hex[:8]}"
    created = stack.call("POST", f"{API}/accounts", admin, {"username": username, "display_name": "第二管理员",
                                                           "password": "Passw0rd-2026", "roles": ["admin"]})
    assert created.status_code == 201, created.text
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        answers = [sign_in(rpc, username, "guess", "198.51.100.23") for _ in range(3)]  # the stack locks after 3
        assert [a[0] for a in answers] == ["INVALID_CREDENTIALS", "INVALID_CREDENTIALS", "ACCOUNT_LOCKED"], answers
        assert answers[2][1]["from"] == "this_address"
        assert sign_in(rpc, username, "Passw0rd-2026", "198.51.100.23")[0] == "ACCOUNT_LOCKED"
        assert sign_in(rpc, username, "Passw0rd-2026", "203.0.113.7")["username"] == username
    stack.login(username, "Passw0rd-2026")  # and through the gateway, from this machine


def test_the_gateway_passes_the_clients_address(stack):
    """Locked through the gateway (from 127.0.0.1): another address still signs in."""
    admin = stack.login()
    username = f"u{uuid.uuid4().hex[:10]}"
    stack.call("POST", f"{API}/accounts", admin, {"username": username, "display_name": "网格员",
                                                  "password": "Passw0rd-2026", "roles": ["grid_worker"],
                                                  "grid_scope": "320508019044001"})
    for _ in range(3):
        stack.call("POST", f"{API}/auth/login", body={"username": username, "password": "nope"})
    locked = stack.call("POST", f"{API}/auth/login", body={"username": username, "password": "Passw0rd-2026"})
    assert locked.status_code == 423 and locked.json()["details"]["from"] == "this_address", locked.text
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        assert sign_in(rpc, username, "Passw0rd-2026", "203.0.113.8")["username"] == username
        assert sign_in(rpc, username, "Passw0rd-2026", "127.0.0.1")[0] == "ACCOUNT_LOCKED"


@pytest.mark.parametrize("address", ["x" * 65, 42])
def test_a_client_address_the_gateway_could_not_send_is_refused(stack, address):
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        assert sign_in(rpc, "admin", "wrong", address)[0] == "VALIDATION_FAILED"
