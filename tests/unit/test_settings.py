"""The settings declaration (common.settings) against the code, the generated files
and the preflight check.

The names the code reads are found in the source, not listed by hand: the first
argument of every ``env``/``env_int``/``env_float``/``env_bool``/``secret`` call and
of ``os.environ.get``/``os.getenv`` in the platform's packages (AST), ``${NAME`` in
deploy/config/*.yaml and docker-compose.yml, and ``os.environ.get('NAME'`` in
deploy/Dockerfile.
"""
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from common import settings
from common.settings import BY_NAME, SETTINGS, check, read_env_file

ROOT = settings.ROOT
PACKAGES = [ROOT / "common" / "common", ROOT / "gateway" / "gateway",
            *(path for path in (ROOT / "services").glob("*/*") if (path / "__init__.py").is_file())]
READERS = {"env", "env_int", "env_float", "env_bool", "secret", "getenv"}

# Reads whose name is not in the call itself: the file, and the names it reads
# through a value declared in that file (each must appear there as a string).
INDIRECT = {
    "gateway/gateway/limits.py": {"RATE_LIMIT_PER_MINUTE", "RATE_LIMIT_ADDRESS_PER_MINUTE"},  # Limit.setting
}
ACCESSORS = "common/common/config.py"  # env(), env_int()... pass their caller's name through


def _component(path):
    """The component a source file belongs to, or None for shared code."""
    parts = path.relative_to(ROOT).parts
    if parts[0] == "services":
        return parts[1]
    if parts[0] == "gateway":
        return "gateway"
    return None


_CONSTANT = re.compile(r'^(\w+) = "([A-Z][A-Z0-9_]*)"', re.M)  # a module-level NAME = "SETTING"
_READ_CALL = re.compile(r"\b(?:env|env_int|env_float|env_bool|secret|getenv)\(|os\.environ\.get\(")


def _pattern(joined):
    """An f-string's regular expression: its literal parts, anything upper case between."""
    parts = []
    for value in joined.values:
        if isinstance(value, ast.Constant):
            parts.append(re.escape(value.value))
        else:
            parts.append("[A-Z0-9_]+")
    return "".join(parts)


def code_reads():
    """(names, patterns, unresolved): {name: {component or None}}, {regex: {component}},
    [(file, line)] of reads whose name could not be told."""
    sources = {path: path.read_text(encoding="utf-8")
               for package in PACKAGES for path in package.rglob("*.py") if "tests" not in path.parts}
    constants = {name: value for text in sources.values() for name, value in _CONSTANT.findall(text)}
    # Only files that call a reader are parsed (parsing all of them takes seconds).
    trees = {path: ast.parse(text) for path, text in sources.items() if _READ_CALL.search(text)}
    names, patterns, unresolved = {}, {}, []
    for path, tree in trees.items():
        component = _component(path)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            is_environ_get = (called == "get" and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute) and func.value.attr == "environ"
                              and getattr(func.value.value, "id", None) == "os")
            if called not in READERS and not is_environ_get:
                continue
            argument = node.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                names.setdefault(argument.value, set()).add(component)
            elif isinstance(argument, ast.JoinedStr):
                patterns.setdefault(_pattern(argument), set()).add(component)
            elif isinstance(argument, (ast.Name, ast.Attribute)):
                constant = argument.id if isinstance(argument, ast.Name) else argument.attr
                if constant in constants:
                    names.setdefault(constants[constant], set()).add(component)
                elif path.relative_to(ROOT).as_posix() not in (*INDIRECT, ACCESSORS):
                    unresolved.append((path.relative_to(ROOT).as_posix(), node.lineno))
    for relative, indirect in INDIRECT.items():
        text = (ROOT / relative).read_text(encoding="utf-8")
        for name in indirect:
            assert f'"{name}"' in text, f"{relative} no longer names {name}: update INDIRECT"
            names.setdefault(name, set()).add(_component(ROOT / relative))
    return names, patterns, unresolved


def deploy_reads():
    """{name: reader} of the deployment files: the nameko configs (their component),
    docker-compose.yml (compose) and the Dockerfile's health check (image)."""
    found = {}
    for path in sorted((ROOT / "deploy" / "config").glob("*.yaml")):
        for name in re.findall(r"\$\{(\w+)", path.read_text(encoding="utf-8")):
            found.setdefault(name, set()).add(path.stem)
    for name in re.findall(r"\$\{(\w+)", (ROOT / "docker-compose.yml").read_text(encoding="utf-8")):
        found.setdefault(name, set()).add(settings.COMPOSE)
    for name in re.findall(r"os\.environ\.get\('(\w+)'", (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")):
        found.setdefault(name, set()).add(settings.IMAGE)
    return found


@pytest.fixture(scope="module")
def reads():
    return code_reads()


# --------------------------------------------------------------- declaration

def test_every_name_the_code_reads_is_declared(reads):
    names, patterns, unresolved = reads
    assert not unresolved, f"reads whose variable name the test cannot tell (add them to INDIRECT): {unresolved}"
    undeclared = sorted(set(names) - set(BY_NAME))
    assert not undeclared, f"read by the code but not declared in common/common/settings.py: {undeclared}"
    for pattern in patterns:
        assert any(re.fullmatch(pattern, name) for name in BY_NAME), f"nothing declared matches {pattern}"


def test_every_name_the_deployment_reads_is_declared():
    undeclared = sorted(set(deploy_reads()) - set(BY_NAME))
    assert not undeclared, f"read by deploy/ or docker-compose.yml but not declared: {undeclared}"


def test_every_declared_setting_is_read_somewhere(reads):
    names, patterns, _ = reads
    deployed = deploy_reads()
    compose_own = {s.name for s in SETTINGS if s.name.startswith("COMPOSE_") and s.read_by == (settings.COMPOSE,)}
    unread = [s.name for s in SETTINGS if s.name not in names and s.name not in set(deployed) | compose_own
              and not any(re.fullmatch(pattern, s.name) for pattern in patterns)]
    assert not unread, f"declared but read nowhere: {unread}"


def test_readers_include_the_component_whose_code_reads_it(reads):
    names, _, _ = reads
    for name, components in names.items():
        for component in components - {None}:
            assert component in BY_NAME[name].read_by, f"{name} is read by {component}, declared {BY_NAME[name].read_by}"
    for name, readers in deploy_reads().items():
        for reader in readers - {settings.COMPOSE}:
            assert reader in BY_NAME[name].read_by, f"{name} is read by {reader}, declared {BY_NAME[name].read_by}"


def test_declaration_is_well_formed():
    assert len(BY_NAME) == len(SETTINGS), "a setting is declared twice"
    known_readers = set(settings.COMPONENTS) | {settings.COMPOSE, settings.IMAGE, settings.TOOLS}
    for setting in SETTINGS:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", setting.name), setting.name
        assert setting.meaning and setting.read_by and set(setting.read_by) <= known_readers, setting.name
        if setting.secret:
            assert not setting.default, f"{setting.name}: a secret has no default"
        if setting.required:
            assert setting.secret and setting.make, f"{setting.name}: say how to make it"
        if setting.default and setting.rule is not None:  # the defaults pass their own rules
            assert setting.rule.problem(setting.default) is None, setting.name


def test_generated_files_are_current():
    """README's Configuration table and .env.example are what the declaration makes."""
    result = subprocess.run([sys.executable, "-m", "common.settings", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_env_example_lists_every_setting_and_no_secret_value():
    values = {}
    for line in settings.ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"#?([A-Z][A-Z0-9_]*)=(.*)", line)
        if match:
            values[match.group(1)] = match.group(2)
    assert set(values) == set(BY_NAME)
    for setting in SETTINGS:
        if setting.secret:
            assert values[setting.name] == "", f"{setting.name} has a value in .env.example"
    assert read_env_file(settings.ENV_EXAMPLE) == {**{s.name: "" for s in SETTINGS if s.required},
                                                   **{s.name: s.default for s in SETTINGS if s.active}}


# ----------------------------------------------------------------- preflight

GOOD = {
    "JWT_SECRET": "j" * 48,
    "ADMIN_PASSWORD": "Admin2026Strong",
    "PII_KEY": "0123456789abcdef" * 4,
    "POSTGRES_PASSWORD": "pg0123456789abcdef",
    "RABBITMQ_PASSWORD": "mq0123456789abcdef",
    "GRAFANA_ADMIN_PASSWORD": "Grafana2026Strong",
    "ALERT_WEBHOOK_URL": "http://relay.internal:8060/alerts",
}


def test_good_secrets_pass():
    assert check(GOOD) == ([], [])


@pytest.mark.parametrize("name", sorted(name for name in GOOD if BY_NAME[name].secret))
def test_a_missing_secret_is_named(name):
    errors, _ = check({key: value for key, value in GOOD.items() if key != name})
    assert len(errors) == 1 and errors[0].startswith(f"{name} is missing"), errors
    errors, _ = check({**GOOD, name: ""})
    assert len(errors) == 1 and errors[0].startswith(f"{name} is missing"), errors


@pytest.mark.parametrize("name, value, says", [
    ("JWT_SECRET", "x" * 31, "at least 32"),
    ("ADMIN_PASSWORD", "Short2026", "at least 12 characters"),
    ("ADMIN_PASSWORD", "onlyletterslongenough", "letters and digits"),
    ("ADMIN_PASSWORD", "123456789012345", "letters and digits"),
    ("PII_KEY", "0" * 63, "64 hexadecimal"),
    ("PII_KEY", "g" * 64, "64 hexadecimal"),
    ("POSTGRES_PASSWORD", "short12345", "at least 16"),
    ("POSTGRES_PASSWORD", "pass@word/0123456789", "'/' '@' would break them"),
    ("RABBITMQ_PASSWORD", "mq:secret#0123456789", "'#' ':' would break them"),
])
def test_a_weak_secret_is_named(name, value, says):
    errors, _ = check({**GOOD, name: value})
    assert len(errors) == 1 and errors[0].startswith(name) and says in errors[0], errors
    assert value not in errors[0], "a secret's value must not be printed"


@pytest.mark.parametrize("name, value, says", [
    ("TOKEN_TTL_SECONDS", "an hour", "whole number"),
    ("LOG_FORMAT", "xml", "one of plain, json"),
    ("GATEWAY_PORT", "70000", "from 1 to 65535"),
    ("OUTBOX_RELAY_ENABLED", "maybe", "true or false"),
])
def test_a_value_breaking_its_rule_is_named(name, value, says):
    errors, _ = check({**GOOD, name: value})
    assert len(errors) == 1 and errors[0].startswith(name) and says in errors[0], errors


def test_a_dollar_sign_is_named_since_compose_would_expand_it():
    errors, warnings = check({**GOOD, "ADMIN_PASSWORD": "Admin$2026Strong", "CORS_ORIGINS": "https://a$b"})
    assert errors == ["ADMIN_PASSWORD holds a '$', which docker compose may expand as a variable: choose "
                      "another character"]
    assert warnings == ["CORS_ORIGINS holds a '$', which docker compose may expand as a variable: choose "
                        "another character"]


def test_no_alert_receiver_is_a_warning():
    errors, warnings = check({key: value for key, value in GOOD.items() if key != "ALERT_WEBHOOK_URL"})
    assert errors == [] and warnings == [
        "none of ALERT_WEBHOOK_URL, ALERT_EMAIL_TO is set: Alertmanager will not start and alerts reach nobody"]
    assert check({**GOOD, "ALERT_WEBHOOK_URL": "", "ALERT_EMAIL_TO": "ops@district.example"}) == ([], [])


def test_an_unknown_variable_is_a_warning_with_the_closest_name():
    errors, warnings = check({**GOOD, "JWT_SECERT": "x", "TOTALLY_UNRELATED": "1"})
    assert errors == []
    assert warnings == ["JWT_SECERT is not a setting of the platform and is ignored (did you mean JWT_SECRET?)",
                        "TOTALLY_UNRELATED is not a setting of the platform and is ignored"]


def test_check_command_reads_an_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# comment\n" + "\n".join(f"{k}={v}" for k, v in GOOD.items() if k != "PII_KEY")
                        + "\nPII_KEY='short'\nRATE_LIMT_PER_MINUTE=5\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "common.settings", "check", "--env-file", str(env_file)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert "error: PII_KEY must be exactly 64 hexadecimal characters" in result.stderr
    assert "warning: RATE_LIMT_PER_MINUTE is not a setting" in result.stderr
    assert "RATE_LIMIT_PER_MINUTE?" in result.stderr

    env_file.write_text("\n".join(f"{k}={v}" for k, v in GOOD.items()) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "common.settings", "check", "--env-file", str(env_file)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "settings ok" in result.stdout

    missing = subprocess.run([sys.executable, "-m", "common.settings", "check", "--env-file",
                              str(tmp_path / "nothing")], cwd=ROOT, capture_output=True, text=True)
    assert missing.returncode == 2 and "cp .env.example .env" in missing.stderr


def test_env_file_syntax(tmp_path):
    path = Path(tmp_path / ".env")
    path.write_text('A=1\n  # c\n\nexport B="two words"\nC=\nD=\'x=y\'\n', encoding="utf-8")
    assert read_env_file(path) == {"A": "1", "B": "two words", "C": "", "D": "x=y"}
    path.write_text("not a line\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1"):
        read_env_file(path)
