"""A RabbitMQ cluster of three nodes on this machine, beside the shared broker (5672),
for ``make cluster-test`` and for trying the platform against a cluster by hand.

Node ``ggN@localhost`` (N = 1, 2, 3) listens for AMQP on 5680+N, for its peers on
25680+N and, with the management plugin, on 15680+N; its data, logs, pid file,
configuration and $HOME (and so its Erlang cookie, one for all three) live under
``RABBIT_CLUSTER_DIR`` (default /tmp/gridgov-rabbit-cluster). The nodes run as the
calling user from RabbitMQ's own scripts (/usr/lib/rabbitmq/bin: the /usr/sbin
wrappers switch to the shared node's user and settings).

    python -m devtools.rabbit_cluster up          # start gg1, join gg2 and gg3 to it
    python -m devtools.rabbit_cluster status      # the cluster as gg1 (or any running node) sees it
    python -m devtools.rabbit_cluster stop gg2    # stop one node (its Erlang VM too)
    python -m devtools.rabbit_cluster start gg2   # start it again: it rejoins by itself
    python -m devtools.rabbit_cluster uri         # AMQP_URI for all three (kombu failover)
    python -m devtools.rabbit_cluster down        # stop every node and delete the folder

The components reach the cluster through ``AMQP_URI`` listing every node separated
by ``;`` (kombu's failover): a component connects to the first that answers and, when
its node goes, to the next.
"""
import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

SCRIPTS = Path(os.environ.get("RABBITMQ_SCRIPTS_DIR", "/usr/lib/rabbitmq/bin"))
NODES = ("gg1", "gg2", "gg3")
AMQP_PORT, DIST_PORT, MANAGEMENT_PORT = 5680, 25680, 15680  # + the node's number


def cluster_dir():
    return Path(os.environ.get("RABBIT_CLUSTER_DIR", "/tmp/gridgov-rabbit-cluster"))


def port_open(port, host="127.0.0.1"):
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


class Node:
    def __init__(self, name, base_dir=None):
        self.name = name
        self.number = NODES.index(name) + 1
        self.node = f"{name}@localhost"
        self.home = (base_dir or cluster_dir())
        self.dir = self.home / name
        self.amqp_port = AMQP_PORT + self.number
        self.dist_port = DIST_PORT + self.number
        self.management_port = MANAGEMENT_PORT + self.number
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    def env(self):
        env = {key: value for key, value in os.environ.items() if not key.startswith(("RABBITMQ_", "ERL_"))}
        env.update(
            HOME=str(self.home),  # $HOME/.erlang.cookie: one cookie, read by every node and rabbitmqctl
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.amqp_port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(self.dir / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.dir / "log"),
            RABBITMQ_PID_FILE=str(self.dir / "node.pid"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.dir / "enabled_plugins"),
            RABBITMQ_CONFIG_FILE=str(self.dir / "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(self.dir / "advanced.config"),
            RABBITMQ_CONF_ENV_FILE=str(self.dir / "rabbitmq-env.conf"),  # not the shared node's /etc one
        )
        return env

    def prepare(self):
        for folder in (self.dir / "mnesia", self.dir / "log"):
            folder.mkdir(parents=True, exist_ok=True)
        cookie = self.home / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(secrets.token_hex(20))
            cookie.chmod(0o400)
        management = (SCRIPTS.parent / "lib").exists() and any(
            p.name.startswith("rabbitmq_management-") for p in (SCRIPTS.parent / "lib").glob("*/plugins/*"))
        (self.dir / "enabled_plugins").write_text("[rabbitmq_management].\n" if management else "[].\n")
        (self.dir / "rabbitmq-env.conf").write_text("")
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.amqp_port}\n"
            f"management.tcp.port = {self.management_port}\n"
            "management.tcp.ip = 127.0.0.1\n"
            "disk_free_limit.absolute = 50MB\n"  # a test machine's disk, not a production one's
            "log.console = false\n"
            "log.file.level = info\n")

    def ctl(self, *args, timeout=120, check=True):
        result = subprocess.run([str(SCRIPTS / "rabbitmqctl"), "-n", self.node, *args], env=self.env(),
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl -n {self.node} {' '.join(args)} failed: "
                               f"{(result.stderr or result.stdout).strip()[-800:]}")
        return result.stdout

    def pid(self):
        try:
            return int((self.dir / "node.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def running(self):
        pid = self.pid()
        return pid is not None and Path(f"/proc/{pid}").exists()

    def start(self, timeout=120):
        """Start the node, detached; return once it takes AMQP connections."""
        if self.running() and port_open(self.amqp_port):
            return self
        self.prepare()
        subprocess.run([str(SCRIPTS / "rabbitmq-server"), "-detached"], env=self.env(), cwd=self.dir,
                       capture_output=True, timeout=60, check=True)
        self.ctl("wait", str(self.dir / "node.pid"), "--timeout", str(timeout), timeout=timeout + 10)
        deadline = time.monotonic() + timeout
        while not port_open(self.amqp_port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.node} takes no AMQP connections on {self.amqp_port}; "
                                   f"see {self.dir / 'log'}")
            time.sleep(0.3)
        return self

    def stop(self, timeout=60):
        """Stop the whole node (its Erlang VM too): SIGTERM, RabbitMQ's orderly shutdown."""
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while Path(f"/proc/{pid}").exists():
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.2)

    def join(self, first):
        """Join ``first``'s cluster (this node's own data is reset)."""
        self.ctl("stop_app")
        self.ctl("reset")
        self.ctl("join_cluster", first.node)
        self.ctl("start_app")


class Cluster:
    def __init__(self, base_dir=None):
        self.nodes = [Node(name, base_dir) for name in NODES]
        self.by_name = {node.name: node for node in self.nodes}

    @property
    def amqp_uri(self):
        """Every node, for kombu's failover (``amqp://a;amqp://b``)."""
        return ";".join(node.amqp_uri for node in self.nodes)

    def up(self):
        taken = [node.name for node in self.nodes if not node.running() and port_open(node.amqp_port)]
        if taken:
            raise RuntimeError(f"ports of {', '.join(taken)} are taken by something else "
                               f"({', '.join(str(self.by_name[n].amqp_port) for n in taken)})")
        first, *others = self.nodes
        first.start()
        for node in others:
            fresh = not (node.dir / "mnesia").exists()
            node.start()
            if fresh or first.name not in self.members(node):
                node.join(first)
        return self

    def members(self, node=None):
        """Running nodes of the cluster as ``node`` (the first running one) sees them."""
        node = node or next(n for n in self.nodes if n.running())
        out = node.ctl("eval", "rabbit_nodes:all_running().", check=False)
        return [name for name in NODES if f"{name}@localhost" in out]

    def down(self, remove=True):
        for node in reversed(self.nodes):
            node.stop()
        if remove:
            shutil.rmtree(self.nodes[0].home, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("up", "down", "status", "stop", "start", "uri"))
    parser.add_argument("node", nargs="?", choices=NODES)
    args = parser.parse_args(argv)
    if not (SCRIPTS / "rabbitmq-server").exists():
        print(f"no RabbitMQ scripts in {SCRIPTS}: apt-get install rabbitmq-server, or set RABBITMQ_SCRIPTS_DIR",
              file=sys.stderr)
        return 2
    cluster = Cluster()
    if args.command in ("stop", "start") and not args.node:
        parser.error(f"{args.command} needs a node: one of {', '.join(NODES)}")
    if args.command == "up":
        cluster.up()
        print(f"running: {', '.join(cluster.members())}\nAMQP_URI={cluster.amqp_uri}")
    elif args.command == "down":
        cluster.down()
    elif args.command == "stop":
        cluster.by_name[args.node].stop()
    elif args.command == "start":
        cluster.by_name[args.node].start()
    elif args.command == "status":
        for node in cluster.nodes:
            print(f"{node.node}: {'running' if node.running() else 'stopped'}  amqp {node.amqp_port}  "
                  f"management {node.management_port}")
        if any(node.running() for node in cluster.nodes):
            print(f"cluster members running: {', '.join(cluster.members())}")
    elif args.command == "uri":
        print(cluster.amqp_uri)
    return 0


if __name__ == "__main__":
    sys.exit(main())
