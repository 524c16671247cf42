"""The platform installs on a host with no internet from `make wheelhouse`'s folder.

A fresh venv, pip with every index switched off (--no-index, PIP_INDEX_URL and the
proxies pointing at a closed port, no pip config files), the runtime lock's sha256
checked; then each service imports and the launcher answers. ``make offline-test``
builds the wheelhouse and runs this (30-80 s: more than make test can spare).
"""
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from common.launcher import COMPONENTS, ROOT

WHEELHOUSE = os.environ.get("OFFLINE_WHEELHOUSE")
pytestmark = pytest.mark.skipif(not WHEELHOUSE, reason="make offline-test builds the wheelhouse and runs this")
CLOSED = "http://127.0.0.1:9/simple"  # the discard port: nothing answers there


def offline_env():
    """No pip setting of this machine's (its config, find-links, constraints), and every
    way out pointing at a closed port: a download attempt fails instead of succeeding."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and "proxy" not in k.lower()}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL=CLOSED, PIP_NO_CACHE_DIR="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1", http_proxy=CLOSED, https_proxy=CLOSED,
               HTTP_PROXY=CLOSED, HTTPS_PROXY=CLOSED, PYTHONWARNINGS="ignore")
    return env


@pytest.fixture(scope="module")
def offline_venv(tmp_path_factory):
    home = tmp_path_factory.mktemp("offline") / "venv"
    venv.EnvBuilder(with_pip=True).create(home)
    return home / "bin" / "python"


def pip(python, *args, check=True):
    result = subprocess.run([str(python), "-m", "pip", *args], env=offline_env(), capture_output=True, text=True,
                            cwd=python.parents[2])
    assert not check or result.returncode == 0, result.stdout + result.stderr
    assert "127.0.0.1:9" not in result.stdout + result.stderr, "pip tried the network"
    return result


def run(python, code, **kwargs):
    return subprocess.run([str(python), *code], env=offline_env(), capture_output=True, text=True,
                          cwd=python.parents[2], **kwargs)


def test_the_runtime_installs_offline_with_hashes_checked_and_every_service_imports(offline_venv):
    wheelhouse = Path(WHEELHOUSE).resolve()
    lock = wheelhouse / "runtime.lock"
    pip(offline_venv, "install", "--quiet", "--no-index", "--find-links", str(wheelhouse), "-r", str(lock))
    pip(offline_venv, "install", "--quiet", "--no-index", "--find-links", str(wheelhouse), "--no-deps", "gridgov")
    pip(offline_venv, "check")

    services = [component.service.split(":")[0] for component in COMPONENTS]
    imported = run(offline_venv, ["-c", f"import common.launcher, {', '.join(services)}; "
                                        "print(common.launcher.__file__)"])
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip().startswith(str(offline_venv.parents[1])), "imported from outside the venv"
    launcher = run(offline_venv, ["-m", "common.launcher", "--help"])
    assert launcher.returncode == 0 and "--no-demo" in launcher.stdout, launcher.stderr

    # The source tree (what `make run` needs: configs, migrations), editable, built with
    # the wheelhouse's setuptools.
    pip(offline_venv, "install", "--quiet", "--no-index", "--find-links", str(wheelhouse), "--no-deps",
        "-e", str(ROOT))
    config = run(offline_venv, ["-c", "from common.launcher import CONFIG_DIR; print(CONFIG_DIR)"])
    assert Path(config.stdout.strip()) == ROOT / "deploy" / "config", config.stderr


def test_a_file_that_differs_from_the_lock_is_refused(offline_venv, tmp_path):
    wheelhouse = Path(WHEELHOUSE).resolve()
    lock = (wheelhouse / "runtime.lock").read_text()
    entry = re.search(r"^six==\S+(?: \\\n\s+--hash=\S+)+", lock, re.M).group(0)
    (tmp_path / "one.lock").write_text(entry + "\n")
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    for wheel in wheelhouse.glob("six-*.whl"):
        shutil.copy(wheel, tampered)
        with open(tampered / wheel.name, "ab") as file:
            file.write(b"\0")  # still a valid zip for pip; another sha256
    refused = pip(offline_venv, "install", "--no-index", "--find-links", str(tampered), "--force-reinstall",
                  "-r", str(tmp_path / "one.lock"), check=False)
    assert refused.returncode != 0
    assert "DO NOT MATCH THE HASHES" in refused.stderr
