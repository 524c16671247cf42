"""SLA clocks: a breach is recorded and escalated exactly once, even with two
tickets replicas scanning at the same moment; working-day deadlines on the holiday
schedule tickets reads at start."""
import datetime as dt
import threading

from nameko.standalone.rpc import ClusterRpcProxy

from common.launcher import BY_NAME, ServiceProcess
from common.shanghai import shanghai_date
from stack import free_port
from tickets.calendar import load_schedule

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


def test_tickets_warns_at_start_when_this_or_next_year_has_no_holiday_schedule(stack):
    """The shipped schedule is what a tickets process reads by default: it warns for exactly
    the years (this one, the next) that the file lacks."""
    known, today = load_schedule().years, shanghai_date()
    log = stack.log("tickets")
    for year in (today.year, today.year + 1):
        warned = f"WARNING tickets tickets.calendar [-]: The working-day calendar has no public-holiday " \
                 f"schedule for {year}" in log
        assert warned == (year not in known), (year, sorted(known))


def _holiday_ahead(path, today):
    """A holiday file for the days ahead of ``today``: days +2 to +8 off; every other day
    from today to +14 a working day (its weekend days made make-up days), so whatever the
    weekday today, 5 working days from today or tomorrow end 12 calendar days later."""
    ahead = [today + dt.timedelta(days=n) for n in range(15)]
    lines = [f"year {year}  测试通知 (test)" for year in sorted({day.year for day in ahead} | {today.year + 1})]
    lines.append(f"{ahead[2]}..{ahead[8]}  holiday  测试假期 / Test holiday")
    lines += [f"{day}  makeup  测试调休上班 / Test make-up working day"
              for n, day in enumerate(ahead) if not 2 <= n <= 8 and day.weekday() >= 5]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_ticket_reported_just_before_a_holiday_is_due_after_it(stack, tmp_path):
    today = shanghai_date()
    stack.restart("tickets", TICKET_HOLIDAY_FILE=_holiday_ahead(tmp_path / "holidays.txt", today))
    try:
        admin = stack.login()
        created = stack.call("POST", f"{API}/tickets", admin, {"category": "UM05", "grade": "daily",
                                                              "grid_code": "320508014021001", "description": "路面破损"})
        assert created.status_code == 201, created.text
        ticket = stack.call("GET", f"{API}/tickets/{created.json()['id']}", admin).json()
    finally:
        stack.restart("tickets")  # the shipped schedule again, for the tests after this one
    reported, due = (dt.datetime.fromisoformat(ticket[key]) for key in ("reported_at", "resolve_due"))
    assert shanghai_date(reported) in (today, today + dt.timedelta(days=1))
    # 5 working days (road damage, daily): the rest of the day reported, then whole days
    # up to the holiday, none in it, and the rest after it, at the same time of day (to the
    # millisecond: working time is summed in float seconds)
    assert abs(due - (reported + dt.timedelta(days=12))) < dt.timedelta(milliseconds=1), (reported, due)


def test_tickets_refuses_to_start_on_a_bad_holiday_file_naming_the_line(stack, tmp_path):
    bad = tmp_path / "holidays.txt"
    bad.write_text("year 2026  国办发明电〔2025〕7号\n"
                   "2026-10-01..2026-10-07  holiday  国庆节 / National Day\n"
                   "2026-10-07..2026-10-01  holiday  国庆节 / National Day\n", encoding="utf-8")
    log_path = tmp_path / "tickets-bad-calendar.log"
    env = dict(stack.env, TICKETS_PORT=str(free_port()), TICKET_HOLIDAY_FILE=str(bad))
    process = ServiceProcess(BY_NAME["tickets"], env, log_path).start()
    try:
        exit_code = process.process.wait(60)
    finally:
        process.kill()
    assert exit_code != 0 and not process.healthy()
    assert (f"ERROR tickets tickets.service [-]: Refusing to start on a wrong working-day calendar: "
            f"Holiday file {bad}, line 3: range 2026-10-07..2026-10-01 ends before it starts") in log_path.read_text()
