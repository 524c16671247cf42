"""Start the platform: each component as its own ``nameko run`` process.

Used by ``make run`` (with demo data, until Ctrl-C) and by the integration tests
(which start, stop and SIGKILL single components).
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import requests
from kombu import Connection

from common import config as cfg

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = ROOT / "deploy" / "config"


@dataclass(frozen=True)
class Component:
    name: str
    service: str  # module:Class for nameko run


# Start order: event consumers before producers, the gateway last.
COMPONENTS = (
    Component("people", "people.service:PeopleService"),
    Component("grid", "grid.service:GridService"),
    Component("scoring", "scoring.service:ScoringService"),
    Component("tickets", "tickets.service:TicketsService"),
    Component("gateway", "gateway.service:GatewayService"),
)
BY_NAME = {component.name: component for component in COMPONENTS}


class ServiceProcess:
    def __init__(self, component, env, log_path=None):
        self.component = component
        self.env = env
        self.log_path = log_path
        self.process = None

    @property
    def port(self):
        return cfg.http_port(self.component.name, self.env)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        output = open(self.log_path, "ab") if self.log_path else None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nameko", "run",
             "--config", str(CONFIG_DIR / f"{self.component.name}.yaml"), self.component.service],
            env=self.env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT if output else None,
            start_new_session=True,  # Ctrl-C reaches the launcher, which stops children in order
        )
        if output:
            output.close()
        return self

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def healthy(self):
        try:
            return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def wait_healthy(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.component.name} exited with code {self.process.returncode}"
                                   + (f"; see {self.log_path}" if self.log_path else ""))
            if self.healthy():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"{self.component.name} not healthy after {timeout}s")

    def stop(self, timeout=15):
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self):
        if self.alive():
            self.process.kill()
            self.process.wait(10)


def broker_answers(amqp_uri, timeout=3):
    try:
        with Connection(amqp_uri, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


def _local_default_broker(amqp_uri):
    parts = urlparse(amqp_uri)
    return parts.hostname in ("127.0.0.1", "localhost", "::1") and (parts.port or 5672) == 5672


RABBITMQ_SERVER_PATHS = ("/usr/sbin/rabbitmq-server", "/usr/lib/rabbitmq/bin/rabbitmq-server")
# The same command .ci/run uses on a fresh machine.
APT_INSTALL_RABBITMQ = ("apt-get update -qq && "
                        "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server")


def installed_rabbitmq():
    """The path of a locally installed ``rabbitmq-server``, or None."""
    return shutil.which("rabbitmq-server") or next((p for p in RABBITMQ_SERVER_PATHS if Path(p).exists()), None)


@dataclass(frozen=True)
class Host:
    """What ensure_broker may do on this machine; tests pass fakes."""
    broker_answers: object = broker_answers
    installed_rabbitmq: object = installed_rabbitmq
    is_root: object = lambda: os.geteuid() == 0
    has_apt: object = lambda: shutil.which("apt-get") is not None
    run: object = subprocess.run
    sleep: object = time.sleep


def how_to_get_a_broker(host):
    """The exact commands that give this machine a broker, first the one that fits it."""
    ways = []
    if host.has_apt():
        ways.append("sudo apt-get install -y rabbitmq-server   (then make run again)")
    ways.append("docker run -d --name rabbitmq -p 5672:5672 -p 15672:15672 rabbitmq:3-management")
    ways.append("or point AMQP_URI at a running broker (e.g. AMQP_URI=amqp://user:pass@host:5672/)")
    return "Get one with:\n  " + "\n  ".join(ways)


def ensure_broker(amqp_uri, wait_seconds=60, host=Host()):
    """The broker at ``amqp_uri``; else the local RabbitMQ, installed with apt-get first
    when none is and we run as root; else exit saying exactly what to do."""
    if host.broker_answers(amqp_uri):
        return
    if not _local_default_broker(amqp_uri):
        sys.exit(f"No RabbitMQ answers at AMQP_URI ({_redacted(amqp_uri)}), which is not this machine's "
                 f"port 5672: start that broker or correct AMQP_URI.\n{how_to_get_a_broker(host)}")
    server = host.installed_rabbitmq()
    if server is None:
        if not (host.is_root() and host.has_apt()):
            why = "we are not root" if host.has_apt() else "this machine has no apt-get"
            sys.exit(f"No RabbitMQ answers at AMQP_URI ({_redacted(amqp_uri)}), none is installed here, "
                     f"and make run cannot install one ({why}).\n{how_to_get_a_broker(host)}")
        print(f"No RabbitMQ installed; installing Debian's rabbitmq-server as root:\n  {APT_INSTALL_RABBITMQ}",
              flush=True)
        installed = host.run(["sh", "-c", APT_INSTALL_RABBITMQ], check=False).returncode == 0
        server = host.installed_rabbitmq() if installed else None
        if server is None:
            sys.exit(f"Installing rabbitmq-server with apt-get failed (see its output above).\n"
                     f"{how_to_get_a_broker(host)}")
        if host.broker_answers(amqp_uri):  # the package's own start script may have started it
            return
    print(f"No broker at AMQP_URI; starting the local RabbitMQ ({server} -detached) ...", flush=True)
    host.run([server, "-detached"], check=False)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if host.broker_answers(amqp_uri):
            return
        host.sleep(1)
    sys.exit(f"RabbitMQ was started but did not answer at AMQP_URI within {wait_seconds}s "
             f"(its logs: /var/log/rabbitmq/).\n{how_to_get_a_broker(host)}")


def _redacted(uri):
    parts = urlparse(uri)
    if parts.password:
        return uri.replace(f":{parts.password}@", ":***@", 1)
    return uri


def start_all(env, log_dir=None, timeout=90):
    processes = {}
    try:
        for component in COMPONENTS:
            log_path = Path(log_dir) / f"{component.name}.log" if log_dir else None
            processes[component.name] = ServiceProcess(component, env, log_path).start()
        for process in processes.values():
            process.wait_healthy(timeout)
    except BaseException:
        stop_all(processes)
        raise
    return processes


def stop_all(processes, timeout=15):
    """SIGTERM to every component at once (each drains its workers), then SIGKILL
    whatever is still running when the shared deadline passes."""
    running = [p for p in processes.values() if p.alive()]
    for process in running:
        process.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in running:
        try:
            process.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


DEMO_LOADERS = ("grid.demo", "people.demo")


def load_demo_data():
    """Run each service's own demo loader (the same commands a user can run); returns
    what they print on stdout (people.demo lists its accounts there), for the banner."""
    printed = []
    for module in DEMO_LOADERS:
        printed.append(subprocess.run([sys.executable, "-m", module], cwd=ROOT, check=True, stdout=subprocess.PIPE,
                                      text=True).stdout)
    return "".join(printed)


def print_banner(processes, demo_accounts=""):
    gateway = processes["gateway"].url
    admin = cfg.env("ADMIN_USERNAME", "admin")
    print("\n网格化社会治理平台 / grid governance platform is running:\n")
    for name, process in processes.items():
        print(f"  {name:<8} {process.url}   ({process.url}/healthz, {process.url}/metrics)")
    # Never the password itself: this banner ends up in terminals' scrollback and logs.
    print(f"\n  Portal (一门户): {gateway}/portal/  (open it in a browser and sign in)")
    print(f"  API reference: {gateway}/api/v1/docs  (OpenAPI: {gateway}/api/v1/openapi.json)")
    print(f"  Sign in: {admin}, with the password in ADMIN_PASSWORD (`make run` sets the README's demo one)")
    if demo_accounts:
        print("  Demo accounts (the same password):")
        print(demo_accounts.rstrip("\n"))
    print(f"""
  Try:
    read -rs -p 'Password: ' PASSWORD; echo
    TOKEN=$(curl -s -X POST {gateway}/api/v1/auth/login -H 'Content-Type: application/json' \\
      -d "{{\\"username\\":\\"{admin}\\",\\"password\\":\\"$PASSWORD\\"}}" | python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])')
    curl -s {gateway}/api/v1/me -H "Authorization: Bearer $TOKEN"

  Data in {cfg.data_dir()}. Press Ctrl-C to stop everything.
""", flush=True)


@dataclass(frozen=True)
class RestartPolicy:
    """How `make run` restarts a component that died (docs/operations/install.md)."""
    first_delay: float = 1.0      # seconds before the first restart; doubles each time ...
    max_delay: float = 30.0       # ... up to this
    healthy_reset: float = 60.0   # up this long after a restart: the next death starts at first_delay again
    max_failures: int = 5         # this many deaths of one component ...
    window: float = 300.0         # ... within this many seconds: give up and stop everything


def how_it_ended(returncode):
    if returncode is not None and returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


class Supervisor:
    """Keeps every component running: one that dies is started again after a backoff
    delay, the others keep serving. Gives up (returns 1) when one component dies
    ``max_failures`` times within ``window`` seconds; returns 0 once ``stopping``."""

    def __init__(self, processes, policy=RestartPolicy(), clock=time.monotonic, sleep=time.sleep,
                 say=lambda line: print(line, file=sys.stderr, flush=True), poll_seconds=0.2,
                 fresh=lambda old: ServiceProcess(old.component, old.env, old.log_path)):
        self.processes = processes
        self.fresh = fresh  # a new, not yet started, process like the dead one
        self.policy = policy
        self.clock, self.sleep, self.say = clock, sleep, say
        self.poll_seconds = poll_seconds
        now = clock()
        self.started_at = {name: now for name in processes}
        self.delay = {name: policy.first_delay for name in processes}
        self.deaths = {name: [] for name in processes}
        self.restart_at = {}        # name -> when a dead component starts again
        self.awaiting_health = set()  # restarted, /healthz not yet answered

    def watch(self, stopping):
        while not stopping:
            failed = self.step()
            if failed:
                return 1
            self.sleep(self.poll_seconds)
        return 0

    def step(self):
        """One look at every component; returns the name of one given up on, else None."""
        now = self.clock()
        for name, process in self.processes.items():
            if name in self.restart_at:
                if now >= self.restart_at[name]:
                    del self.restart_at[name]
                    self.say(f"Restarting {name} ...")
                    self.processes[name] = process = self.fresh(process).start()
                    self.started_at[name] = now
                    self.awaiting_health.add(name)
                continue
            if process.alive():
                if name in self.awaiting_health and process.healthy():
                    self.awaiting_health.discard(name)
                    self.say(f"{name} is healthy again ({process.url}/healthz).")
                continue
            if self._died(name, process, now):
                return name
        return None

    def _died(self, name, process, now):
        policy = self.policy
        self.awaiting_health.discard(name)
        if now - self.started_at[name] >= policy.healthy_reset:
            self.delay[name] = policy.first_delay
        deaths = [t for t in self.deaths[name] if now - t < policy.window] + [now]
        self.deaths[name] = deaths
        ended = how_it_ended(process.process.returncode)
        if len(deaths) >= policy.max_failures:
            self.say(f"\n{name} died ({ended}), {len(deaths)} times within {policy.window:g}s: "
                     f"giving up and stopping everything."
                     + (f" See {process.log_path}." if process.log_path else ""))
            return True
        delay = self.delay[name]
        self.delay[name] = min(delay * 2, policy.max_delay)
        self.restart_at[name] = now + delay
        at = time.strftime("%H:%M:%S", time.localtime(time.time() + delay))
        self.say(f"\n{name} died ({ended}); restarting it in {delay:g}s (at {at}), "
                 f"the other components keep running (death {len(deaths)}; "
                 f"{policy.max_failures} within {policy.window:g}s stop everything).")
        return False


def run(argv=None):
    parser = argparse.ArgumentParser(description="Run all five components with demo data.")
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo district and accounts")
    args = parser.parse_args(argv)

    ensure_broker(cfg.amqp_uri())
    from common.queue_policy import apply_when_answering  # bounds the event queues (monitoring.md)
    apply_when_answering(cfg.amqp_uri())
    if not cfg.env("JWT_SECRET"):
        os.environ["JWT_SECRET"] = os.urandom(32).hex()  # shared by this run's gateway only
    demo_accounts = "" if args.no_demo else load_demo_data()

    stopping = []

    def request_stop(signum, _frame):
        stopping.append(signum)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    processes = start_all(dict(os.environ))
    print_banner(processes, demo_accounts)
    try:
        status = Supervisor(processes).watch(stopping)
        if status == 0:
            print("\nStopping ...", flush=True)
        return status
    finally:
        stop_all(processes)
        print("All components stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(run())
