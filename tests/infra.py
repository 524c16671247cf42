"""Where the tests' broker and databases come from.

Order: services named by environment variables (CI and this machine: the local
RabbitMQ and PostgreSQL); else testcontainers when a Docker engine answers; else
the local defaults if they answer; else the tests that need them are skipped.

- Broker: ``TEST_AMQP_URI`` or ``AMQP_URI``. Each test session gets its own vhost
  (through the management API when it answers) so leftovers never leak in.
- Databases: ``GRID_DB_URL``/``PEOPLE_DB_URL``/``TICKETS_DB_URL``/``SCORING_DB_URL``
  (PostgreSQL, as .ci/run sets them): their schemas are reset at session start.
  ``TEST_PG_URL`` names a server for scratch databases; derived from those URLs
  when unset. With no PostgreSQL at all, SQLite files in a temporary folder.
"""
import os
import uuid
import warnings
from dataclasses import dataclass, field
from urllib.parse import quote, urlparse

from kombu import Connection
from sqlalchemy import create_engine, make_url, text

from devtools import vhosts

SERVICES = ("grid", "people", "tickets", "scoring")
LOCAL_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def _answers_amqp(uri):
    try:
        with Connection(uri, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


def _answers_pg(url):
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def _docker_answers():
    try:
        import docker
        docker.from_env().ping()
        return True
    except Exception:
        return False


@dataclass
class Infra:
    amqp_uri: str | None = None           # base broker URI (default vhost)
    management_url: str | None = None     # e.g. http://guest:guest@127.0.0.1:15672
    pg_server_url: str | None = None      # a database on the server to run CREATE DATABASE from
    service_db_urls: dict = field(default_factory=dict)  # given by the environment
    containers: list = field(default_factory=list)
    skip_reason: str = ""

    @property
    def postgres(self):
        return self.pg_server_url is not None


def discover():
    infra = Infra()
    infra.amqp_uri = os.environ.get("TEST_AMQP_URI") or os.environ.get("AMQP_URI")
    urls = {s: os.environ[f"{s.upper()}_DB_URL"] for s in SERVICES if os.environ.get(f"{s.upper()}_DB_URL")}
    infra.service_db_urls = urls
    infra.pg_server_url = os.environ.get("TEST_PG_URL")
    if not infra.pg_server_url and urls:
        infra.pg_server_url = make_url(next(iter(urls.values()))).set(database="postgres").render_as_string(False)

    if (not infra.amqp_uri or not infra.pg_server_url) and _docker_answers():
        from testcontainers.postgres import PostgresContainer
        from testcontainers.rabbitmq import RabbitMqContainer
        if not infra.amqp_uri:
            rabbit = RabbitMqContainer("rabbitmq:3-management").start()
            infra.containers.append(rabbit)
            infra.amqp_uri = (f"amqp://guest:guest@{rabbit.get_container_host_ip()}:"
                              f"{rabbit.get_exposed_port(5672)}/")
            infra.management_url = (f"http://guest:guest@{rabbit.get_container_host_ip()}:"
                                    f"{rabbit.get_exposed_port(15672)}")
        if not infra.pg_server_url:
            pg = PostgresContainer("postgres:15", driver="psycopg2").start()
            infra.containers.append(pg)
            infra.pg_server_url = pg.get_connection_url()

    if not infra.amqp_uri and _answers_amqp(LOCAL_AMQP):
        infra.amqp_uri = LOCAL_AMQP
    if not infra.pg_server_url and os.environ.get("TEST_SQLITE_ONLY") != "1" and _answers_pg(LOCAL_PG):
        infra.pg_server_url = LOCAL_PG
    if infra.amqp_uri and not infra.management_url:
        parts = urlparse(infra.amqp_uri)
        infra.management_url = (f"http://{parts.username or 'guest'}:{parts.password or 'guest'}"
                                f"@{parts.hostname or '127.0.0.1'}:15672")
    if not infra.amqp_uri:
        infra.skip_reason = "no RabbitMQ: set AMQP_URI, run a Docker engine, or start the local broker"
    return infra


# --- broker vhosts -----------------------------------------------------------

def create_vhost(infra):
    """A fresh vhost and the AMQP URI for it; the base URI, with a warning, if none
    can be made (the tests then share queues with whatever else uses it)."""
    name = f"gridgov-test-{uuid.uuid4().hex[:8]}"
    if not vhosts.create_vhost(name, infra.management_url):
        warnings.warn("could not create a test vhost (no management API, no rabbitmqctl): the tests share "
                      f"{infra.amqp_uri} with anything else on it, such as a running make run")
        return None, infra.amqp_uri
    return name, infra.amqp_uri.rstrip("/") + "/" + quote(name, safe="")


def delete_vhost(infra, name):
    if name:
        vhosts.delete_vhost(name, infra.management_url)


# --- databases ----------------------------------------------------------------

def _admin_engine(infra):
    return create_engine(infra.pg_server_url, isolation_level="AUTOCOMMIT")


def create_database(infra, name):
    engine = _admin_engine(infra)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(infra.pg_server_url).set(database=name).render_as_string(False)


def drop_database(infra, name):
    engine = _admin_engine(infra)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def reset_schema(url):
    """Empty a database the environment named (CI creates them once)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
