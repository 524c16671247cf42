"""Plumbing knows no service: nothing in common/ imports a service, the gateway, the
tests, the benchmarks or the development tools (they import it, not the other way)."""
import ast
from pathlib import Path

COMMON = Path(__file__).resolve().parents[2] / "common" / "common"
OUTSIDE = {"grid", "people", "tickets", "scoring", "gateway", "tests", "bench", "devtools"}


def test_common_imports_no_service():
    found = []
    for path in sorted(COMMON.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
            found += [f"{path.name}:{node.lineno} {name}" for name in names if name.split(".")[0] in OUTSIDE]
    assert not found, found


def test_each_test_module_has_a_basename_of_its_own():
    """pytest imports test modules by their basename here: two of one name stop the run."""
    tests = Path(__file__).resolve().parents[1]
    names = [path.name for path in tests.rglob("test_*.py")]
    assert sorted({name for name in names if names.count(name) > 1}) == []
