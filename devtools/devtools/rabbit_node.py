"""A private RabbitMQ node on this machine, for tests that stop the broker (the chaos
test, ``make chaos``) or run several (the cluster test): the machine's shared broker
(5672) keeps serving everyone else.

Each node has its own name, AMQP port, distribution port, data and log folders, an
empty plugin list (no management: nothing listens on 15672) and its own HOME, so its
Erlang cookie is its own (rabbitmqctl, given the same HOME, finds it). It runs as the
calling user, from RabbitMQ's own scripts in /usr/lib/rabbitmq/bin (the /usr/sbin
wrappers switch to the rabbitmq user and the shared node's settings).

    node = RabbitNode.create(tmp_dir)    # ports chosen free
    node.start()                         # returns once it accepts AMQP connections
    node.amqp_uri                        # amqp://guest:guest@127.0.0.1:<port>/
    node.stop(); node.start()            # an outage and the recovery
    node.delete()                        # stopped, its folder removed

Clustering (for ``make cluster-test``): ``other.join(first)`` stops the app of
``other``, joins it to ``first``'s cluster and starts it again; give the nodes one
``cookie`` so they can talk.
"""
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

from kombu import Connection

SCRIPTS = Path(os.environ.get("RABBITMQ_SCRIPTS_DIR", "/usr/lib/rabbitmq/bin"))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def available():
    """Why a private node cannot be started here, or "" if it can."""
    if not (SCRIPTS / "rabbitmq-server").exists():
        return f"no RabbitMQ server scripts in {SCRIPTS} (apt-get install rabbitmq-server)"
    return ""


class RabbitNode:
    def __init__(self, base_dir, name, amqp_port, dist_port, cookie=None):
        self.base_dir = Path(base_dir)
        self.name = name
        self.node = f"{name}@localhost"
        self.amqp_port, self.dist_port = amqp_port, dist_port
        self.cookie = cookie
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:{amqp_port}/"

    @classmethod
    def create(cls, parent_dir, name=None, cookie=None):
        """A node with free ports in ``parent_dir/<name>`` (not started)."""
        name = name or f"gridgov-{uuid.uuid4().hex[:6]}"
        return cls(Path(parent_dir) / name, name, free_port(), free_port(), cookie)

    def env(self):
        base = self.base_dir
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("RABBITMQ_") and key not in ("ERL_FLAGS", "ERL_EPMD_ADDRESS")}
        env.update(
            HOME=str(base),  # its own $HOME/.erlang.cookie, read by the server and rabbitmqctl alike
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.amqp_port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(base / "mnesia"),
            RABBITMQ_LOG_BASE=str(base / "log"),
            RABBITMQ_PID_FILE=str(base / "node.pid"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(base / "enabled_plugins"),
            RABBITMQ_CONFIG_FILE=str(base / "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(base / "advanced.config"),
            RABBITMQ_CONF_ENV_FILE=str(base / "rabbitmq-env.conf"),  # not the shared node's /etc one
            ERL_EPMD_ADDRESS="127.0.0.1",
        )
        return env

    def _prepare(self):
        base = self.base_dir
        for folder in (base, base / "mnesia", base / "log"):
            folder.mkdir(parents=True, exist_ok=True)
        (base / "enabled_plugins").write_text("[].\n")
        (base / "rabbitmq-env.conf").write_text("")
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.amqp_port}\n"
            "disk_free_limit.absolute = 50MB\n"  # a test machine's disk, not a production one's
            "log.console = false\n")
        if self.cookie:
            cookie = base / ".erlang.cookie"
            if not cookie.exists():
                cookie.write_text(self.cookie)
                cookie.chmod(0o400)

    def ctl(self, *args, timeout=60, check=True):
        return subprocess.run([str(SCRIPTS / "rabbitmqctl"), "-n", self.node, *args], env=self.env(),
                              capture_output=True, text=True, timeout=timeout, check=check)

    def answers(self, timeout=2):
        try:
            with Connection(self.amqp_uri, connect_timeout=timeout) as connection:
                connection.ensure_connection(max_retries=1)
            return True
        except Exception:
            return False

    def start(self, timeout=90):
        """Start the node (detached) and return once it accepts AMQP connections."""
        self._prepare()
        subprocess.run([str(SCRIPTS / "rabbitmq-server"), "-detached"], env=self.env(), cwd=self.base_dir,
                       capture_output=True, timeout=60, check=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.answers():
                return self
            time.sleep(0.5)
        raise RuntimeError(f"RabbitMQ node {self.node} did not accept AMQP on port {self.amqp_port} within "
                           f"{timeout} s; see {self.base_dir / 'log'}")

    def pid(self):
        try:
            return int((self.base_dir / "node.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def _wait_gone(self, pid, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not Path(f"/proc/{pid}").exists():
                return True
            time.sleep(0.1)
        return False

    def stop(self, timeout=60):
        """Stop the whole node (the Erlang VM too) and wait until it is gone: SIGTERM,
        which RabbitMQ answers with its orderly shutdown (as ``rabbitmqctl stop`` does,
        without starting the CLI's own VM), else ``rabbitmqctl stop``."""
        pid = self.pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            if self._wait_gone(pid, timeout):
                return
        self.ctl("stop", str(self.base_dir / "node.pid"), timeout=timeout, check=False)

    def kill(self):
        """SIGKILL the node's VM: a crash, and the quickest end for a node to be deleted."""
        pid = self.pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                return
            self._wait_gone(pid, 10)

    def stop_app(self):
        self.ctl("stop_app")

    def start_app(self, timeout=90):
        self.ctl("start_app", timeout=timeout)

    def join(self, other):
        """Join ``other``'s cluster (this node's data is reset)."""
        self.ctl("stop_app")
        self.ctl("reset")
        self.ctl("join_cluster", other.node)
        self.ctl("start_app")

    def delete(self):
        self.kill()
        shutil.rmtree(self.base_dir, ignore_errors=True)
