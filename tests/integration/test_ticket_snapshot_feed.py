"""The ticket snapshot on the real broker: the events a grid worker's report and accept
publish carry it (with her person id as reporter and actor), and
``tickets.ticket_snapshots`` over RPC gives back exactly what the last event carried,
which is what scoring's rebuild relies on."""
import socket
import uuid
from contextlib import contextmanager

import pytest
from kombu import Connection, Consumer, Queue
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcProxy

from common import textsig

API = "/api/v1"
GRID = "320508019045002"
SNAPSHOT_FIELDS = {
    "ticket_id", "number", "version", "grid_code", "source", "category", "reported_category", "grade", "status",
    "level", "outcome", "satisfaction", "reopen_count", "duplicate_of", "resolved_level", "reporter_person_id",
    "responsible_person_id", "responsible_grid_code", "resolved_by_person_id", "description_sig", "reported_at",
    "accepted_at", "resolved_at", "feedback_at", "rated_at", "closed_at", "resolve_due", "on_time"}


@contextmanager
def tickets_events(stack):
    """Every event tickets publishes from now on, as ``next_for(ticket_id, count)`` hands them."""
    with Connection(stack.env["AMQP_URI"]) as connection:
        queue = Queue(f"test-snapshot-{uuid.uuid4().hex[:8]}", exchange=get_event_exchange("tickets", {}),
                      routing_key="#", exclusive=True, auto_delete=True)
        received = []
        with Consumer(connection, queues=[queue], callbacks=[lambda body, message: (received.append(body),
                                                                                      message.ack())]):
            def next_for(ticket_id, count, seconds=15):
                for _ in range(int(seconds * 10)):
                    mine = [e for e in received if e["payload"].get("ticket_id") == ticket_id]
                    if len(mine) >= count:
                        return mine
                    try:
                        connection.drain_events(timeout=0.1)
                    except socket.timeout:
                        pass
                return [e for e in received if e["payload"].get("ticket_id") == ticket_id]
            yield next_for


def all_snapshots(rpc):
    items, after = [], None
    while True:
        page = rpc.tickets.ticket_snapshots(after=after, limit=500)
        items += page["items"]
        if page["next"] is None:
            return items
        after = page["next"]


def test_a_workers_report_carries_her_snapshot_and_the_pages_give_it_back(stack):
    admin = stack.login()
    person = stack.call("POST", f"{API}/staff", admin, {"name": "网格员小王", "birth_date": "1988-06-01"})
    assert person.status_code == 201, person.text
    person_id = person.json()["id"]
    worker = stack.new_account(admin, ["grid_worker"], GRID, person_id=person_id)
    with tickets_events(stack) as next_for:
        created = stack.call("POST", f"{API}/tickets", worker, {"grid_code": GRID, "category": "UM07",
                                                               "description": "路灯不亮，夜间出行不便"})
        assert created.status_code == 201, created.text
        ticket = created.json()
        accepted = stack.call("POST", f"{API}/tickets/{ticket['id']}/actions", worker,
                              {"action": "accept", "version": ticket["version"]})
        assert accepted.status_code == 200, accepted.text
        events = next_for(ticket["id"], 2)
    assert [e["event_type"] for e in events] == ["ticket_reported", "ticket_accepted"]
    reported, accept = (e["payload"] for e in events)
    for payload in (reported, accept):
        assert SNAPSHOT_FIELDS | {"action", "at", "actor_person_id", "trail_seq", "trail_head"} <= set(payload)
        assert payload["reporter_person_id"] == payload["actor_person_id"] == person_id
        assert (payload["category"], payload["reported_category"]) == ("UM07", "UM07")
        assert "description" not in payload and "reporter_name" not in payload
        assert payload["description_sig"] == textsig.signature("路灯不亮，夜间出行不便")  # its signature only
        assert payload["resolved_by_person_id"] is None
    assert (reported["action"], reported["version"], reported["status"]) == ("report", 1, "reported")
    assert (accept["action"], accept["version"], accept["status"], accept["level"]) == (
        "accept", accepted.json()["ticket"]["version"], "accepted", "grid")

    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        [mine] = [item for item in all_snapshots(rpc) if item["ticket_id"] == ticket["id"]]
        with pytest.raises(Exception) as refused:  # typed errors travel with their code and details
            rpc.tickets.ticket_snapshots(limit=5001)
    assert mine == {name: accept[name] for name in SNAPSHOT_FIELDS}, "the rebuild gets what the feed got"
    assert refused.value.code == "VALIDATION_FAILED" and set(refused.value.details["fields"]) == {"limit"}
