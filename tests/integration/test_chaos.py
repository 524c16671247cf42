"""Chaos with nothing lost (issue 21 §3): under a steady load of intake and actions with
idempotent retries (devtools.load), every service is SIGKILLed and restarted in turn,
RabbitMQ is stopped and started, and every database connection is terminated. Then:
every acknowledged ticket exists exactly once, every event was applied exactly once by
every consumer, scoring's counts equal tickets', no outbox row is pending, and every
component was healthy again within CHAOS_RECOVERY_SECONDS of each fault.

The stack has a broker of its own (devtools.rabbit_node: a private node on other ports),
so stopping it does not touch the machine's shared RabbitMQ. ``make chaos`` runs this
module longer: CHAOS_RATE (requests/s, 4 here), CHAOS_ROUNDS (1), CHAOS_DOWN_SECONDS
(how long a service or the broker stays down, 0.5), CHAOS_RECOVERY_SECONDS (the bound, 30).

The figures (requests sent, acknowledged, failed with 503 by code, each fault's
recovery time) are printed: run with ``-s`` to see them.
"""
import os
import threading
import time

import pytest
import requests
from sqlalchemy import create_engine, make_url, text

from common.contract import SUBSCRIPTIONS
from common.launcher import COMPONENTS
from devtools import rabbit_node
from devtools.load import LoadDriver, audit_intakes, format_report, intake_description

COUNTY, X, Y = "320797", 133.20, 43.20  # a county and a spot no other test uses
RATE = float(os.environ.get("CHAOS_RATE", "4"))
ROUNDS = int(os.environ.get("CHAOS_ROUNDS", "1"))
DOWN_SECONDS = float(os.environ.get("CHAOS_DOWN_SECONDS", "0.5"))
RECOVERY_SECONDS = float(os.environ.get("CHAOS_RECOVERY_SECONDS", "30"))
DRAIN_SECONDS = 60  # for the last events to reach every consumer after the load
MIX = {"intake": 45, "intake_keyless": 10, "action": 30, "read": 10, "statistics": 5}
DATABASES = ("grid", "people", "tickets", "scoring")


class Fault:
    def __init__(self, name):
        self.name, self.began = name, time.monotonic()
        self.lifted = self.recovered = None

    @property
    def recovery_seconds(self):
        """From lifting the fault (the service restarted, the broker accepting connections
        again, the connections gone) to every component healthy and the gateway
        answering a read."""
        return None if self.recovered is None else self.recovered - self.lifted

    @property
    def outage_seconds(self):
        return None if self.recovered is None else self.recovered - self.began


def all_healthy(stack, driver):
    if not all(process.healthy() for process in stack.processes.values()):
        return False
    try:
        return requests.get(f"{stack.gateway}/api/v1/tickets?root={driver.grid}&limit=1", timeout=2,
                            headers={"Authorization": f"Bearer {driver.tokens['worker']}"}).status_code == 200
    except requests.RequestException:
        return False


def await_recovery(stack, driver, fault):
    deadline = fault.lifted + RECOVERY_SECONDS * 1.5  # measured past the bound; the bound is asserted
    while time.monotonic() < deadline:
        if all_healthy(stack, driver):
            fault.recovered = time.monotonic()
            return
        time.sleep(0.25)


def kill_and_restart(stack, driver, name):
    fault = Fault(f"SIGKILL {name}")
    stack.kill(name)
    time.sleep(DOWN_SECONDS)
    fault.lifted = time.monotonic()
    stack.restart(name)
    await_recovery(stack, driver, fault)
    return fault


def stop_and_start_broker(stack, driver, node):
    fault = Fault("RabbitMQ stop/start")
    node.stop()
    time.sleep(DOWN_SECONDS)
    node.start()
    fault.lifted = time.monotonic()  # the broker accepts connections again
    await_recovery(stack, driver, fault)
    return fault


def terminate_connections(stack, driver, pg_server_url):
    names = [make_url(stack.env[f"{service.upper()}_DB_URL"]).database for service in DATABASES]
    fault = Fault("terminate every database connection")
    engine = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            fault.terminated = connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = ANY(:names) AND pid <> pg_backend_pid()"), {"names": names}).scalar()
    finally:
        engine.dispose()
    fault.lifted = time.monotonic()
    await_recovery(stack, driver, fault)
    return fault


def planned_faults(stack, driver, node, broker):
    """Each fault as a call that injects it, lifts it and waits for the recovery."""
    for _ in range(ROUNDS):
        for component in COMPONENTS:
            yield lambda name=component.name: kill_and_restart(stack, driver, name)
        yield lambda: stop_and_start_broker(stack, driver, node)
        if broker.postgres:
            yield lambda: terminate_connections(stack, driver, broker.pg_server_url)


@pytest.fixture(scope="module")
def chaos(broker, tmp_path_factory, platform_on):
    """The load and the faults, run once for the module's checks: (stack, driver,
    report, faults, broker outage windows)."""
    reason = rabbit_node.available()
    if reason:
        pytest.skip(f"no private RabbitMQ node for the broker fault: {reason}")
    began = time.monotonic()
    node = rabbit_node.RabbitNode.create(tmp_path_factory.mktemp("rabbit"))
    node.start()
    print(f"\nprivate RabbitMQ node {node.node} on port {node.amqp_port}: up in {time.monotonic() - began:.1f} s")
    try:
        with platform_on(broker, tmp_path_factory, reuse_environment_databases=False, amqp_uri=node.amqp_uri) as stack:
            driver = LoadDriver(stack.gateway, rate=RATE, seconds=24 * 3600, mix=MIX, threads=max(16, int(RATE * 4)),
                                retry_seconds=RECOVERY_SECONDS * 2, request_timeout=10, seed=21)
            driver.setup("admin", stack.env["ADMIN_PASSWORD"], COUNTY, X, Y)
            print(f"stack up at {time.monotonic() - began:.1f} s")
            stop, result = threading.Event(), {}
            load = threading.Thread(target=lambda: result.update(report=driver.run(stop)), daemon=True)
            load.start()
            faults, broker_windows = [], []
            try:
                time.sleep(1)  # a steady load before the first fault
                for fault in planned_faults(stack, driver, node, broker):
                    faults.append(fault())
                    if faults[-1].name.startswith("RabbitMQ"):
                        broker_windows.append((faults[-1].began, faults[-1].recovered or time.monotonic()))
                    if faults[-1].recovered is None:
                        break  # the stack did not recover: the next faults would only add waiting
            finally:
                stop.set()
                load.join(RECOVERY_SECONDS * 2 + 60)
            report = result.get("report") or driver.report()  # the figures so far, if the load hung
            print("\n" + format_report(report))
            if not broker.postgres:
                print("database fault skipped: SQLite has no server connections to terminate")
            for fault in faults:
                extra = f", {fault.terminated} connections terminated" if hasattr(fault, "terminated") else ""
                print(f"{fault.name}: recovered in "
                      f"{'never' if fault.recovered is None else f'{fault.recovery_seconds:.1f} s'} after it was "
                      f"lifted ({'-' if fault.recovered is None else f'{fault.outage_seconds:.1f}'} s since it "
                      f"began{extra})")
            assert "report" in result, "the load did not end within its retry bound after it was stopped"
            settled = stack.wait_for(lambda: not pending_outbox(stack) and not missing_claims(stack),
                                     timeout=DRAIN_SECONDS, interval=1)
            print(f"events settled: {bool(settled)}, at {time.monotonic() - began:.1f} s")
            yield stack, driver, report, faults, broker_windows
    finally:
        node.delete()


# --- what the databases hold ---------------------------------------------------------

def pending_outbox(stack):
    return {service: rows for service in DATABASES
            if (rows := stack.db_rows(service, "SELECT event_id, event_type, attempts, last_error FROM outbox_events "
                                               "WHERE published_at IS NULL"))}


def outbox_events(stack):
    return [dict(row, service=service) for service in DATABASES
            for row in stack.db_rows(service, "SELECT event_id, source, event_type FROM outbox_events")]


def claims(stack):
    """{(event_id, consumer): rows} over every service's processed_events."""
    found = {}
    for service in DATABASES:
        for row in stack.db_rows(service, "SELECT event_id, consumer FROM processed_events"):
            key = (row["event_id"], row["consumer"])
            found[key] = found.get(key, 0) + 1
    return found


def missing_claims(stack):
    """(event, consumer) pairs the bus contract expects and no consumer has recorded."""
    have = claims(stack)
    return [(event["event_id"], event["event_type"], consumer) for event in outbox_events(stack)
            for consumer in SUBSCRIPTIONS.get((event["source"], event["event_type"]), ())
            if (event["event_id"], consumer) not in have]


def stored_descriptions(stack, grid):
    return [row["description"] for row in stack.db_rows(
        "tickets", "SELECT description FROM tickets WHERE grid_code = :grid", grid=grid)]


# --- the checks ----------------------------------------------------------------------

def test_the_load_went_through_the_faults(chaos):
    stack, driver, report, faults, _ = chaos
    assert report["intakes_acknowledged"] >= 20, report
    assert len(faults) == ROUNDS * (len(COMPONENTS) + 1 + (1 if "postgresql" in stack.env["TICKETS_DB_URL"] else 0))
    assert report["requests_failed_503"] + report["requests_failed_other"] > 0, \
        "no request failed while services were down: the faults did not reach the load"


def test_every_acknowledged_ticket_exists_exactly_once(chaos):
    stack, driver, _, _, _ = chaos
    audit = audit_intakes(driver.intakes(), stored_descriptions(stack, driver.grid))
    # An intake the driver gave up on may have been stored (once); none was made up.
    assert not audit.failures, audit.failures


def test_every_event_was_applied_exactly_once_by_every_consumer(chaos):
    stack = chaos[0]
    events = {event["event_id"]: event for event in outbox_events(stack)}
    assert len(events) > 0
    missing = missing_claims(stack)
    assert not missing, f"{len(missing)} (event, consumer) pairs never applied, e.g. {missing[:5]}"
    have = claims(stack)
    expected = {(event_id, consumer) for event_id, event in events.items()
                for consumer in SUBSCRIPTIONS.get((event["source"], event["event_type"]), ())}
    unexpected = set(have) - expected  # a claim of an event no outbox holds, or by a consumer not subscribed
    assert not unexpected, list(unexpected)[:5]
    assert all(count == 1 for count in have.values())


def test_scoring_counts_equal_tickets(chaos):
    stack, driver, _, _, _ = chaos
    tickets = {row["id"]: row for row in stack.db_rows(
        "tickets", "SELECT id, status, version FROM tickets WHERE grid_code = :grid", grid=driver.grid)}
    reported = stack.db_rows("scoring", "SELECT ticket_id FROM reported_tickets WHERE grid_code = :grid",
                             grid=driver.grid)
    facts = {row["ticket_id"]: row for row in stack.db_rows(
        "scoring", "SELECT ticket_id, status, version FROM ticket_facts WHERE grid_code = :grid", grid=driver.grid)}
    assert len(reported) == len(tickets) == len({row["ticket_id"] for row in reported})
    assert {t: (r["status"], r["version"]) for t, r in facts.items()} == \
        {t: (r["status"], r["version"]) for t, r in tickets.items()}
    admin = stack.login()
    answer = stack.call("GET", f"/api/v1/scoring/tickets-reported?root={driver.grid}", admin)
    assert answer.status_code == 200 and answer.json()["tickets_reported"] == len(tickets), answer.text


def test_no_outbox_row_is_left_pending(chaos):
    assert pending_outbox(chaos[0]) == {}


def test_every_component_was_healthy_again_within_the_bound(chaos):
    _, _, _, faults, _ = chaos
    slow = {f.name: None if f.recovered is None else round(f.recovery_seconds, 1) for f in faults
            if f.recovered is None or f.recovery_seconds > RECOVERY_SECONDS}
    assert not slow, f"not healthy within {RECOVERY_SECONDS:g} s: {slow}"


def during(faults, moment):
    """Which fault was on at ``moment`` (from its start to its recovery)."""
    for fault in faults:
        if fault.began <= moment <= (fault.recovered or float("inf")):
            return f"during {fault.name}"
    return "between faults"


def test_a_keyless_intake_answered_503_was_not_stored(chaos):
    """A request without an Idempotency-Key that the gateway answered 503 (its deadline
    passed) must leave nothing behind: a callee must not commit after its caller's
    deadline (issue 21 §3, third weak spot). Outside the broker outage only: there a
    reply can be lost after a commit that kept the deadline."""
    stack, driver, _, faults, broker_windows = chaos
    stored = set(stored_descriptions(stack, driver.grid))
    late = [f"{i.marker} ({i.answers[0]}, sent {i.sent_at - driver.started:.1f} s into the load, "
            f"{during(faults, i.sent_at)})" for i in driver.intakes()
            if not i.key and i.outcomes == [503] and intake_description(i.marker) in stored
            and not any(began <= i.sent_at <= ended for began, ended in broker_windows)]
    keyless_503 = sum(1 for i in driver.intakes() if not i.key and i.outcomes == [503])
    print(f"keyless intakes answered 503: {keyless_503}; stored anyway outside the broker outage: {len(late)}")
    assert not late, f"answered 503, then stored (committed after the caller's deadline): {late}"
