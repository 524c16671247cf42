"""SLA clocks: a breach is recorded and escalated exactly once, even with two
tickets replicas scanning at the same moment."""
import datetime as dt
import threading

from nameko.standalone.rpc import ClusterRpcProxy

from common.launcher import BY_NAME, ServiceProcess
from stack import free_port

API = "/api/v1"


def test_a_breach_escalates_once_with_two_replicas(stack):
    admin = stack.login()
    created = stack.call("POST", f"{API}/tickets", admin, {"category": "UM05", "grade": "urgent",
                                                          "grid_code": "320508014021001", "description": "路面塌陷"}).json()
    version = created["version"]
    for action in ("accept", "handle"):
        response = stack.call("POST", f"{API}/tickets/{created['id']}/actions", admin,
                              {"action": action, "version": version})
        assert response.status_code == 200, response.text
        version = response.json()["ticket"]["version"]
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    stack.db_execute("tickets", "UPDATE tickets SET resolve_due = :past WHERE id = :id", past=past, id=created["id"])

    env = dict(stack.env, TICKETS_PORT=str(free_port()))
    replica = ServiceProcess(BY_NAME["tickets"], env, stack.log_dir / "tickets-replica.log").start()
    try:
        replica.wait_healthy(90)
        results = []

        def scan():
            with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
                results.extend(rpc.tickets.scan_sla_now())

        threads = [threading.Thread(target=scan) for _ in range(8)]  # spread over both replicas
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        replica.stop()

    mine = [r for r in results if r["ticket_id"] == created["id"]]
    breaches = stack.db_rows("tickets", "SELECT clock, escalated_to FROM sla_breaches WHERE ticket_id = :id",
                             id=created["id"])
    ticket = stack.call("GET", f"{API}/tickets/{created['id']}", admin).json()
    escalations = [h for h in stack.call("GET", f"{API}/tickets/{created['id']}/history", admin).json()["items"]
                   if h["action"] == "escalate"]
    events = stack.db_rows("tickets", "SELECT event_type FROM outbox_events WHERE event_type = 'sla_breached' "
                           "AND CAST(payload AS TEXT) LIKE :id", id=f"%{created['id']}%")
    # the timer of either replica may have got there first; either way, exactly once
    assert len(mine) <= 1
    assert breaches == [{"clock": "resolve", "escalated_to": "community"}]
    assert ticket["level"] == "community"
    assert len(escalations) == 1 and escalations[0]["actor_username"] == "system"
    assert escalations[0]["data"] == {"sla_breach": "resolve"}
    assert len(events) == 1
    assert stack.call("GET", f"{API}/tickets/{created['id']}/verify", admin).json()["intact"] is True
