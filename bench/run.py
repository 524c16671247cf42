"""The platform's request slice against bare nameko RPC, measured in one run.

Figures, one JSON line each on stdout (progress goes to stderr):

- ``rpc_echo``: ``ClusterRpcProxy`` -> ``echo.echo(value)`` (bench/echo_service.py),
  a bare nameko ``@rpc``: what the framework and broker allow on this machine.
- ``gateway_ticket_read``: ``GET /api/v1/tickets/<id>``: HTTP -> gateway ``@http``
  (token check) -> tickets ``@rpc`` -> one primary-key read.
- ``gateway_ticket_create``: ``POST /api/v1/tickets``: the same path, plus tickets ->
  grid RPC (does the grid exist?) and one transaction writing the ticket, its day
  counter and an outbox row.
- ``ratio``: gateway_ticket_read / rpc_echo.

Each figure: BENCH_CONCURRENCY client threads (default 16), each with its own
``ClusterRpcProxy`` or ``requests.Session``, make a few warm-up calls, then call back
to back for BENCH_SECONDS (default 10). Throughput is successful calls over the
elapsed time; p50/p99 are per-call latencies as the client sees them.
``cpu_ms_per_call``: the CPU the whole machine spent per call (user + system, from
/proc), and ``cpu_ms_per_call_by_part`` split into the components, RabbitMQ,
PostgreSQL, the client and "other": steadier than throughput on a noisy machine.

Set-up, all removed again on the way out: a fresh RabbitMQ vhost (management API,
else ``rabbitmqctl``, else the default vhost ``/``); SQLite files in a temporary
DATA_DIR or, with BENCH_PG_URL (a PostgreSQL server on 127.0.0.1), temporary databases
``gridgov_bench_<run>_<service>``; HTTP ports from BENCH_PORT_BASE (18100) so a running
``make run`` is not disturbed. The demo grids are loaded with ``python -m grid.demo``;
the five components and the echo service run as their own ``nameko run`` processes;
the client signs in as the bootstrap admin and reports one ticket to read.
"""
import json
from dataclasses import dataclass
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from urllib.parse import quote

import requests

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # raised by importing nameko
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from sqlalchemy import create_engine, make_url, text

from devtools import vhosts
from common.config import DEFAULT_PORTS, SERVICES_WITH_DATABASE
from common.launcher import COMPONENTS, ROOT, Component, ServiceProcess

HOST = "127.0.0.1"
AMQP_BASE = f"amqp://guest:guest@{HOST}:5672/"
MANAGEMENT_URL = f"http://guest:guest@{HOST}:15672"

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
PORT_BASE = int(os.environ.get("BENCH_PORT_BASE", "18100"))
PG_URL = os.environ.get("BENCH_PG_URL")

WARMUP_CALLS = 3
MAX_CALLS_PER_THREAD = 1_000_000  # a bound besides the deadline
CALL_TIMEOUT = 10
START_TIMEOUT = 90
ADMIN_PASSWORD = f"Bench{secrets.token_hex(8)}x9"  # letters and digits, as the password rule asks
TICKET = {"grid_code": "320508019044001", "category": "SF01", "description": "楼道堆放杂物，影响消防通道 (bench)"}


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def emit(**figure):
    """One figure as a JSON line on stdout (Chinese as itself)."""
    print(json.dumps(figure, ensure_ascii=False), flush=True)


# --- isolation: vhost, databases, ports, environment -------------------------

@contextmanager
def broker_vhost():
    """The AMQP URI of a fresh vhost, deleted on exit (the default vhost if none can be made)."""
    name = f"gridgov-bench-{secrets.token_hex(4)}"
    if not vhosts.create_vhost(name, MANAGEMENT_URL):
        log("could not create a vhost; using the default vhost /")
        yield AMQP_BASE
        return
    try:
        yield AMQP_BASE + quote(name, safe="")
    finally:
        if not vhosts.delete_vhost(name, MANAGEMENT_URL):
            log(f"could not delete vhost {name}; remove it by hand")


@contextmanager
def postgres_databases(server_url):
    """{service: URL} of empty databases ``gridgov_bench_<run>_<service>``, dropped on
    exit. Each run names its own: two benchmarks on one server (another port base)
    must not drop each other's databases."""
    run = secrets.token_hex(3)
    names = {service: f"gridgov_bench_{run}_{service}" for service in SERVICES_WITH_DATABASE}
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")

    def execute(*statements):
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))

    try:
        for name in names.values():
            execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        server = make_url(server_url)
        yield {service: server.set(database=name).render_as_string(hide_password=False)
               for service, name in names.items()}
    finally:
        execute(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names.values()))
        engine.dispose()


def require_free(ports):
    for port in ports:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the services bind
            try:
                sock.bind((HOST, port))
            except OSError:
                sys.exit(f"bench: port {port} is in use; choose others with BENCH_PORT_BASE")


def child_env(amqp_uri, data_dir, db_urls):
    """The caller's environment with this run's broker, data, ports and credentials;
    database URLs from the caller are dropped so SQLite means SQLite."""
    env = {key: value for key, value in os.environ.items() if not (key == "DB_URL" or key.endswith("_DB_URL"))}
    env.update(
        PYTHONWARNINGS="ignore", APP_ENV="development", BIND_HOST=HOST,
        AMQP_URI=amqp_uri, DATA_DIR=str(data_dir),
        ADMIN_USERNAME="admin", ADMIN_PASSWORD=ADMIN_PASSWORD, JWT_SECRET=secrets.token_hex(32),
        # one client measures the platform's capacity here, which the door's limits would cap
        RATE_LIMIT_PER_MINUTE="0", RATE_LIMIT_ADDRESS_PER_MINUTE="0",
        **{f"{name.upper()}_PORT": str(PORT_BASE + i) for i, name in enumerate(DEFAULT_PORTS)},
        **{f"{service.upper()}_DB_URL": url for service, url in db_urls.items()},
    )
    return env


# --- processes -----------------------------------------------------------------

class EchoProcess(ServiceProcess):
    """bench/echo_service.py under ``nameko run``; it has no HTTP, so it is healthy
    once it answers an RPC."""

    def __init__(self, env, log_path):
        super().__init__(Component("echo", "bench.echo_service:EchoService"), env, log_path)

    def start(self):
        with open(self.log_path, "ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "nameko", "run", "--config", str(Path(__file__).with_name("echo.yaml")),
                 self.component.service],
                env=self.env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def healthy(self):
        try:
            with ClusterRpcProxy({"AMQP_URI": self.env["AMQP_URI"]}, timeout=2) as rpc:
                return rpc.echo.echo("ping") == "ping"
        except Exception:  # not there yet: UnknownService, RpcTimeout, connection refused
            return False


@contextmanager
def platform(env, log_dir):
    """The five components and the echo service, healthy; all stopped on exit."""
    processes = {c.name: ServiceProcess(c, env, log_dir / f"{c.name}.log") for c in COMPONENTS}
    processes["echo"] = EchoProcess(env, log_dir / "echo.log")
    try:
        for process in processes.values():
            process.start()
        for process in processes.values():
            process.wait_healthy(START_TIMEOUT)
        yield processes["gateway"].url
    except Exception:  # show why; an interrupt needs no log dump
        for process in processes.values():
            tail = process.log_path.read_text(errors="replace").splitlines()[-15:] if process.log_path.exists() else []
            log(f"--- last lines of {process.component.name}.log ---\n" + "\n".join(tail))
        raise
    finally:
        for process in reversed(list(processes.values())):
            process.stop()


# --- measurement -----------------------------------------------------------------

@contextmanager
def rpc_echo(amqp_uri):
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=CALL_TIMEOUT) as rpc:
        yield lambda: rpc.echo.echo("ping")


@contextmanager
def http_call(method, url, token, expect, body=None):
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"

        def call():
            response = session.request(method, url, json=body, timeout=CALL_TIMEOUT)
            if response.status_code != expect:
                raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:200]}")

        yield call


def run_client(name, client, barrier):
    """One client thread: open, warm up, wait for the others, then call until the
    deadline. Returns (start, end, latencies in seconds, errors)."""
    latencies, errors = [], 0
    try:
        with client() as call:
            for _ in range(WARMUP_CALLS):
                call()
            barrier.wait(timeout=60)
            start = time.monotonic()
            deadline = start + SECONDS
            for _ in range(MAX_CALLS_PER_THREAD):
                began = time.monotonic()
                if began >= deadline:
                    break
                try:
                    call()
                except Exception as exc:  # counted, not fatal: the figure says how many
                    errors += 1
                    if errors == 1:
                        log(f"{name}: {exc!r}")
                    continue
                latencies.append(time.monotonic() - began)
            end = time.monotonic()
    except BaseException:
        barrier.abort()  # release the other threads instead of letting them wait
        raise
    return start, end, latencies, errors


def percentile_ms(ordered, p):
    return round(1000 * ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))], 2)


def _process_label(pid, own_pid, ours=None):
    """Which part of the run a process is: a component (``nameko run`` of
    ``<package>.service``), the echo service, RabbitMQ, PostgreSQL, this client.
    With ``ours`` (pids), a ``nameko run`` not among them (another run's) is "other"."""
    if pid == own_pid:
        return "client"
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None
    if b"nameko" in argv and len(argv) > 1 and (ours is None or pid in ours):
        module = argv[-2] if argv[-1] == b"" else argv[-1]
        package = module.decode(errors="replace").split(":")[0].split(".")
        return "echo" if package[-1] == "echo_service" else package[0]
    if comm.startswith("beam") or comm in ("epmd", "erl_child_setup"):
        return "rabbitmq"
    if comm.startswith("postgres") or comm.startswith("postmaster"):
        return "postgresql"
    return "other"


def cpu_seconds_by_part(ours=None):
    """{part: CPU seconds (user + system) its processes have used so far}, machine-wide
    from /proc ({} where there is no /proc). ``ours``: the pids of this run's components,
    when other runs' components may be on the machine too (counted as "other")."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    parts, own_pid = {}, os.getpid()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        label = _process_label(int(entry.name), own_pid, ours)
        if label is not None:
            parts[label] = parts.get(label, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return parts


def cpu_ms_per_call(before, after, calls):
    """Milliseconds of CPU per call, per part and in all, from two snapshots."""
    spent = {part: after[part] - before.get(part, 0.0) for part in after}
    per_call = {part: round(1000 * seconds / calls, 2) for part, seconds in sorted(spent.items())
                if seconds > 0}
    return per_call, round(sum(per_call.values()), 2)


def measure(name, client, unit, **labels):
    log(f"{name}: {CONCURRENCY} threads for {SECONDS:g} s ...")
    barrier = threading.Barrier(CONCURRENCY)
    cpu_before = cpu_seconds_by_part()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        futures = [pool.submit(run_client, name, client, barrier) for _ in range(CONCURRENCY)]
        runs = [future.result() for future in futures]
    cpu_after = cpu_seconds_by_part()
    latencies = sorted(latency for run in runs for latency in run[2])
    if not latencies:
        raise RuntimeError(f"{name}: no call succeeded")
    elapsed = max(run[1] for run in runs) - min(run[0] for run in runs)
    # Warm-up calls ran inside the CPU window too.
    by_part, total = cpu_ms_per_call(cpu_before, cpu_after, len(latencies) + CONCURRENCY * WARMUP_CALLS)
    figure = {
        "benchmark": name, unit: round(len(latencies) / elapsed, 1),
        "p50_ms": percentile_ms(latencies, 50), "p99_ms": percentile_ms(latencies, 99),
        "calls": len(latencies), "errors": sum(run[3] for run in runs),
        "concurrency": CONCURRENCY, "seconds": SECONDS,
        "cpu_ms_per_call": total, "cpu_ms_per_call_by_part": by_part, **labels,
    }
    print(json.dumps(figure), flush=True)
    return figure


def sign_in_and_report(gateway):
    """An admin token and the id of one new ticket."""
    response = requests.post(f"{gateway}/api/v1/auth/login", timeout=CALL_TIMEOUT,
                             json={"username": "admin", "password": ADMIN_PASSWORD})
    response.raise_for_status()
    token = response.json()["access_token"]
    response = requests.post(f"{gateway}/api/v1/tickets", json=TICKET, timeout=CALL_TIMEOUT,
                             headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    return token, response.json()["id"]


@dataclass
class BenchEnvironment:
    amqp_uri: str
    work_dir: Path
    db_urls: dict
    env: dict
    database: str


def bench_environment(stack, name):
    """What every benchmark runs in, removed again when ``stack`` closes: a fresh
    vhost, a temporary folder, SQLite or temporary PostgreSQL databases, the child
    environment, and the demo grids loaded."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on kill as on Ctrl-C
    if PG_URL and make_url(PG_URL).host not in (HOST, "localhost"):
        sys.exit("bench: BENCH_PG_URL must name a server on 127.0.0.1")
    require_free(PORT_BASE + i for i in range(len(DEFAULT_PORTS)))
    amqp_uri = stack.enter_context(broker_vhost())
    work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"gridgov-bench-{name}-")))
    db_urls = stack.enter_context(postgres_databases(PG_URL)) if PG_URL else {}
    env = child_env(amqp_uri, work_dir, db_urls)
    database = "postgresql" if PG_URL else "sqlite"
    log(f"loading demo grids ({database}) ...")
    subprocess.run([sys.executable, "-m", "grid.demo"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=START_TIMEOUT)
    return BenchEnvironment(amqp_uri, work_dir, db_urls, env, database)


def main():
    with ExitStack() as stack:
        bench = bench_environment(stack, "slice")
        amqp_uri, work_dir, env, database = bench.amqp_uri, bench.work_dir, bench.env, bench.database
        log("starting the five components and the echo service ...")
        gateway = stack.enter_context(platform(env, work_dir))
        token, ticket_id = sign_in_and_report(gateway)

        echo = measure("rpc_echo", partial(rpc_echo, amqp_uri), "calls_per_second")
        read = measure("gateway_ticket_read",
                       partial(http_call, "GET", f"{gateway}/api/v1/tickets/{ticket_id}", token, 200),
                       "requests_per_second", database=database)
        measure("gateway_ticket_create",
                partial(http_call, "POST", f"{gateway}/api/v1/tickets", token, 201, TICKET),
                "requests_per_second", database=database)
        ratio = read["requests_per_second"] / echo["calls_per_second"]
        print(json.dumps({"benchmark": "ratio", "name": "gateway_ticket_read / rpc_echo",
                          "value": round(ratio, 3), "database": database}), flush=True)
        log("stopping ...")


if __name__ == "__main__":
    main()
