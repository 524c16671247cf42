"""``make cluster-test``: the platform on a 3-node RabbitMQ cluster with quorum queues,
under the chaos load (devtools.load) while one node is stopped and started again;
nothing lost.

1. The cluster (devtools.rabbit_cluster) and fresh PostgreSQL databases
   ``gridgov_cluster_<service>``; every component with ``AMQP_QUEUE_TYPE=quorum`` and
   ``AMQP_URI`` listing the three nodes (kombu's failover).
2. ``LoadDriver`` with the default mix (keyed intake, actions, reads, statistics, as
   ``make load``) at ``CLUSTER_TEST_RATE`` a second for ``CLUSTER_TEST_SECONDS``
   through the gateway; keyed requests are retried with the same key on a 503 or a
   connection error until acknowledged or ``RETRY_SECONDS`` pass. A third of the way
   in, node ``CLUSTER_TEST_STOP`` (default gg1, the first every component connects to)
   stops; two thirds in, it starts again.
3. Then: every acknowledged intake is stored exactly once and nothing else is
   (``devtools.load.audit_intakes`` over tickets' database), scoring counts as many
   (its events all arrived), no outbox row is pending, every component is healthy.
   The driver's report and the node's times are printed; exit 1 if a check fails.
"""
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from common.launcher import start_all, stop_all
from devtools.load import API, DEFAULT_MIX, LoadDriver, audit_intakes, format_report
from devtools.rabbit_cluster import Cluster

ADMIN_PASSWORD = "ClusterAdmin2026"
RETRY_SECONDS = 90
SERVICES = ("grid", "people", "tickets", "scoring")
COUNTY, X, Y = "320733", 133.90, 43.90  # a district of its own (its databases are its own too)


def setting(name, default):
    return type(default)(os.environ.get(name, default))


def pg_server():
    return os.environ.get("CLUSTER_PG_URL") or os.environ.get("TEST_PG_URL") or \
        "postgresql://postgres@127.0.0.1:5432/postgres"


def fresh_databases():
    admin = create_engine(pg_server(), isolation_level="AUTOCOMMIT")
    urls = {}
    with admin.connect() as connection:
        for service in SERVICES:
            name = f"gridgov_cluster_{service}"
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            urls[service] = admin.url.set(database=name).render_as_string(hide_password=False)
    admin.dispose()
    return urls


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def platform_env(amqp_uri, db_urls, data_dir):
    env = {key: value for key, value in os.environ.items() if not key.endswith("_DB_URL")}
    env.update({
        "AMQP_URI": amqp_uri, "AMQP_QUEUE_TYPE": "quorum", "DATA_DIR": str(data_dir), "APP_ENV": "development",
        "ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "JWT_SECRET": "cluster-test-secret-0123456789abcdef0123",
        "RATE_LIMIT_PER_MINUTE": "1000000", "RATE_LIMIT_ADDRESS_PER_MINUTE": "1000000",
        "PYTHONWARNINGS": "ignore", "LOG_LEVEL": "INFO",
    })
    for name in ("gateway", *SERVICES):
        env[f"{name.upper()}_PORT"] = str(free_port())
    for service, url in db_urls.items():
        env[f"{service.upper()}_DB_URL"] = url
    return env


def run_load(driver, cluster, stop_name):
    """The driver's run with node ``stop_name`` stopped a third of the way in and started
    again at two thirds; returns (report, times): monotonic stop/stopped/start/started."""
    node = cluster.by_name[stop_name]
    result, times = {}, {}
    load = threading.Thread(target=lambda: result.update(report=driver.run()), daemon=True, name="cluster-load")
    load.start()
    while driver.started is None:  # set once the driver's workers are up
        time.sleep(0.01)
    for share, change, asked, done, label in ((1 / 3, node.stop, "stop", "stopped", "stopping"),
                                              (2 / 3, node.start, "start", "started", "starting")):
        time.sleep(max(0.0, driver.started + share * driver.seconds - time.monotonic()))
        times[asked] = time.monotonic()
        print(f"  {times[asked] - driver.started:5.1f}s: {label} {node.node}", flush=True)
        change()  # an orderly stop or a start takes seconds; the load goes on meanwhile
        times[done] = time.monotonic()
    load.join()
    return result.get("report") or driver.report(), times


def acknowledgements(driver):
    """When each intake or action was acknowledged (monotonic), in order."""
    return sorted(a.at + a.seconds for a in driver.attempts()
                  if a.kind in ("intake", "intake_keyless", "action") and a.outcome == "ok")


def first_after(moments, moment):
    return next((m for m in moments if m > moment), None)


def longest_gap(moments, since, until):
    """The longest time without an acknowledgement between ``since`` and ``until``."""
    inside = [since, *(m for m in moments if since < m < until), until]
    return max(b - a for a, b in zip(inside, inside[1:]))


def wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return predicate()


def rows(url, sql, **params):
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).all()
    finally:
        engine.dispose()


def main():
    rate = setting("CLUSTER_TEST_RATE", 5.0)
    seconds = setting("CLUSTER_TEST_SECONDS", 60.0)
    stop_name = setting("CLUSTER_TEST_STOP", "gg1")
    keep = os.environ.get("CLUSTER_TEST_KEEP") == "1"
    cluster = Cluster()
    work = Path(tempfile.mkdtemp(prefix="gridgov-cluster-test-"))
    (work / "logs").mkdir()
    t0 = time.monotonic()
    print("cluster: starting 3 RabbitMQ nodes ...", flush=True)
    cluster.up()
    print(f"cluster: {', '.join(cluster.members())} running ({time.monotonic() - t0:.0f}s)", flush=True)
    db_urls = fresh_databases()
    env = platform_env(cluster.amqp_uri, db_urls, work / "data")
    processes = {}
    failures = []
    try:
        processes = start_all(env, work / "logs", timeout=180)
        driver = LoadDriver(processes["gateway"].url, rate, seconds, DEFAULT_MIX, threads=max(16, int(rate * 4)),
                            retry_seconds=RETRY_SECONDS, request_timeout=15)
        grid = driver.setup("admin", ADMIN_PASSWORD, COUNTY, X, Y)
        mix = ",".join(f"{kind}={weight}" for kind, weight in DEFAULT_MIX.items() if weight)
        print(f"platform up, quorum queues, AMQP_URI of 3 nodes; the load mix {mix} at "
              f"{rate:g}/s for {seconds:g}s, {stop_name} stopped from {seconds / 3:.0f}s to {2 * seconds / 3:.0f}s",
              flush=True)
        report, times = run_load(driver, cluster, stop_name)
        if report["workers_unfinished"]:
            failures.append(f"{report['workers_unfinished']} load workers still busy after their retry bound")

        audit = audit_intakes(driver.intakes(), [row[0] for row in rows(
            db_urls["tickets"], "SELECT description FROM tickets WHERE grid_code = :grid", grid=grid)])
        failures.extend(audit.failures)

        def scoring_count():
            answer = requests.get(f"{driver.gateway}{API}/scoring/tickets-reported?root={grid}", timeout=15,
                                  headers={"Authorization": f"Bearer {driver.tokens['leader']}"})
            return answer.status_code == 200 and answer.json()["tickets_reported"] == audit.stored
        if not wait_for(scoring_count, 60):
            failures.append("scoring's count differs from tickets' after 60 s")

        def outbox_empty():
            return all(rows(db_urls[s], "SELECT count(*) FROM outbox_events WHERE published_at IS NULL")[0][0] == 0
                       for s in SERVICES)
        if not wait_for(outbox_empty, 30):
            failures.append("outbox rows still pending after 30 s")
        unhealthy = [name for name, process in processes.items() if not process.healthy()]
        if unhealthy:
            failures.append(f"unhealthy after the run: {', '.join(unhealthy)}")

        def at(moment):
            return f"{moment - driver.started:.1f}s"
        acked = acknowledgements(driver)
        after_asked, after_gone = first_after(acked, times["stop"]), first_after(acked, times["stopped"])
        print("\n--- cluster test ---")
        print(format_report(report))
        print(f"stored in tickets     {audit.stored}; acknowledged and not stored {len(audit.lost)}, "
              f"stored twice {len(audit.doubled)}, stored unsent {len(audit.unknown)}")
        print(f"node {stop_name}              stop asked at {at(times['stop'])}, gone at {at(times['stopped'])} "
              f"(took {times['stopped'] - times['stop']:.1f}s); start asked at {at(times['start'])}, back at "
              f"{at(times['started'])} (took {times['started'] - times['start']:.1f}s)")
        print("first ack after stop  " + ("none" if after_gone is None else
                                          f"{after_asked - times['stop']:.2f}s after the stop was asked, "
                                          f"{after_gone - times['stopped']:.2f}s after the node was gone"))
        print(f"longest without ack   {longest_gap(acked, times['stop'], times['started']):.2f}s while {stop_name} "
              f"stopped, was down and started (intakes and actions)")
        print(f"wall time             {time.monotonic() - t0:.0f}s")
        print("result               ", "FAILED: " + "; ".join(failures) if failures else "nothing lost, nothing twice")
    except Exception as exc:  # noqa: BLE001 (reported, then everything is torn down)
        failures.append(f"{type(exc).__name__}: {exc}")
        print(f"cluster test failed: {exc}; logs in {work / 'logs'}", file=sys.stderr)
    finally:
        stop_all(processes)
        if not keep:
            cluster.down()
            admin = create_engine(pg_server(), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                for service in SERVICES:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "gridgov_cluster_{service}" WITH (FORCE)'))
            admin.dispose()
        else:
            print(f"kept: the cluster ({cluster.nodes[0].home}) and the gridgov_cluster_* databases")
    print(f"component logs: {work / 'logs'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
