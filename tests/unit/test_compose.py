"""The deployment files checked against the code, without a Docker engine.

docker-compose.yml, deploy/Dockerfile, deploy/postgres/ and deploy/prometheus/ are
parsed (PyYAML) and compared with what the code says: the components and their
``module:Class`` (common.launcher.COMPONENTS), their HTTP ports
(common.config.DEFAULT_PORTS), which of them own a database
(common.config.SERVICES_WITH_DATABASE) and the metric names they export
(common.metrics, common.outbox). The settings reach the components from .env
(common.settings declares them); ``docker-compose config`` (Debian's 1.29) checks the
whole file when it is installed.
"""
import importlib
import re
import shlex
import shutil
import subprocess
from urllib.parse import urlparse

import pytest
import yaml

from common import config as cfg
from common import settings
from common.db import Database
from common.launcher import BY_NAME, COMPONENTS, CONFIG_DIR, ROOT

COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
README = ROOT / "README.md"

NAMES = [component.name for component in COMPONENTS]

# Values for the variables docker compose would take from .env.
HOST_ENV = {
    "JWT_SECRET": "j" * 48,
    "ADMIN_PASSWORD": "Admin2026Strong",
    "POSTGRES_PASSWORD": "pg0123456789abcdef",
    "RABBITMQ_PASSWORD": "mq0123456789abcdef",
    "PII_KEY": "0" * 64,
    "GRAFANA_ADMIN_PASSWORD": "Grafana2026Strong",
}
OTHER_ENV = {"ALERT_WEBHOOK_URL": "http://relay.internal:8060/alerts"}  # commented out in .env.example
# The secrets compose itself needs (to build URLs, for Grafana); the others only reach
# the components through env_file and are checked by the preflight service.
COMPOSE_SECRETS = tuple(s.name for s in settings.SETTINGS
                        if s.compose == settings.READ_BY_COMPOSE and s.secret and s.required)

# Images that could not be pinned by digest (none: each digest is named in a comment
# beside it with the tag it belongs to; docs/operations/compose.md says where from).
UNPINNED = {}

_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>\w+)")


def interpolate(value, env=HOST_ENV):
    """Compose's variable substitution: ${VAR}, ${VAR:-default}, ${VAR:?error}, $$."""
    if not isinstance(value, str):
        return value

    def substitute(match):
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg")
        current = env.get(name)
        if op in (":?", "?") and not current:
            raise AssertionError(f"compose would stop: {name} is required ({arg})")
        if op in (":-", "-") and not current:
            return arg
        return current or ""

    return _VARIABLE.sub(substitute, value.replace("$$", "\0")).replace("\0", "$")


# --------------------------------------------------------------------- loading

@pytest.fixture(scope="module")
def compose():
    assert COMPOSE_FILE.is_file(), "docker-compose.yml is missing at the repository root"
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document.get("services"), dict), "docker-compose.yml has no services"
    return document


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


@pytest.fixture(scope="module")
def prometheus_config():
    return yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text(encoding="utf-8"))


def environment_of(service):
    """A service's environment as a dict (compose allows a mapping or KEY=VALUE list)."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) if "=" in item else (item, None) for item in environment)
    return {key: None if value is None else str(value) for key, value in environment.items()}


def command_of(service):
    command = service.get("command")
    return shlex.split(command) if isinstance(command, str) else list(command or [])


def depends_on(service):
    """{dependency: condition}; the short list form means service_started."""
    value = service.get("depends_on") or {}
    if isinstance(value, list):
        return {name: "service_started" for name in value}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in value.items()}


def container_ports(service):
    """Container ports a service publishes (short "[ip:]host:container[/proto]" or long syntax)."""
    published = set()
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            published.add(int(entry["target"]))
        else:
            published.add(int(str(entry).split("/")[0].rsplit(":", 1)[-1]))
    return published


def expected_port(name, environment):
    """The port a component listens on in its container: <NAME>_PORT if compose sets it."""
    value = environment.get(f"{name.upper()}_PORT")
    return int(interpolate(value)) if value else cfg.DEFAULT_PORTS[name]


def service_with_image(services, prefix):
    found = [name for name, spec in services.items() if str(spec.get("image", "")).startswith(prefix)]
    assert len(found) == 1, f"expected one compose service with image {prefix}*, found {found}"
    return found[0]


def healthcheck_test(service):
    test = (service.get("healthcheck") or {}).get("test")
    assert test, "no healthcheck"
    return " ".join(test) if isinstance(test, list) else str(test)


def dockerfile_instructions():
    """[(INSTRUCTION, arguments)] with line continuations joined and comments dropped."""
    lines, current = [], ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    if current:
        lines.append(current)
    return [tuple((line.split(None, 1) + [""])[:2]) for line in lines]


def initdb_databases(services):
    """Databases the scripts mounted into the postgres image's initdb folder create."""
    postgres = services[service_with_image(services, "postgres")]
    created, scripts = set(), []
    for volume in postgres.get("volumes") or []:
        source, _, rest = str(volume).partition(":")
        target = rest.split(":")[0]
        if target.startswith("/docker-entrypoint-initdb.d"):
            path = (COMPOSE_FILE.parent / source).resolve()
            assert path.exists(), f"postgres mounts {source}, which does not exist"
            files = sorted(path.iterdir()) if path.is_dir() else [path]
            scripts.extend(files)
            for script in files:
                text = script.read_text(encoding="utf-8")
                created.update(m.lower() for m in re.findall(r'CREATE\s+DATABASE\s+"?(\w+)"?', text, re.I))
    assert scripts, "no init script is mounted into /docker-entrypoint-initdb.d"
    return created


# ------------------------------------------------------------------ components

def test_every_component_is_a_compose_service(services):
    missing = [name for name in NAMES if name not in services]
    assert not missing, f"components without a compose service: {missing}"
    assert {"rabbitmq", "postgres", "prometheus"} <= set(services)


@pytest.mark.parametrize("name", NAMES)
def test_component_command_runs_its_nameko_service(services, name):
    component = BY_NAME[name]
    command = command_of(services[name])
    assert command[:2] == ["nameko", "run"], f"{name}: command is {command}"
    assert "--config" in command, f"{name}: no --config in {command}"
    config_path = command[command.index("--config") + 1]
    assert config_path == f"deploy/config/{name}.yaml"
    assert (ROOT / config_path).is_file()
    assert (CONFIG_DIR / f"{name}.yaml").samefile(ROOT / config_path)
    assert command[-1] == component.service, f"{name}: runs {command[-1]}, launcher runs {component.service}"

    module_name, class_name = component.service.split(":")
    service_class = getattr(importlib.import_module(module_name), class_name)
    assert service_class.name == name  # nameko service name = component name (rpc-<name> queue)


@pytest.mark.parametrize("name", NAMES)
def test_component_is_built_from_the_one_image(services, name):
    build = services[name].get("build")
    assert build, f"{name} is not built"
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (COMPOSE_FILE.parent / context / dockerfile).resolve() == DOCKERFILE.resolve()
    assert (COMPOSE_FILE.parent / context).resolve() == ROOT


@pytest.mark.parametrize("name", NAMES)
def test_nameko_config_reads_the_port_and_bind_host(name):
    """deploy/config/<name>.yaml listens on ${BIND_HOST}:${<NAME>_PORT:<default port>}."""
    text = (CONFIG_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    address = yaml.safe_load(text)["WEB_SERVER_ADDRESS"]
    assert re.fullmatch(r"\$\{BIND_HOST:[^}]*\}:\$\{%s_PORT:%d\}" % (name.upper(), cfg.DEFAULT_PORTS[name]),
                        address), f"{name}.yaml WEB_SERVER_ADDRESS is {address!r}"
    assert "${AMQP_URI" in text


@pytest.mark.parametrize("name", NAMES)
def test_component_healthcheck_hits_its_own_port(services, name):
    environment = environment_of(services[name])
    test = healthcheck_test(services[name])
    urls = re.findall(r"http://(?:127\.0\.0\.1|localhost):(\d+)(/\S*?)['\"]", test)
    assert urls, f"{name}: healthcheck does not call a local URL: {test}"
    assert [(int(port), path) for port, path in urls] == [(expected_port(name, environment), "/healthz")]
    assert "curl" not in test and "wget" not in test, "python:3.11-slim has neither curl nor wget"
    assert services[name]["healthcheck"]["test"][0] == "CMD"


@pytest.mark.parametrize("name", NAMES)
def test_component_port_is_the_code_default(services, name):
    """The compose file may set <NAME>_PORT, but Prometheus and the docs assume the default."""
    assert expected_port(name, environment_of(services[name])) == cfg.DEFAULT_PORTS[name]


def test_gateway_port_is_published(services):
    assert cfg.DEFAULT_PORTS["gateway"] in container_ports(services["gateway"])


@pytest.mark.parametrize("name", [name for name in NAMES if name != "gateway"])
def test_services_publish_no_host_port_so_they_scale(services, name):
    """`docker compose up --scale <name>=3` (README) fails if replicas share a host port."""
    assert container_ports(services[name]) == set()


@pytest.mark.parametrize("name", NAMES)
def test_component_runs_in_production_listening_on_all_interfaces(services, name):
    environment = environment_of(services[name])
    assert environment.get("APP_ENV") == cfg.PRODUCTION
    bind_host = environment.get("BIND_HOST") or dockerfile_env().get("BIND_HOST")
    assert bind_host == "0.0.0.0", f"{name} would listen on {bind_host!r} inside its container"


@pytest.mark.parametrize("name", NAMES)
def test_component_amqp_uri_points_at_rabbitmq(services, name):
    rabbitmq_name = service_with_image(services, "rabbitmq")
    rabbitmq_env = environment_of(services[rabbitmq_name])
    raw = environment_of(services[name]).get("AMQP_URI")
    assert raw, f"{name} has no AMQP_URI (it would use {cfg.DEFAULT_AMQP_URI})"
    uri = urlparse(interpolate(raw))
    assert uri.scheme == "amqp"
    assert uri.hostname == rabbitmq_name
    assert uri.port in (None, 5672)
    assert uri.username == rabbitmq_env.get("RABBITMQ_DEFAULT_USER", "guest")
    assert uri.password == interpolate(rabbitmq_env.get("RABBITMQ_DEFAULT_PASS", "guest"))


@pytest.mark.parametrize("name", NAMES)
def test_component_waits_for_healthy_dependencies(services, name):
    needs = depends_on(services[name])
    rabbitmq_name = service_with_image(services, "rabbitmq")
    postgres_name = service_with_image(services, "postgres")
    assert needs.get(rabbitmq_name) == "service_healthy"
    if name in cfg.SERVICES_WITH_DATABASE:
        assert needs.get(postgres_name) == "service_healthy"
    assert needs.pop("preflight", None) == "service_completed_successfully", f"{name} does not wait for preflight"
    for other, condition in needs.items():
        assert condition == "service_healthy", f"{name} waits for {other} only to start"
        if other in BY_NAME:  # components start in the launcher's order
            assert NAMES.index(other) < NAMES.index(name), f"{name} depends on {other}, started after it"


def test_gateway_starts_after_every_service(services):
    assert set(depends_on(services["gateway"])) >= set(NAMES) - {"gateway"}


@pytest.mark.parametrize("name", ["rabbitmq", "postgres"])
def test_infrastructure_has_a_healthcheck(services, name):
    test = healthcheck_test(services[name])
    expected = {"rabbitmq": "rabbitmq-diagnostics", "postgres": "pg_isready"}[name]
    assert expected in test


def test_postgres_data_is_a_named_volume(compose, services):
    postgres = services[service_with_image(services, "postgres")]
    mounts = [str(volume).split(":") for volume in postgres.get("volumes") or []]
    data = [source for source, target, *_ in mounts if target == "/var/lib/postgresql/data"]
    assert len(data) == 1 and data[0] in (compose.get("volumes") or {}), f"postgres data volume: {data}"


# ------------------------------------------------------------------- databases

def test_init_script_creates_one_database_per_service(services):
    assert initdb_databases(services) == {f"gridgov_{name}" for name in cfg.SERVICES_WITH_DATABASE}


def test_services_with_a_database_are_the_classes_with_one():
    with_database = set()
    for component in COMPONENTS:
        module_name, class_name = component.service.split(":")
        service_class = getattr(importlib.import_module(module_name), class_name)
        if any(isinstance(getattr(service_class, attr, None), Database) for attr in dir(service_class)):
            with_database.add(component.name)
    assert with_database == set(cfg.SERVICES_WITH_DATABASE)


@pytest.mark.parametrize("name", NAMES)
def test_component_gets_only_its_own_database_url(services, name):
    environment = environment_of(services[name])
    db_keys = {key for key in environment if key.endswith("DB_URL") or key == "DATABASE_URL"}
    if name not in cfg.SERVICES_WITH_DATABASE:
        assert db_keys == set(), f"{name} owns no database but gets {db_keys}"
        return
    assert db_keys == {f"{name.upper()}_DB_URL"}, f"{name} gets {db_keys}"

    postgres_name = service_with_image(services, "postgres")
    postgres_env = environment_of(services[postgres_name])
    url = urlparse(interpolate(environment[f"{name.upper()}_DB_URL"]))
    assert url.scheme in ("postgresql", "postgresql+psycopg2")
    assert url.hostname == postgres_name
    assert url.port in (None, 5432)
    assert url.username == postgres_env.get("POSTGRES_USER", "postgres")
    assert url.password == interpolate(postgres_env["POSTGRES_PASSWORD"])
    database = url.path.lstrip("/")
    assert database == f"gridgov_{name}"
    assert database in initdb_databases(services)


def test_each_service_has_a_database_of_its_own(services):
    databases = [urlparse(interpolate(environment_of(services[name])[f"{name.upper()}_DB_URL"])).path
                 for name in cfg.SERVICES_WITH_DATABASE]
    assert len(set(databases)) == len(databases) == 4


# --------------------------------------------------------------------- secrets

@pytest.mark.parametrize("service, variable", [
    ("postgres", "POSTGRES_PASSWORD"),
    ("rabbitmq", "RABBITMQ_DEFAULT_PASS"),
    ("grafana", "GF_SECURITY_ADMIN_PASSWORD"),
    ("postgres-exporter", "DATA_SOURCE_PASS"),
])
def test_secrets_compose_needs_come_from_dotenv_and_are_required(services, service, variable):
    raw = environment_of(services[service]).get(variable)
    assert raw and re.fullmatch(r"\$\{\w+:\?[^}]*\}", raw), f"{service}.{variable} = {raw!r}"


def test_compose_refuses_to_start_without_the_secrets_it_needs():
    assert set(COMPOSE_SECRETS) == {"POSTGRES_PASSWORD", "RABBITMQ_PASSWORD", "GRAFANA_ADMIN_PASSWORD"}
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    for secret in COMPOSE_SECRETS:
        env = {key: value for key, value in HOST_ENV.items() if key != secret}
        with pytest.raises(AssertionError, match=secret):
            for spec in document["services"].values():
                for value in environment_of(spec).values():
                    interpolate(value, env)


@pytest.mark.parametrize("name", NAMES)
def test_every_setting_reaches_the_component_from_dotenv(services, name):
    """env_file: .env passes every setting; the environment block holds only what
    compose decides itself (declared so), and never a secret the preflight checks."""
    assert services[name].get("env_file") in (".env", [".env"]), f"{name} does not read .env"
    for key in environment_of(services[name]):
        setting = settings.BY_NAME.get(key)
        assert setting is not None, f"{name} sets {key}, which common.settings does not declare"
        assert setting.compose == settings.SET_BY_COMPOSE, f"{name} sets {key} over .env, declared {setting.compose}"
    for setting in settings.SETTINGS:
        if setting.required and setting.compose == settings.PASSED:
            assert setting.name not in environment_of(services[name])


def test_preflight_checks_dotenv_before_anything_starts(services):
    preflight = services["preflight"]
    assert command_of(preflight) == ["python", "-m", "common.settings", "check", "--env-file", "/run/gridgov/.env"]
    assert "./.env:/run/gridgov/.env:ro" in preflight["volumes"]
    assert preflight.get("restart") == "no" and preflight.get("network_mode") == "none"
    assert preflight.get("image") == services["gateway"]["image"]  # the same image, so the same check
    for name, spec in services.items():
        if name != "preflight":
            assert depends_on(spec).get("preflight") == "service_completed_successfully", name


def test_no_secret_value_is_written_in_the_compose_file(services):
    for name, spec in services.items():
        for key, raw in environment_of(spec).items():
            if raw and re.search(r"SECRET|PASSWORD|_PASS$", key):
                assert raw.startswith("${"), f"{name}.{key} is written in the file"
            if raw and "://" in raw:  # passwords inside URLs
                password = urlparse(raw).password
                assert password is None or password.startswith("${"), f"{name}.{key} has a literal password"


# -------------------------------------------------------------------- Dockerfile

def dockerfile_env():
    env = {}
    for instruction, arguments in dockerfile_instructions():
        if instruction.upper() == "ENV":
            for token in shlex.split(arguments):
                if "=" in token:
                    key, value = token.split("=", 1)
                    env[key] = value
    return env


def test_dockerfile_runs_as_a_non_root_user():
    users = [arguments for instruction, arguments in dockerfile_instructions() if instruction.upper() == "USER"]
    assert users, "deploy/Dockerfile has no USER: the components would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0", "")


def test_dockerfile_installs_the_source_tree_from_the_base_image():
    stages = [arguments for instruction, arguments in dockerfile_instructions() if instruction.upper() == "FROM"]
    # every stage from the pinned base; the last one (what `docker build` tags) is the runtime
    assert all(re.fullmatch(r"python:3\.11-slim(-\w+)?@sha256:[0-9a-f]{64}( AS \w+)?", s) for s in stages), stages
    assert " AS " not in stages[-1]
    last = max(i for i, (instruction, _) in enumerate(dockerfile_instructions()) if instruction.upper() == "FROM")
    instructions = dockerfile_instructions()[last:]
    runs = " ".join(arguments for instruction, arguments in instructions if instruction.upper() == "RUN")
    assert re.search(r"pip install (--\S+ )*-e \.", runs), "the project is not installed editable"
    copies = [arguments for instruction, arguments in instructions if instruction.upper() == "COPY"]
    assert ". ." in copies, "the source tree (with services/*/migrations) is not copied"
    assert "--from=portal /portal/dist ./portal/dist" in copies, "the portal's built files are not copied"
    assert dockerfile_env().get("BIND_HOST") == "0.0.0.0"


def test_dockerfile_healthcheck_and_default_command():
    instructions = dict(dockerfile_instructions())
    healthcheck = instructions["HEALTHCHECK"]
    assert "/healthz" in healthcheck and "urllib" in healthcheck and "curl" not in healthcheck
    command = yaml.safe_load(instructions["CMD"])  # exec form: a JSON list
    assert command[:3] == ["nameko", "run", "--config"]
    assert (ROOT / command[3]).is_file()
    assert command[4] in {component.service for component in COMPONENTS}


def test_dockerignore_keeps_local_state_out_of_the_image():
    patterns = {line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()}
    for required in (".venv", "data", ".git", ".pytest_cache", ".env"):
        assert required in patterns, f".dockerignore does not exclude {required}"
    assert "**/__pycache__" in patterns
    for needed in ("pyproject.toml", "README.md", "deploy", "services", "common", "gateway"):
        assert needed not in patterns and f"{needed}/" not in patterns


# ------------------------------------------------------------------ Prometheus

def scrape_targets(prometheus_config):
    """{job: [(host, port, metrics_path)]} of the static targets."""
    jobs = {}
    for job in prometheus_config["scrape_configs"]:
        path = job.get("metrics_path", "/metrics")
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host, port = target.rsplit(":", 1)
                jobs.setdefault(job["job_name"], []).append((host, int(port), path))
    return jobs


# Jobs that scrape the infrastructure: job -> (compose service, port, metrics path).
INFRASTRUCTURE_JOBS = {
    "rabbitmq": ("rabbitmq", 15692, "/metrics"),
    "rabbitmq-queues": ("rabbitmq", 15692, "/metrics/detailed"),
    "postgres": ("postgres-exporter", 9187, "/metrics"),
}


def test_prometheus_scrapes_every_component_on_its_port(prometheus_config, services):
    jobs = scrape_targets(prometheus_config)
    scraped = {}
    for job, targets in jobs.items():
        if job in INFRASTRUCTURE_JOBS:
            assert targets == [INFRASTRUCTURE_JOBS[job]], f"job {job} scrapes {targets}"
            assert INFRASTRUCTURE_JOBS[job][0] in services
            continue
        for host, port, path in targets:
            assert host in BY_NAME and host in services, f"job {job} scrapes {host}, not a component service"
            environment = environment_of(services[host])
            metrics_port = environment.get("METRICS_PORT")
            assert port == (int(metrics_port) if metrics_port else expected_port(host, environment)), f"{host}:{port}"
            assert path == "/metrics"
            assert job == host, f"job {job} scrapes {host}"
            scraped[host] = port
    assert set(scraped) == set(cfg.DEFAULT_PORTS)


def test_prometheus_interval_and_rules(prometheus_config):
    assert prometheus_config["global"]["scrape_interval"] == "15s"
    rule_files = prometheus_config.get("rule_files") or []
    assert rule_files == ["alerts.yml"]
    for rule_file in rule_files:
        assert (PROMETHEUS_DIR / rule_file).is_file()


def test_prometheus_service_mounts_the_config(services):
    prometheus = services[service_with_image(services, "prom/prometheus")]
    mounts = [str(volume).split(":") for volume in prometheus.get("volumes") or []]
    config_mounts = [(source, target) for source, target, *_ in mounts if target == "/etc/prometheus"]
    assert config_mounts and (COMPOSE_FILE.parent / config_mounts[0][0]).resolve() == PROMETHEUS_DIR
    assert "--config.file=/etc/prometheus/prometheus.yml" in (prometheus.get("command") or [])
    assert 9090 in container_ports(prometheus)


def exported_sample_names(tmp_path):
    """Every sample name a component can export: the platform metrics plus the
    outbox and ticket gauges (collected from a real, empty tickets database)."""
    from common.cli import open_database
    from common.metrics import PlatformMetrics
    from common.outbox import _PendingCollector
    from tickets import MIGRATIONS_DIR
    from tickets.gauges import _TicketCollector

    metrics = PlatformMetrics()
    db = open_database("tickets", MIGRATIONS_DIR, {"DB_URL": f"sqlite:///{tmp_path / 'tickets.db'}"})
    metrics.registry.register(_PendingCollector(db))
    metrics.registry.register(_TicketCollector(db))
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "gauge": [""]}
    names = set()
    try:
        for family in metrics.registry.collect():
            names.update(family.name + suffix for suffix in suffixes.get(family.type, [""]))
    finally:
        db.engine.dispose()
    return names


def test_alert_rules_use_metrics_the_code_exports(tmp_path):
    groups = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text(encoding="utf-8"))["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert rules and all("alert" in rule and rule.get("labels", {}).get("severity") for rule in rules)
    used = {name for rule in rules for name in re.findall(r"\bgridgov_\w+", rule["expr"])}
    exported = exported_sample_names(tmp_path)
    assert used, "no rule uses a gridgov metric"
    assert used <= exported, f"alerts use metrics nobody exports: {sorted(used - exported)}"
    for needed in ("gridgov_entrypoint_calls_total", "gridgov_outbox_oldest_pending_age_seconds"):
        assert needed in used
    jobs = {job for rule in rules for job in re.findall(r'job=~?"([^"]+)"', rule["expr"])}
    for selector in jobs:  # job selectors name real components or scraped infrastructure
        assert set(selector.split("|")) <= set(NAMES) | set(INFRASTRUCTURE_JOBS), selector
    assert any(re.search(r"\bup\b", rule["expr"]) for rule in rules)


# ---------------------------------------------------------------------- README

def test_readme_ports_table_matches_default_ports():
    """README.md must have a ports table with one row per component, for example
    ``| gateway | 8000 | GATEWAY_PORT |``, agreeing with common.config.DEFAULT_PORTS.
    Fails while README.md or the table is missing (README is written separately)."""
    assert README.is_file(), "README.md is missing (it needs the ports table)"
    row = re.compile(r"^\|\s*`?([\w-]+)`?\s*\|\s*`?(\d+)`?\s*\|\s*`?([A-Z_]+)`?\s*\|", re.M)
    rows = {name: (int(port), variable) for name, port, variable in row.findall(README.read_text(encoding="utf-8"))
            if name in cfg.DEFAULT_PORTS}
    expected = {name: (port, f"{name.upper()}_PORT") for name, port in cfg.DEFAULT_PORTS.items()}
    assert rows == expected, "README ports table rows '| <component> | <port> | <NAME>_PORT |' disagree with DEFAULT_PORTS"


# ---------------------------------------------------------- the file as a whole

def test_gateway_metrics_port_is_internal(services):
    """Prometheus scrapes the gateway's METRICS_PORT on the compose network; the public
    port answers 404 for /metrics (tests/unit/test_metrics_port.py)."""
    metrics_port = int(environment_of(services["gateway"])["METRICS_PORT"])
    assert metrics_port != cfg.DEFAULT_PORTS["gateway"]
    assert metrics_port not in container_ports(services["gateway"])


def test_no_top_level_name(compose):
    """Debian's docker-compose 1.29 rejects a top-level `name:`."""
    assert set(compose) <= {"services", "volumes", "networks", "configs", "secrets"} | {
        key for key in compose if key.startswith("x-")}


def test_every_service_rotates_its_logs_and_has_limits(compose, services):
    anchor = compose["x-logging"]
    assert anchor["driver"] == "json-file" and {"max-size", "max-file"} <= set(anchor["options"])
    for name, spec in services.items():
        assert spec.get("logging") == anchor, f"{name} does not use the x-logging anchor"
        limits = ((spec.get("deploy") or {}).get("resources") or {}).get("limits") or {}
        assert re.fullmatch(r"\d+[MG]", str(limits.get("memory", ""))), f"{name}: no memory limit"
        assert 0 < float(limits.get("cpus", 0)) <= 2, f"{name}: no cpu limit"
        # docker-compose 1.29 applies deploy.resources.limits without swarm, but ignores
        # reservations.cpus and lets deploy.restart_policy override `restart`.
        assert set(spec["deploy"]) == {"resources"} and set(spec["deploy"]["resources"]) == {"limits"}


DIGEST = re.compile(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}")


def test_every_image_is_pinned_by_digest(services):
    images = {name: spec["image"] for name, spec in services.items() if "build" not in spec}
    for number, (instruction, arguments) in enumerate(dockerfile_instructions()):
        if instruction.upper() == "FROM":
            images[f"deploy/Dockerfile FROM #{number}"] = arguments.split(" AS ")[0]
    for name, image in images.items():
        if image in UNPINNED.values():
            continue
        assert DIGEST.fullmatch(image), f"{name}: {image} is not pinned as name:tag@sha256:<digest>"
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for name, spec in services.items():  # each digest says where it comes from, in a comment above it
        if "build" not in spec:
            above = text[:text.index(f"image: {spec['image']}")].rsplit("\n", 2)[-2]
            assert above.strip().startswith("# tag "), f"{name}: no '# tag ...' comment above its image"


def write_dotenv(folder):
    """A .env made from .env.example with the secrets filled in."""
    text = settings.ENV_EXAMPLE.read_text(encoding="utf-8")
    for name, value in HOST_ENV.items():
        text = text.replace(f"\n{name}=\n", f"\n{name}={value}\n")
    for name, value in OTHER_ENV.items():
        text = text.replace(f"\n#{name}=\n", f"\n{name}={value}\n")
    (folder / ".env").write_text(text, encoding="utf-8")
    assert settings.check(settings.read_env_file(folder / ".env")) == ([], [])


def test_docker_compose_accepts_the_file(tmp_path):
    """Debian's docker-compose (1.29) validates the file with a .env made from
    .env.example (it fails on a top-level `name:`, an unknown key, a bad condition)."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose; .ci/run does)")
    shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    write_dotenv(tmp_path)
    result = subprocess.run([binary, "-f", "docker-compose.yml", "config", "-q"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
