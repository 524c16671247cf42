"""The hash-locked dependency files stay in step with pyproject.toml.

``make lock`` writes requirements/{runtime,dev,build}.lock (pip-compile
--generate-hashes); ``make venv``, ``make wheelhouse`` and deploy/Dockerfile install
from them with every file's sha256 checked. A dependency changed in pyproject.toml
without ``make lock`` fails here, naming it.
"""
import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from common.launcher import ROOT

LOCK_DIR = ROOT / "requirements"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DECLARED = {
    "runtime": PYPROJECT["project"]["dependencies"],
    "dev": PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["dev"],
    "build": PYPROJECT["build-system"]["requires"],
}
ENTRY = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)(?P<rest>.*)$")


def read_lock(kind):
    """{canonical name: (version, [sha256, ...])} of requirements/<kind>.lock."""
    text = (LOCK_DIR / f"{kind}.lock").read_text(encoding="utf-8")
    # one entry per logical line: "name==version \ --hash=... \ --hash=..."
    logical = re.sub(r"\\\n\s*", " ", text)
    pinned = {}
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        entry = ENTRY.match(line)
        assert entry, f"{kind}.lock: not a pinned 'name==version --hash=...' entry: {line[:80]!r}"
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})\b", entry["rest"])
        pinned[canonicalize_name(entry["name"])] = (entry["version"], hashes)
    return pinned


@pytest.mark.parametrize("kind", sorted(DECLARED))
def test_every_declared_dependency_is_locked_at_its_pinned_version(kind):
    locked = read_lock(kind)
    for declared in DECLARED[kind]:
        requirement = Requirement(declared)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is in pyproject.toml but not in {kind}.lock: run make lock"
        version = locked[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{kind}.lock has {requirement.name}=={version}, pyproject.toml wants {requirement.specifier}: "
            f"run make lock")


@pytest.mark.parametrize("kind", sorted(DECLARED))
def test_every_locked_file_has_its_sha256(kind):
    locked = read_lock(kind)
    assert locked, f"{kind}.lock is empty"
    for name, (version, hashes) in locked.items():
        assert hashes, f"{kind}.lock: {name}=={version} has no --hash=sha256: pip would not check it"


def test_the_dev_lock_holds_the_runtime_lock_unchanged():
    """Tests run on exactly the files production installs (dev.lock is compiled with
    -c runtime.lock)."""
    runtime, dev = read_lock("runtime"), read_lock("dev")
    for name, (version, hashes) in runtime.items():
        assert name in dev, f"{name} is in runtime.lock but not in dev.lock: run make lock"
        assert dev[name][0] == version, f"{name}: runtime.lock {version}, dev.lock {dev[name][0]}"
        assert set(dev[name][1]) == set(hashes), f"{name}: the two locks list different files"


def test_installs_check_the_hashes():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install --quiet --require-hashes -r requirements/dev.lock" in makefile
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^RUN pip install --require-hashes -r requirements/runtime\.lock$", dockerfile, re.M), \
        "deploy/Dockerfile does not install from the runtime lock with --require-hashes"
    assert "-r /tmp/requirements.txt" not in dockerfile
