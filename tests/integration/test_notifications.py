"""Notifications in the app (issue 20) through the whole stack: the responsible worker
hears of a ticket given to them, of one about to run out of time and of its reopening, the community officers and the
town leaders of the level it is escalated to hear of it, and the town's leaders hear
when a department it summoned runs late. Nobody else's inbox gets them, and none holds
the report's words."""
import datetime as dt
import uuid

from nameko.standalone.rpc import ClusterRpcProxy

from idnumbers import fresh_id_number
from ticket_client import Ticket
from answers import ok

API = "/api/v1"
COUNTY, X, Y = "320626", 131.00, 41.00       # a county and a spot no other test uses
PASSWORD = "Tongzhi2026abc"


def notifications(stack, token):
    return [n for n in ok(stack.call("GET", f"{API}/inbox", token))["items"] if n["kind"] == "notification"]



def test_those_a_ticket_asks_something_of_find_it_in_their_inbox(stack):
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "通知到人", X, Y)
    person = ok(stack.call("POST", f"{API}/staff", admin, {"name": "通知网格员", "id_number": fresh_id_number()}),
                201)["id"]
    ok(stack.call("POST", f"{API}/staff/{person}/assignments", admin,
                  {"grid_code": grid, "role": "full_time_worker", "start_date": "2026-01-01"}), 201)
    username = f"tz{uuid.uuid4().hex[:8]}"
    ok(stack.call("POST", f"{API}/accounts", admin, {"username": username, "display_name": "通知网格员",
                                                    "password": PASSWORD, "roles": ["grid_worker"],
                                                    "grid_scope": grid, "person_id": person}), 201)
    worker = stack.login(username, PASSWORD)
    community = stack.new_account(admin, ["community_officer"], grid[:12])
    town = stack.new_account(admin, ["town_leader"], grid[:9])
    elsewhere = stack.new_account(admin, ["town_leader"], "320508019")
    resident = stack.new_account(admin, ["resident"])
    department = f"power_{uuid.uuid4().hex[:6]}"
    stack.register_department(admin, department, "供电公司")
    electrician = stack.new_account(admin, ["department"], department=department)

    def reported():
        made = ok(stack.call("POST", f"{API}/tickets", resident, {
            "category": "UM07", "description": "路灯不亮，居民李某夜间摔倒", "grid_code": grid}), 201)
        return made if made["responsible"] else None
    created = stack.waited(reported)   # once tickets has heard of the worker's post
    ticket = Ticket(stack, created)
    given = stack.waited(lambda: [n for n in notifications(stack, worker) if n["ticket_id"] == ticket.id])
    assert given[0]["title"] == f"新工单待处理：{ticket.number}" and "摔倒" not in str(given)

    # another report, most of whose time to resolve has gone: its worker is warned before the breach
    other = stack.waited(reported)
    now = dt.datetime.now(dt.timezone.utc)
    stack.db_execute("tickets", "UPDATE tickets SET reported_at = :reported, resolve_due = :due WHERE id = :t",
                     reported=now - dt.timedelta(hours=9), due=now + dt.timedelta(hours=1), t=other["id"])
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        rpc.tickets.scan_sla_now()
    warned = stack.waited(lambda: [n for n in notifications(stack, worker) if n["ticket_id"] == other["id"]
                               and n["title"].startswith("工单即将超时")])
    assert "办结时限将于" in warned[0]["body"]

    ticket.act(worker, "accept")
    ticket.act(worker, "handle")
    ticket.act(worker, "escalate", note="需社区协调")
    assert stack.waited(lambda: notifications(stack, community))[0]["title"] == f"工单上报至社区：{ticket.number}"
    ticket.act(community, "escalate", note="上报街道")
    assert "上报至街道" in stack.waited(lambda: notifications(stack, town))[0]["title"]
    ticket.act(town, "whistle", departments=[department], lead_department=department, note="街道吹哨")

    stack.db_execute("tickets", "UPDATE ticket_dispatches SET sign_due = :due WHERE ticket_id = :t",
                     due=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5), t=ticket.id)
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        rpc.tickets.scan_sla_now()
    late = stack.waited(lambda: [n for n in notifications(stack, town) if n["title"].startswith("部门超时")])
    assert department in late[0]["body"] and "签收" in late[0]["body"]

    for step, note in (("sign", None), ("report_back", "已修复路灯")):
        ticket.act(electrician, step, **({"note": note} if note else {}))
    ticket.act(town, "verify", outcome="fixed", note="核实")
    ticket.act(town, "feedback", note="回访")
    ticket.act(resident, "rate", satisfaction=2)
    ticket.act(resident, "reopen")
    assert stack.waited(lambda: [n for n in notifications(stack, worker) if n["title"].startswith("工单被重新打开")])

    assert notifications(stack, elsewhere) == [] and notifications(stack, resident) == []
    first = given[0]["id"]
    ok(stack.call("POST", f"{API}/inbox/{first}/read", worker))
    assert [n["read_at"] for n in notifications(stack, worker) if n["id"] == first][0]
