"""One account: sign-in, lockout, bearer tokens, roles and scopes."""
import threading
import time
import uuid

import jwt
from shapely.geometry import shape

from stack import JWT_SECRET

API = "/api/v1"


def new_account(stack, admin_token, roles, scope=None, password="Passw0rd-2026"):
    username = f"u{uuid.uuid4().hex[:10]}"
    response = stack.call("POST", f"{API}/accounts", admin_token, {
        "username": username, "display_name": "测试 张伟", "password": password,
        "roles": roles, "grid_scope": scope,
    })
    assert response.status_code == 201, response.text
    return username, password


def test_login_returns_a_bearer_token_and_me_describes_the_account(stack):
    response = stack.call("POST", f"{API}/auth/login", body={"username": "admin", "password": "TestAdmin2026"})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["access_token"]
    me = stack.call("GET", f"{API}/me", body["access_token"]).json()
    assert me["username"] == "admin" and me["roles"] == ["admin"]
    assert me["role_labels"] == {"admin": "系统管理员"}
    assert "password_hash" not in me and "password" not in me


def test_password_is_stored_as_argon2_hash(stack):
    rows = stack.db_rows("people", "SELECT password_hash FROM accounts WHERE username = 'admin'")
    assert rows[0]["password_hash"].startswith("$argon2id$")


def test_wrong_password_then_lockout(stack):
    admin = stack.login()
    username, password = new_account(stack, admin, ["grid_worker"], "320508019044001")
    for attempts_left in (2, 1):
        wrong = stack.call("POST", f"{API}/auth/login", body={"username": username, "password": "nope"})
        assert wrong.status_code == 401
        assert wrong.json()["error"] == "INVALID_CREDENTIALS"
        assert wrong.json()["details"]["attempts_left"] == attempts_left
    locked = stack.call("POST", f"{API}/auth/login", body={"username": username, "password": "nope"})
    assert locked.status_code == 423 and locked.json()["error"] == "ACCOUNT_LOCKED"
    # even the right password is refused while locked
    right = stack.call("POST", f"{API}/auth/login", body={"username": username, "password": password})
    assert right.status_code == 423


def at_once(stack, calls):
    """Each (username, password) signs in from its own thread, all at once."""
    results = []

    def login(username, password):
        response = stack.call("POST", f"{API}/auth/login", body={"username": username, "password": password})
        results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=login, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_concurrent_sign_ins_to_one_account_all_succeed_or_count(stack):
    admin = stack.login()
    username, password = new_account(stack, admin, ["grid_worker"], "320508019044001")
    signed_in = at_once(stack, [(username, password)] * 3)  # few: hashing is serial, the stack waits 2 s
    assert [status for status, _ in signed_in] == [200] * 3, signed_in
    for name in (username, f"u{uuid.uuid4().hex[:10]}"):  # a username without an account too
        wrong = at_once(stack, [(name, "nope")] * 3)  # the stack locks after 3
        assert sorted(status for status, _ in wrong) == [401, 401, 423], wrong
        assert sorted(body["details"]["attempts_left"] for status, body in wrong if status == 401) == [1, 2]
    # locked from this address only (see test_people_sign_in_addresses): the account itself is not
    assert stack.db_rows("people", f"SELECT locked_until FROM accounts WHERE username = '{username}'") == [
        {"locked_until": None}]


def test_sign_in_does_not_tell_which_usernames_exist(stack):
    admin = stack.login()
    username, _ = new_account(stack, admin, ["grid_worker"], "320508019044001")
    nobody = f"u{uuid.uuid4().hex[:10]}"
    for _ in range(4):  # the stack locks after 3 wrong passwords
        known = stack.call("POST", f"{API}/auth/login", body={"username": username, "password": "nope"})
        unknown = stack.call("POST", f"{API}/auth/login", body={"username": nobody, "password": "nope"})
        assert (unknown.status_code, unknown.json()["error"], unknown.json()["message"]) == (
            known.status_code, known.json()["error"], known.json()["message"])
        assert unknown.json()["details"].keys() == known.json()["details"].keys()
        assert unknown.json()["details"].get("attempts_left") == known.json()["details"].get("attempts_left")
    assert known.status_code == 423
    for blank in ("   ", "\u3000"):  # a name that is nothing once trimmed is a wrong sign-in too
        refused = stack.call("POST", f"{API}/auth/login", body={"username": blank, "password": "nope"})
        assert refused.status_code == 401 and refused.json()["error"] == "INVALID_CREDENTIALS", refused.text


def test_disabled_account_cannot_sign_in(stack):
    admin = stack.login()
    username = f"u{uuid.uuid4().hex[:10]}"
    created = stack.call("POST", f"{API}/accounts", admin, {
        "username": username, "display_name": "停用 账号", "password": "Passw0rd-2026",
        "roles": ["resident"], "disabled": True})
    assert created.status_code == 201
    response = stack.call("POST", f"{API}/auth/login", body={"username": username, "password": "Passw0rd-2026"})
    assert response.status_code == 403 and response.json()["error"] == "ACCOUNT_DISABLED"


def test_every_api_route_needs_a_valid_token(stack):
    for method, path in [("GET", f"{API}/me"), ("GET", f"{API}/grids"), ("POST", f"{API}/tickets"),
                         ("GET", f"{API}/tickets"), ("GET", f"{API}/scoring/tickets-reported"),
                         ("GET", f"{API}/accounts")]:
        response = stack.call(method, path)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error"] == "AUTH_REQUIRED"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    forged = jwt.encode({"sub": "x", "iss": "gridgov", "iat": 0, "exp": int(time.time()) + 60,
                         "roles": ["admin"]}, "not-the-secret-but-long-enough-for-hs256", algorithm="HS256")
    assert stack.call("GET", f"{API}/me", forged).json()["error"] == "INVALID_TOKEN"
    expired = jwt.encode({"sub": "x", "iss": "gridgov", "iat": 0, "exp": int(time.time()) - 10,
                          "roles": ["admin"]}, JWT_SECRET, algorithm="HS256")
    response = stack.call("GET", f"{API}/me", expired)
    assert response.status_code == 401 and response.json()["error"] == "TOKEN_EXPIRED"


def test_role_and_scope_are_enforced(stack):
    admin = stack.login()
    username, password = new_account(stack, admin, ["grid_worker"], "320508019044001")
    worker = stack.login(username, password)

    assert stack.call("GET", f"{API}/accounts", worker).status_code == 403
    scoring = stack.call("GET", f"{API}/scoring/tickets-reported", worker)
    assert scoring.status_code == 403 and scoring.json()["error"] == "ROLE_FORBIDDEN"

    outside = stack.call("POST", f"{API}/tickets", worker, {"grid_code": "320508014021001", "category": "UM02", "description": "越界上报"})
    assert outside.status_code == 403 and outside.json()["error"] == "OUT_OF_SCOPE"
    # By location: tickets finds the grid and checks the scope the gateway passed on.
    there = shape(stack.call("GET", f"{API}/grids/320508014021001?geometry=true", admin).json()["geometry"])
    point = there.representative_point()
    located = stack.call("POST", f"{API}/tickets", worker, {"location": {"lon": point.x, "lat": point.y},
                                                           "category": "UM02", "description": "越界定位上报"})
    assert located.status_code == 403 and located.json()["details"]["grid_code"] == "320508014021001", located.text
    assert stack.db_rows("tickets", "SELECT id FROM tickets WHERE description = '越界定位上报'") == []
    inside = stack.call("POST", f"{API}/tickets", worker, {"grid_code": "320508019044001", "category": "UM02", "description": "本网格上报"})
    assert inside.status_code == 201

    leader_name, leader_password = new_account(stack, admin, ["town_leader"], "320508014")
    leader = stack.login(leader_name, leader_password)
    # a ticket of another street is outside the leader's scope: as if there were none
    assert stack.call("GET", f"{API}/tickets/{inside.json()['id']}", leader).status_code == 404
    assert stack.call("GET", f"{API}/scoring/tickets-reported?root=320508019", leader).status_code == 403
    own = stack.call("GET", f"{API}/scoring/tickets-reported", leader)
    assert own.status_code == 200 and own.json()["root"] == "320508014"
    listed = stack.call("GET", f"{API}/tickets", leader).json()["items"]
    assert all(t["grid_code"].startswith("320508014") for t in listed)


def test_only_admin_creates_accounts_and_new_accounts_can_sign_in(stack):
    admin = stack.login()
    username, password = new_account(stack, admin, ["community_officer"], "320508019044")
    token = stack.login(username, password)
    me = stack.call("GET", f"{API}/me", token).json()
    assert me["grid_scope"] == "320508019044" and me["role_labels"] == {"community_officer": "社区工作人员"}
    denied = stack.call("POST", f"{API}/accounts", token, {
        "username": "sneaky01", "display_name": "x", "password": "Passw0rd-2026", "roles": ["admin"]})
    assert denied.status_code == 403
    duplicate = stack.call("POST", f"{API}/accounts", admin, {
        "username": username, "display_name": "x", "password": "Passw0rd-2026", "roles": ["resident"]})
    assert duplicate.status_code == 409 and duplicate.json()["error"] == "USERNAME_TAKEN"
