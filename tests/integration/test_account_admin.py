"""Accounts administered (issue 20) through the whole stack: an administrator disables
and enables an account, resets its password (the holder must change it at the next
sign-in), lifts its lock and ends its tokens; the holder changes their own password
and signs out everywhere. A disabled account's, a changed password's and a signed-out
token are refused at once, and every step is in the account's log."""
import uuid
from answers import ok

API = "/api/v1"
PASSWORD = "Zhanghu2026abc"


def refused(response, status, code):
    assert (response.status_code, response.json()["error"]) == (status, code), response.text
    return response.json()


def account(stack, admin):
    username = f"zh{uuid.uuid4().hex[:8]}"
    made = ok(stack.call("POST", f"{API}/accounts", admin, {"username": username, "display_name": "管理测试",
                                                           "password": PASSWORD, "roles": ["district_officer"]}), 201)
    return made["id"], username


def sign_in(stack, username, password, address="10.66.0.1"):
    return stack.call("POST", f"{API}/auth/login", None, {"username": username, "password": password},
                      headers={"X-Forwarded-For": address})


def change(stack, username, current, new):
    return stack.call("POST", f"{API}/auth/password", None, {"username": username, "current_password": current,
                                                             "new_password": new})


def me(stack, token):
    return stack.call("GET", f"{API}/me", token)


def test_an_administrator_disables_enables_resets_and_the_holder_changes_the_password(stack):
    admin = stack.login()
    account_id, username = account(stack, admin)
    token = stack.login(username, PASSWORD)
    assert ok(me(stack, token))["username"] == username

    disabled = ok(stack.call("POST", f"{API}/accounts/{account_id}/disable", admin, {"reason": "离职"}))
    assert disabled["disabled"] is True and disabled["token_version"] == 1
    refused(me(stack, token), 401, "TOKEN_REVOKED")                 # at once, not at the token's expiry
    listed = ok(stack.call("GET", f"{API}/accounts?disabled=true&role=district_officer&q={username}", admin))
    assert [a["id"] for a in listed["items"]] == [account_id]
    assert ok(stack.call("GET", f"{API}/accounts?disabled=false&q={username}", admin))["items"] == []
    refused(sign_in(stack, username, PASSWORD), 403, "ACCOUNT_DISABLED")
    admin_id = ok(me(stack, admin))["id"]
    refused(stack.call("POST", f"{API}/accounts/{admin_id}/disable", admin, {}), 400, "OWN_ACCOUNT")
    ok(stack.call("POST", f"{API}/accounts/{account_id}/enable", admin))
    token = ok(sign_in(stack, username, PASSWORD))["access_token"]

    # the holder's own change: the current password is the proof, the old tokens end
    refused(change(stack, username, "wrong-password1", "Xinmima2026abc"), 401, "INVALID_CREDENTIALS")
    weak = refused(change(stack, username, PASSWORD, "short"), 400, "WEAK_PASSWORD")
    assert weak["details"]["field"] == "new_password"
    assert refused(change(stack, username, PASSWORD, PASSWORD), 400, "WEAK_PASSWORD")["details"]["field"] == \
        "new_password"
    fresh = ok(change(stack, username, PASSWORD, "Xinmima2026abc"))["access_token"]
    refused(me(stack, token), 401, "TOKEN_REVOKED")
    assert ok(me(stack, fresh))["must_change_password"] is False
    refused(sign_in(stack, username, PASSWORD), 401, "INVALID_CREDENTIALS")

    # a reset: a temporary password, changed before anything else
    reset = ok(stack.call("POST", f"{API}/accounts/{account_id}/reset-password", admin))
    temporary = reset["temporary_password"]
    refused(me(stack, fresh), 401, "TOKEN_REVOKED")
    required = refused(sign_in(stack, username, temporary), 403, "PASSWORD_CHANGE_REQUIRED")
    assert required["details"]["change_at"] == "/api/v1/auth/password"
    own = ok(change(stack, username, temporary, "Zijide2026abcd"))["access_token"]
    assert ok(me(stack, own))["username"] == username
    ok(sign_in(stack, username, "Zijide2026abcd"))

    # signing out everywhere ends this token too
    ended = ok(stack.call("POST", f"{API}/auth/logout", own))
    assert ended["account_id"] == account_id
    refused(me(stack, own), 401, "TOKEN_REVOKED")

    events = ok(stack.call("GET", f"{API}/accounts/{account_id}/events", admin))["items"]
    assert [e["action"] for e in events] == ["tokens_revoked", "password_changed", "password_reset",
                                             "password_changed", "enabled", "disabled"]
    assert events[-1]["note"] == "离职" and events[-1]["by_account_id"] == admin_id
    assert all(PASSWORD not in str(e) and temporary not in str(e) for e in events)
    refused(stack.call("POST", f"{API}/accounts/{account_id}/disable", token=stack.login(username, "Zijide2026abcd"),
                       body={}), 403, "ROLE_FORBIDDEN")


def test_an_administrator_lifts_a_lock_from_every_address(stack):
    """Wrong passwords from many addresses lock the account everywhere (the test stack's
    LOGIN_MAX_FAILURES is 3 per address); unlocking lifts it at once."""
    admin = stack.login()
    account_id, username = account(stack, admin)
    stack.restart("people", LOGIN_ACCOUNT_MAX_FAILURES="4")
    try:
        answers = [sign_in(stack, username, "Wrong2026abcd", f"10.67.{n}.1").status_code for n in range(4)]
        assert answers == [401, 401, 401, 423]
        refused(sign_in(stack, username, PASSWORD, "10.67.9.9"), 423, "ACCOUNT_LOCKED")
        locked = ok(stack.call("GET", f"{API}/accounts?locked=true&q={username}", admin))["items"]
        assert [a["id"] for a in locked] == [account_id]
        unlocked = ok(stack.call("POST", f"{API}/accounts/{account_id}/unlock", admin))
        assert unlocked["locked_until"] is None
        ok(sign_in(stack, username, PASSWORD, "10.67.9.9"))
        assert ok(stack.call("GET", f"{API}/accounts?locked=true&q={username}", admin))["items"] == []
        assert ok(stack.call("GET", f"{API}/accounts/{account_id}/events", admin))["items"][0]["action"] == "unlocked"
    finally:
        stack.restart("people")
    missing = stack.call("POST", f"{API}/accounts/{uuid.uuid4()}/unlock", admin)
    assert missing.status_code == 404
