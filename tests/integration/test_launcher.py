"""`make run`'s launcher restarts a component that dies and leaves the others running;
Ctrl-C still stops every process. The real launcher (``python -m common.launcher
--no-demo``) on a vhost and databases of its own; one component SIGKILLed."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

import infra as infrastructure
from common.launcher import ROOT
from stack import stack_env

VICTIM = "scoring"


def children(pid):
    """{component name: pid} of the ``nameko run`` processes whose parent is ``pid``."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes().decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if parent == pid and "nameko" in command:
            name = command.split("deploy/config/", 1)[1].split(".yaml", 1)[0]
            found[name] = int(stat.parent.name)
    return found


def running(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout}s")


@pytest.fixture
def launcher_databases(tmp_path):
    """SQLite files: what is restarted here is a process, not a database, and they cost
    nothing to make and drop (PostgreSQL ones took 4 s of this test's 25)."""
    return {service: f"sqlite:///{tmp_path / (service + '.db')}" for service in infrastructure.SERVICES}


def test_a_killed_component_is_restarted_and_ctrl_c_stops_all(amqp_uri, launcher_databases, tmp_path):
    env = dict(stack_env(amqp_uri, launcher_databases, tmp_path), PYTHONUNBUFFERED="1")
    launcher = subprocess.Popen([sys.executable, "-m", "common.launcher", "--no-demo"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    output = []
    reader = threading.Thread(target=lambda: output.extend(launcher.stdout), daemon=True)
    reader.start()
    said = lambda text: any(text in line for line in list(output))  # noqa: E731
    every_pid = set()
    try:
        wait_for(lambda: said("grid governance platform is running"), 90, "the launcher did not start")
        first = children(launcher.pid)
        assert set(first) == {"gateway", "grid", "people", "tickets", "scoring"}, first
        every_pid.update(first.values())

        os.kill(first[VICTIM], signal.SIGKILL)
        wait_for(lambda: said(f"{VICTIM} died (killed by SIGKILL); restarting it in 1s"), 5,
                 "no restart message")
        wait_for(lambda: said(f"{VICTIM} is healthy again"), 60, f"{VICTIM} did not come back")
        url = f"http://127.0.0.1:{env[f'{VICTIM.upper()}_PORT']}/healthz"
        assert requests.get(url, timeout=5).status_code == 200

        second = children(launcher.pid)
        every_pid.update(second.values())
        assert second[VICTIM] != first[VICTIM]
        assert {name: pid for name, pid in second.items() if name != VICTIM} == \
            {name: pid for name, pid in first.items() if name != VICTIM}, "the others were restarted too"

        stopped_at = time.monotonic()
        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(30) == 0
        took = time.monotonic() - stopped_at
        assert said("All components stopped.")
        assert not [pid for pid in every_pid if running(pid)], "a component outlived the launcher"
        print(f"\nCtrl-C to all stopped: {took:.1f}s")
        print("".join(line for line in output if line.startswith((f"{VICTIM} ", "Restarting"))), end="")
    finally:
        if launcher.poll() is None:
            launcher.kill()
        for pid in every_pid:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        reader.join(5)
