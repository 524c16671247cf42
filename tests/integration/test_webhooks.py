"""Webhooks (issue 20) through the whole stack, against a receiver this test starts on
loopback: a department's system subscribes with its API key; a dispatch to the
department is delivered, signed so the receiver can verify it (checked here with plain
hmac, as the README shows a receiver doing); a receiver that fails is retried with
backoff and, past the last attempt, dead-lettered with its log, then replayed once it is
fixed; a department clock that runs out and a reopened ticket are delivered too. A URL
that is not http(s) or points at the platform itself is refused, and nothing personal
goes out."""
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from ticket_client import Ticket
from answers import ok

API = "/api/v1"
COUNTY, X, Y = "320625", 128.40, 38.40       # a county and a spot no other test uses
DESCRIPTION = "居民王某（电话13912345678）反映供水管道漏水"


class Receiver:
    """An HTTP receiver on loopback: what each path answers (a list of statuses, the last
    repeated), and every request it got."""

    def __init__(self):
        self.answers, self.got = {}, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append((self.path, dict(self.headers), raw))
                statuses = receiver.answers.get(self.path, [200])
                status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def to(self, path):
        return [(headers, raw) for got_path, headers, raw in self.got if got_path == path]


@pytest.fixture
def receiver():
    listening = Receiver()
    yield listening
    listening.server.shutdown()


def verified(secret, headers, raw, tolerance=300):
    """What a receiver does: recompute the signature over "<t>.<body>" and compare."""
    parts = dict(item.split("=", 1) for item in headers["X-Gridgov-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < tolerance



def dispatched(stack, admin, grid, department, description=DESCRIPTION):
    """A resident's report the grid, the community and the town pass up, dispatched to ``department``."""
    worker = stack.new_account(admin, ["grid_worker"], grid)
    resident = stack.new_account(admin, ["resident"])
    ticket = Ticket(stack, ok(stack.call("POST", f"{API}/tickets", resident, {
        "category": "UM05", "description": description, "grid_code": grid}), 201))
    ticket.act(worker, "accept")
    ticket.act(worker, "handle")
    ticket.act(worker, "escalate", note="网格无法处置")
    ticket.act(stack.new_account(admin, ["community_officer"], grid[:12]), "escalate", note="上报街道")
    ticket.act(stack.new_account(admin, ["town_leader"], grid[:9]), "whistle", departments=[department],
               lead_department=department, note="街道吹哨")
    return ticket, resident


def test_deliveries_are_signed_retried_dead_lettered_and_replayed(stack, receiver):
    admin = stack.login()
    grid = stack.square_district(admin, COUNTY, "推送", X, Y)
    department = f"water_{uuid.uuid4().hex[:6]}"
    stack.register_department(admin, department, "区水务局")
    key = ok(stack.call("POST", f"{API}/api-keys", admin, {"department_code": department, "name": "水务系统"}),
             201)["key"]
    as_key = {"X-API-Key": key}

    for url in ("ftp://127.0.0.1/x", "http://user:pw@example.org/hook", f"{stack.gateway}/api/v1/healthz",
                "http://127.0.0.1:5432/", "not a url"):
        refused = stack.call("POST", f"{API}/webhooks", None, {"url": url, "events": ["ticket_dispatched"]},
                             headers=as_key)
        assert (refused.status_code, refused.json()["details"].get("field")) == (400, "url"), (url, refused.text)
    other = stack.call("POST", f"{API}/webhooks", None, {"url": f"{receiver.base}/x", "events": ["ticket_dispatched"],
                                                       "department_code": "someone_else"}, headers=as_key)
    assert other.status_code == 403

    events = ["ticket_dispatched", "sla_breached", "ticket_reopened"]
    good = ok(stack.call("POST", f"{API}/webhooks", None, {"url": f"{receiver.base}/good", "events": events},
                         headers=as_key), 201)
    flaky = ok(stack.call("POST", f"{API}/webhooks", admin, {"url": f"{receiver.base}/flaky", "events": events[:1],
                                                           "department_code": department}), 201)
    broken = ok(stack.call("POST", f"{API}/webhooks", None, {"url": f"{receiver.base}/broken",
                                                           "events": events[:1]}, headers=as_key), 201)
    assert good["department_code"] == department and good["secret"].startswith("whsec_")
    listed = ok(stack.call("GET", f"{API}/webhooks", None, headers=as_key))["items"]
    assert {w["id"] for w in listed} == {good["id"], flaky["id"], broken["id"]} and "secret" not in str(listed)
    receiver.answers = {"/flaky": [503, 200], "/broken": [500]}

    ticket, resident = dispatched(stack, admin, grid, department)
    headers, raw = stack.waited(lambda: receiver.to("/good"))[0]
    body = json.loads(raw)
    assert verified(good["secret"], headers, raw) and not verified(flaky["secret"], headers, raw)
    assert verified(good["secret"], headers, raw) and not verified(good["secret"], headers, raw + b" ")
    assert (body["event"], body["ticket"]["ticket_id"], body["lead_department"]) == (
        "ticket_dispatched", ticket.id, department)
    assert headers["X-Gridgov-Event"] == "ticket_dispatched" and headers["X-Gridgov-Delivery"] == body["delivery_id"]
    assert "漏水" not in raw.decode() and "13912345678" not in raw.decode()      # nothing of the report's words

    def log(subscription, status=None):
        query = f"?status={status}" if status else ""
        return ok(stack.call("GET", f"{API}/webhooks/{subscription['id']}/deliveries{query}", None,
                             headers=as_key))["items"]
    retried = stack.waited(lambda: [d for d in log(flaky, "delivered")])[0]
    assert retried["attempts"] == 2 and len(receiver.to("/flaky")) == 2
    dead = stack.waited(lambda: [d for d in log(broken, "dead")])[0]
    assert (dead["attempts"], dead["last_status_code"], dead["last_error"]) == (3, 500, "HTTP 500")
    assert len(receiver.to("/broken")) == 3                                  # WEBHOOK_MAX_ATTEMPTS in the stack

    receiver.answers["/broken"] = [200]                                      # the receiver is fixed
    replayed = ok(stack.call("POST", f"{API}/webhooks/deliveries/{dead['id']}/replay", None, headers=as_key))
    assert (replayed["status"], replayed["attempts"]) == ("pending", 0)
    assert stack.waited(lambda: log(broken, "delivered"))[0]["attempts"] == 1

    # a department clock runs out: the sign clock, moved into the past, and a scan
    stack.db_execute("tickets", "UPDATE ticket_dispatches SET sign_due = :due WHERE ticket_id = :t",
                     due=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5), t=ticket.id)
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        rpc.tickets.scan_sla_now()
    breach = json.loads(stack.waited(lambda: [r for h, r in receiver.to("/good") if b"sla_breached" in r])[0])
    assert breach["clock"].startswith(f"sign:{department}") and breach["ticket"]["number"] == ticket.number

    # the department reports back, the town verifies, the resident is unhappy and reopens
    for step, body in (("sign", {}), ("report_back", {"note": "已抢修"})):
        ticket.version = ok(stack.call("POST", f"{API}/tickets/{ticket.id}/actions", None,
                                       {"action": step, "version": ticket.version, **body},
                                       headers=as_key))["ticket"]["version"]
    town = stack.new_account(admin, ["town_leader"], grid[:9])
    ticket.act(town, "verify", outcome="fixed", note="街道核实")
    ticket.act(town, "feedback", note="电话回访")
    ticket.act(resident, "rate", satisfaction=1)
    ticket.act(resident, "reopen")
    reopened = json.loads(stack.waited(lambda: [r for h, r in receiver.to("/good") if b"ticket_reopened" in r])[0])
    assert reopened["departments"] == [department] and reopened["ticket"]["reopen_count"] == 1

    ok(stack.call("POST", f"{API}/webhooks/{good['id']}/deactivate", None, headers=as_key))
    assert [w["active"] for w in ok(stack.call("GET", f"{API}/webhooks", None, headers=as_key))["items"]
            if w["id"] == good["id"]] == [False]
