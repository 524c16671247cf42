"""``make cluster-test``: the platform on a 3-node RabbitMQ cluster with quorum queues,
under a steady intake load while one node is stopped and started again; nothing lost.

1. The cluster (devtools.rabbit_cluster) and fresh PostgreSQL databases
   ``gridgov_cluster_<service>``; every component with ``AMQP_QUEUE_TYPE=quorum`` and
   ``AMQP_URI`` listing the three nodes (kombu's failover).
2. Intake at ``CLUSTER_TEST_RATE`` a second for ``CLUSTER_TEST_SECONDS`` through the
   gateway, each with its own ``Idempotency-Key``, retried with the same key on a 503
   or a connection error until acknowledged (201) or ``RETRY_SECONDS`` pass. A third
   of the way in, node ``CLUSTER_TEST_STOP`` (default gg1, the first every component
   connects to) stops; two thirds in, it starts again.
3. Then: every acknowledged ticket is stored exactly once and nothing else is
   (tickets' database), scoring counts as many (its events all arrived), no outbox
   row is pending, every component is healthy. Figures are printed; exit 1 if a check
   fails.

A simple load of its own (intake only): the chaos helper's load driver
(devtools.load) can replace ``drive`` once it is on main.
"""
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from shapely.geometry import box, mapping
from sqlalchemy import create_engine, text

from common.launcher import start_all, stop_all
from devtools.rabbit_cluster import Cluster

API = "/api/v1"
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


class Client:
    def __init__(self, base):
        self.base = base
        self.token = None

    def call(self, method, path, body=None, headers=None, timeout=15):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return requests.request(method, f"{self.base}{path}", json=body, headers=headers, timeout=timeout)

    def login(self):
        answer = self.call("POST", f"{API}/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})
        answer.raise_for_status()
        self.token = answer.json()["access_token"]

    def district(self):
        """county > street > community > grid, one square; the grid's code."""
        whole = mapping(box(X, Y, X + 0.02, Y + 0.02))
        chain = [(COUNTY, "集群区"), (f"{COUNTY}001", "集群街道"), (f"{COUNTY}001001", "集群社区"),
                 (f"{COUNTY}001001001", "集群网格")]
        features = [{"type": "Feature", "geometry": whole, "properties": {
            "code": code, "name": label, "parent_code": code[:-3] if len(code) > 6 else None}}
            for code, label in chain]
        answer = self.call("POST", f"{API}/grids/import", {"type": "FeatureCollection", "features": features},
                           timeout=60)
        assert answer.status_code == 201, answer.text
        return chain[-1][0]


class Record:
    def __init__(self):
        self.lock = threading.Lock()
        self.attempts = Counter()  # outcome -> count
        self.acknowledged = {}  # idempotency key -> ticket id
        self.given_up = []
        self.latencies = []  # seconds from first attempt to acknowledgement
        self.acknowledged_at = []  # monotonic time of each acknowledgement

    def note(self, outcome):
        with self.lock:
            self.attempts[outcome] += 1


def intake(client, grid, n, record):
    key = f"cluster-{uuid.uuid4().hex}"
    started = time.monotonic()
    while time.monotonic() - started < RETRY_SECONDS:
        try:
            answer = client.call("POST", f"{API}/tickets", {
                "grid_code": grid, "category": "EP03", "description": f"集群测试 {n}：道路积水"},
                headers={"Idempotency-Key": key})
        except requests.RequestException as exc:
            record.note(f"connection_error {type(exc).__name__}")
            time.sleep(0.5)
            continue
        if answer.status_code == 201:
            record.note("201")
            with record.lock:
                record.acknowledged[key] = answer.json()["id"]
                record.latencies.append(time.monotonic() - started)
                record.acknowledged_at.append(time.monotonic())
            return
        code = answer.json().get("error", "") if answer.headers.get("Content-Type", "").startswith(
            "application/json") else ""
        record.note(f"{answer.status_code} {code}")
        if answer.status_code != 503:
            with record.lock:
                record.given_up.append((key, answer.status_code, code))
            return
        time.sleep(min(2.0, float(answer.headers.get("Retry-After", 1))))
    with record.lock:
        record.given_up.append((key, "timeout", ""))


def drive(client, grid, cluster, rate, seconds, stop_name):
    record = Record()
    node = cluster.by_name[stop_name]
    events, changes = {}, []
    with ThreadPoolExecutor(max(8, int(rate * 4))) as pool:
        began = time.monotonic()
        futures = []
        n = 0
        stopped = restarted = False
        while (elapsed := time.monotonic() - began) < seconds:
            if not stopped and elapsed >= seconds / 3:
                stopped = True
                events["stop_at"] = time.monotonic()
                changes.append(threading.Thread(target=lambda: (node.stop(), events.__setitem__(
                    "stopped", time.monotonic()))))
                changes[-1].start()
                print(f"  {elapsed:5.1f}s: stopping {node.node}", flush=True)
            if not restarted and elapsed >= 2 * seconds / 3:
                restarted = True
                print(f"  {elapsed:5.1f}s: starting {node.node} again", flush=True)
                events["start_at"] = time.monotonic()
                changes.append(threading.Thread(target=lambda: (node.start(), events.__setitem__(
                    "started", time.monotonic()))))
                changes[-1].start()
            futures.append(pool.submit(intake, client, grid, n, record))
            n += 1
            time.sleep(max(0.0, began + n / rate - time.monotonic()))
        for future in futures:
            future.result()
    for change in changes:  # the node back in the cluster before the checks
        change.join()
    record.sent, record.events, record.began = n, events, began
    return record


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


def percentile(values, share):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


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
        gateway = Client(processes["gateway"].url)
        gateway.login()
        grid = gateway.district()
        print(f"platform up, quorum queues, AMQP_URI of 3 nodes; load {rate:g}/s for {seconds:g}s, "
              f"{stop_name} stopped from {seconds / 3:.0f}s to {2 * seconds / 3:.0f}s", flush=True)
        record = drive(gateway, grid, cluster, rate, seconds, stop_name)

        tickets = db_urls["tickets"]
        stored = [row[0] for row in rows(tickets, "SELECT id FROM tickets WHERE grid_code = :grid", grid=grid)]
        acknowledged = set(record.acknowledged.values())
        if len(acknowledged) != len(record.acknowledged):
            failures.append("two idempotency keys acknowledged as one ticket")
        if Counter(stored).most_common(1) and Counter(stored).most_common(1)[0][1] > 1:
            failures.append("a ticket stored twice")
        if not acknowledged <= set(stored):
            failures.append(f"{len(acknowledged - set(stored))} acknowledged tickets not stored")
        unacknowledged = set(stored) - acknowledged
        if unacknowledged and not record.given_up:
            failures.append(f"{len(unacknowledged)} tickets stored that nobody acknowledged")

        def scoring_count():
            answer = gateway.call("GET", f"{API}/scoring/tickets-reported?root={grid}")
            return answer.status_code == 200 and answer.json()["tickets_reported"] == len(stored)
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

        events = record.events
        down = events.get("start_at", 0) - events.get("stop_at", 0)
        after_stop = [t for t in record.acknowledged_at if t > events.get("stopped", float("inf"))]
        print("\n--- cluster test ---")
        print(f"intakes sent          {record.sent}")
        print(f"acknowledged (201)    {len(record.acknowledged)}")
        print(f"given up              {len(record.given_up)}")
        print(f"stored in tickets     {len(stored)} (each once: {len(set(stored)) == len(stored)})")
        print("attempts by outcome   " + ", ".join(f"{k}: {v}" for k, v in sorted(record.attempts.items())))
        print(f"latency to ack (s)    p50 {percentile(record.latencies, 0.5):.2f}  p95 "
              f"{percentile(record.latencies, 0.95):.2f}  p99 {percentile(record.latencies, 0.99):.2f}  "
              f"max {max(record.latencies, default=float('nan')):.2f}")
        print(f"node {stop_name} down         {down:.1f}s (stop took "
              f"{events.get('stopped', 0) - events.get('stop_at', 0):.1f}s, start took "
              f"{events.get('started', 0) - events.get('start_at', 0):.1f}s)")
        if after_stop:
            print(f"first ack after stop  {after_stop[0] - events['stopped']:.2f}s after the node was gone")
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
