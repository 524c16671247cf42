"""/healthz is 200 only when the database and the broker answer, else 503 naming
the failing part; it recovers by itself when the part comes back (within the second
its checks' result is kept: common.ops.HEALTH_CACHE_SECONDS)."""
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, text

import infra as infrastructure
from common.launcher import BY_NAME, ServiceProcess
from common.ops import HEALTH_CACHE_SECONDS
from stack import free_port, stack_env


def health(process):
    response = requests.get(f"{process.url}/healthz", timeout=10)
    return response.status_code, response.json()


def health_turns(process, status, seconds=HEALTH_CACHE_SECONDS + 4):
    """The first answer with ``status``, asked until the cached result has expired."""
    deadline = time.monotonic() + seconds
    while True:
        answer = health(process)
        if answer[0] == status or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def admin_sql(infra, *statements):
    engine = create_engine(infra.pg_server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def test_healthz_names_the_failing_database_then_broker(broker, tmp_path):
    infra = broker
    if not infra.postgres:
        pytest.skip("needs PostgreSQL to take a database away from a running service")
    vhost, amqp_uri = infrastructure.create_vhost(infra)
    if vhost is None:
        pytest.skip("needs the RabbitMQ management API to create and remove a vhost")
    db_name = f"gridgov_health_{uuid.uuid4().hex[:8]}"
    db_url = infrastructure.create_database(infra, db_name)
    env = stack_env(amqp_uri, {"scoring": db_url}, tmp_path)
    env["SCORING_PORT"] = str(free_port())
    process = ServiceProcess(BY_NAME["scoring"], env, tmp_path / "scoring.log").start()
    try:
        process.wait_healthy(90)
        assert health(process) == (200, {"service": "scoring", "status": "ok",
                                         "checks": {"broker": "ok", "database": "ok"}})

        admin_sql(infra, f'ALTER DATABASE "{db_name}" ALLOW_CONNECTIONS false',
                  f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db_name}'")
        status, body = health_turns(process, 503)
        assert status == 503 and body["failing"] == ["database"]
        assert body["checks"]["broker"] == "ok" and body["checks"]["database"].startswith("error")

        admin_sql(infra, f'ALTER DATABASE "{db_name}" ALLOW_CONNECTIONS true')
        assert health_turns(process, 200)[0] == 200

        infrastructure.delete_vhost(infra, vhost)
        vhost = None
        status, body = health_turns(process, 503)
        assert status == 503 and body["failing"] == ["broker"]
    finally:
        process.kill()
        infrastructure.delete_vhost(infra, vhost)
        infrastructure.drop_database(infra, db_name)
