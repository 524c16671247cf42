"""Configuration from environment variables, with documented defaults.

Every variable is listed in README.md ("Configuration"). A value given in the
nameko config (``container.config``) wins over the environment, which lets tests
run several containers with different settings in one process.
"""
import os
import secrets
from pathlib import Path

DEVELOPMENT = "development"
PRODUCTION = "production"

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"

# component -> default HTTP port; each can be changed with <NAME>_PORT
DEFAULT_PORTS = {
    "gateway": 8000,
    "grid": 8001,
    "people": 8002,
    "tickets": 8003,
    "scoring": 8004,
}

SERVICES_WITH_DATABASE = ("grid", "people", "tickets", "scoring")


def env(name, default=None, config=None):
    """``config[name]`` if present, else the environment variable, else default."""
    if config is not None and config.get(name) not in (None, ""):
        return config[name]
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_int(name, default, config=None):
    return int(env(name, default, config))


def env_float(name, default, config=None):
    return float(env(name, default, config))


def env_bool(name, default, config=None):
    value = env(name, None, config)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def app_env(config=None):
    value = env("APP_ENV", DEVELOPMENT, config)
    if value not in (DEVELOPMENT, PRODUCTION):
        raise ValueError(f"APP_ENV must be '{DEVELOPMENT}' or '{PRODUCTION}', got {value!r}")
    return value


def is_production(config=None):
    return app_env(config) == PRODUCTION


def data_dir(config=None):
    return Path(env("DATA_DIR", "data", config)).resolve()


def database_url(service, config=None):
    """``DB_URL`` in the nameko config (tests), else ``<SERVICE>_DB_URL``, else a
    SQLite file ``<DATA_DIR>/<service>.db``. A plain ``DB_URL`` environment variable
    is ignored on purpose: it would point every service at one database."""
    url = (config or {}).get("DB_URL") or env(f"{service.upper()}_DB_URL", None, config)
    if url:
        return url
    folder = data_dir(config)
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / (service + '.db')}"


def amqp_uri(config=None):
    return env("AMQP_URI", DEFAULT_AMQP_URI, config)


def http_port(component, config=None):
    return env_int(f"{component.upper()}_PORT", DEFAULT_PORTS[component], config)


def metrics_port(config=None):
    """The internal port serving ``GET /metrics`` alone (common.ops), or None: then
    ``/metrics`` is on the component's HTTP port, as it always was."""
    value = env("METRICS_PORT", None, config)
    return None if value is None else int(value)


def rpc_timeout(config=None):
    """Seconds a caller waits for another service before answering 503."""
    return env_float("RPC_TIMEOUT_SECONDS", 3.0, config)


_generated_secrets = {}


def secret(name, config=None, min_length=32):
    """A secret from the environment. In production it is required; in development
    a random one is generated once per process (and a warning is logged by callers)."""
    value = env(name, None, config)
    if value:
        if is_production(config) and len(value) < min_length:
            raise ValueError(f"{name} must be at least {min_length} characters in production")
        return value
    if is_production(config):
        raise ValueError(f"{name} must be set when APP_ENV=production")
    return _generated_secrets.setdefault(name, secrets.token_urlsafe(48))
