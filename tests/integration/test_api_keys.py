"""Keys for department systems (issue 20) through the whole stack: an administrator
makes a key for a department (shown once, listed without it), the department's system
calls with it and acts as the department — it sees the ticket dispatched to it, signs
and reports back, and the trail names the key — and a rotated or revoked key is refused
at once. A key for a department nobody registered, a malformed key and a key sent to a
route its department may not use are refused."""
import uuid

from ticket_client import Ticket
from answers import ok

API = "/api/v1"
COUNTY, X, Y = "320624", 128.80, 38.80       # a county and a spot no other test uses


def with_key(stack, key, method, path, body=None, scheme="header"):
    headers = {"X-API-Key": key} if scheme == "header" else {"Authorization": f"ApiKey {key}"}
    return stack.call(method, f"{API}{path}", None, body, headers=headers)


def test_a_department_system_acts_with_its_key_until_it_is_rotated_or_revoked(stack):
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "密钥", X, Y)
    department = f"water_{uuid.uuid4().hex[:6]}"
    stack.register_department(admin, department, "区水务局")
    leader = stack.new_account(admin, ["town_leader"], grid[:9])
    worker = stack.new_account(admin, ["grid_worker"], grid)

    made = ok(stack.call("POST", f"{API}/api-keys", admin, {"department_code": department, "name": "水务工单系统"}),
              201)
    key = made["key"]
    assert key.startswith(f"ggk_{made['prefix']}_") and made["last_used_at"] is None
    listed = ok(stack.call("GET", f"{API}/api-keys?department_code={department}", admin))["items"]
    assert [k["id"] for k in listed] == [made["id"]] and "key" not in listed[0] and key not in str(listed)

    me = ok(with_key(stack, key, "GET", "/me"))
    assert (me["roles"], me["department_code"], me["id"]) == (["department"], department, made["id"])

    created = ok(stack.call("POST", f"{API}/tickets", worker, {
        "category": "UM05", "description": "主干道自来水管爆裂，路面积水", "grid_code": grid}), 201)
    ticket = Ticket(stack, created)
    for step, note in (("accept", None), ("handle", None), ("escalate", "网格无法处置"), ("escalate", "社区上报街道")):
        ticket.act(worker if step != "escalate" or note == "网格无法处置" else
                   stack.new_account(admin, ["community_officer"], grid[:12]), step, **({"note": note} if note else {}))
    ticket.act(leader, "whistle", departments=[department], lead_department=department, note="街道吹哨，水务报到")

    seen = ok(with_key(stack, key, "GET", "/tickets"))["items"]
    assert [t["id"] for t in seen] == [ticket.id]                # what is dispatched to it, nothing else
    signed = ok(with_key(stack, key, "POST", f"/tickets/{ticket.id}/actions",
                         {"action": "sign", "version": ticket.version}, scheme="authorization"))
    ticket.version = signed["ticket"]["version"]
    reported = ok(with_key(stack, key, "POST", f"/tickets/{ticket.id}/actions",
                           {"action": "report_back", "version": ticket.version, "note": "已关阀抢修，恢复供水"}))
    assert reported["ticket"]["status"] == "handling"
    history = ticket.history(admin)
    assert [h["actor_username"] for h in history[-2:]] == [f"apikey:{made['prefix']}"] * 2
    assert ok(stack.call("GET", f"{API}/api-keys?department_code={department}", admin))["items"][0]["last_used_at"]

    forbidden = with_key(stack, key, "GET", "/accounts")
    assert (forbidden.status_code, forbidden.json()["error"]) == (403, "ROLE_FORBIDDEN")
    assert with_key(stack, key, "POST", "/auth/logout").json()["error"] == "API_KEY_CALLER"

    rotated = ok(stack.call("POST", f"{API}/api-keys/{made['id']}/rotate", admin), 201)
    for old in (with_key(stack, key, "GET", "/tickets"), with_key(stack, key[:-1] + "x", "GET", "/tickets")):
        assert (old.status_code, old.json()["error"]) == (401, "INVALID_API_KEY")
    assert ok(with_key(stack, rotated["key"], "GET", "/tickets"))["items"][0]["id"] == ticket.id
    again = stack.call("POST", f"{API}/api-keys/{made['id']}/rotate", admin)
    assert (again.status_code, again.json()["error"]) == (409, "API_KEY_REVOKED")
    revoked = ok(stack.call("POST", f"{API}/api-keys/{rotated['id']}/revoke", admin))
    assert revoked["revoked_at"] and "key" not in revoked
    assert with_key(stack, rotated["key"], "GET", "/tickets").status_code == 401


def test_bad_keys_are_refused(stack):
    admin = stack.login()
    unknown = stack.call("POST", f"{API}/api-keys", admin, {"department_code": f"nobody_{uuid.uuid4().hex[:6]}",
                                                            "name": "无此部门"})
    assert unknown.status_code == 400 and unknown.json()["details"]["field"] == "department_code"
    for bad in ("", "ggk_", "not-a-key", "ggk_abcdefghjk_" + "A" * 43, "x" * 5000):
        answer = with_key(stack, bad, "GET", "/tickets")
        assert answer.status_code in (400, 401, 431), (bad[:20], answer.text)
    assert stack.call("POST", f"{API}/api-keys/{uuid.uuid4()}/revoke", admin).status_code == 404
