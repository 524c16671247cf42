"""The whole platform as real processes for integration tests: five ``nameko run``
processes on their own vhost, databases and ports, driven over HTTP."""
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
import uuid

import requests
from shapely.geometry import box, mapping
from sqlalchemy import JSON, bindparam, create_engine, text

from common.db import UtcDateTime
from common.launcher import BY_NAME, ROOT, ServiceProcess, start_all, stop_all

ADMIN_PASSWORD = "TestAdmin2026"
# The built portal (make portal, which make test runs first); without it, a stand-in of
# a few files, so the portal's routes answer as built ones do.
PORTAL_BUILT = os.path.join(ROOT, "portal", "dist")
PORTAL_STANDIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "portal-standin")
JWT_SECRET = "integration-tests-secret-0123456789abcdef"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    def __init__(self, env, log_dir):
        self.env = env
        self.log_dir = log_dir
        self.processes = {}

    # --- lifecycle -------------------------------------------------------------
    def start(self):
        subprocess.run([sys.executable, "-m", "grid.demo"], env=self.env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes = start_all(self.env, self.log_dir)
        return self

    def stop(self):
        stop_all(self.processes)

    def restart(self, name, **extra_env):
        """Start ``name`` again (after stop or kill), optionally with extra settings."""
        self.processes[name].stop()
        env = dict(self.env, **{k: str(v) for k, v in extra_env.items()})
        process = ServiceProcess(BY_NAME[name], env, self.log_dir / f"{name}.log")
        self.processes[name] = process.start().wait_healthy(90)
        return process

    def kill(self, name):
        self.processes[name].kill()

    def log(self, name):
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    # --- HTTP ------------------------------------------------------------------
    @property
    def gateway(self):
        return self.processes["gateway"].url

    def call(self, method, path, token=None, body=None, data=None, timeout=10, **kwargs):
        headers = dict(kwargs.pop("headers", None) or {})  # the caller's dict stays as it was
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        return requests.request(method, f"{self.gateway}{path}", data=data, headers=headers,
                                timeout=timeout, **kwargs)

    def login(self, username="admin", password=ADMIN_PASSWORD):
        response = self.call("POST", "/api/v1/auth/login", body={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def new_account(self, admin, roles, scope=None, department=None, display_name="测试账号", person_id=None):
        """A fresh account with these roles; returns its token."""
        username = f"t{uuid.uuid4().hex[:9]}"
        body = {"username": username, "display_name": display_name, "password": "Passw0rd-2026", "roles": roles,
                "grid_scope": scope, "person_id": person_id}
        if department:
            body["department_code"] = department
            self.register_department(admin, department)
        created = self.call("POST", "/api/v1/accounts", admin, body)
        assert created.status_code == 201, created.text
        return self.login(username, "Passw0rd-2026")

    def register_department(self, admin, code, name=None):
        """Register a department in people (its accounts must name a registered one),
        unless it is registered already."""
        response = self.call("POST", "/api/v1/departments", admin,
                             {"code": code, "name": name or code, "kind": "functional_department"})
        assert response.status_code in (201, 409), response.text

    # --- grids for tests that change them -------------------------------------------------
    def square_district(self, token, county, name, x, y, size=0.02, households=None):
        """Import county > street 001 > community 001 > grid 001, each the same square
        at (x, y); returns the grid's code."""
        whole = mapping(box(x, y, x + size, y + size))
        chain = [(county, f"{name}区"), (f"{county}001", f"{name}街道"), (f"{county}001001", f"{name}社区"),
                 (f"{county}001001001", f"{name}网格")]
        features = [{"type": "Feature", "geometry": whole, "properties": {
            "code": code, "name": label, "parent_code": code[:-3] if len(code) > 6 else None}}
            for code, label in chain]
        features[-1]["properties"]["households"] = households
        response = self.call("POST", "/api/v1/grids/import", token, {"type": "FeatureCollection", "features": features})
        assert response.status_code == 201, response.text
        return chain[-1][0]

    def split_in_halves(self, token, code, x, y, size=0.02):
        """Split a square grid into its west and east halves."""
        return self.call("POST", f"/api/v1/grids/{code}/split", token, {"parts": [
            {"name": "西", "geometry": mapping(box(x, y, x + size / 2, y + size))},
            {"name": "东", "geometry": mapping(box(x + size / 2, y, x + size, y + size))}]})

    def wait_for(self, predicate, timeout=15, interval=0.2):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        return predicate()

    def waited(self, predicate, timeout=20):
        """What ``predicate`` found within ``timeout`` seconds; the test fails otherwise."""
        found = self.wait_for(predicate, timeout=timeout)
        assert found, f"waited {timeout} s in vain"
        return found

    # --- direct database access (assertions, and tampering in tamper tests) ------------
    def db_execute(self, service, sql, **params):
        engine = create_engine(self.env[f"{service.upper()}_DB_URL"])
        try:
            with engine.begin() as conn:
                return conn.execute(_typed(sql, params), params).rowcount
        finally:
            engine.dispose()

    def db_rows(self, service, sql, **params):
        engine = create_engine(self.env[f"{service.upper()}_DB_URL"])
        try:
            with engine.connect() as conn:
                return [dict(row._mapping) for row in conn.execute(_typed(sql, params), params)]
        finally:
            engine.dispose()


def _typed(sql, params):
    """The statement with its datetime parameters bound as the services store them
    (UTC; on SQLite in SQLAlchemy's text form, which an ISO string does not compare with),
    and its dicts and lists as JSON."""
    return text(sql).bindparams(*(bindparam(name, type_=UtcDateTime() if isinstance(value, dt.datetime) else JSON())
                                  for name, value in params.items() if isinstance(value, (dt.datetime, dict, list))))


def stack_env(amqp_uri, db_urls, data_dir):
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DB_URL")}
    env.update({
        "AMQP_URI": amqp_uri,
        "DATA_DIR": str(data_dir),
        "APP_ENV": "development",
        "ADMIN_USERNAME": "admin",
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "JWT_SECRET": JWT_SECRET,
        "RPC_TIMEOUT_SECONDS": "2",
        "OUTBOX_POLL_SECONDS": "0.5",
        "LOGIN_MAX_FAILURES": "3",
        "TRUSTED_PROXIES": "127.0.0.1",  # tests name a client's address with X-Forwarded-For
        "LOGIN_LOCK_MINUTES": "15",
        "MAX_REQUEST_BYTES": str(4 * 1024 * 1024),  # the 413 test sends a little more
        # The suite (role matrix, fuzz) sends thousands a minute from one address and
        # account: limits far above that; tests/integration/test_limits.py lowers them.
        "RATE_LIMIT_PER_MINUTE": "1000000",
        "RATE_LIMIT_ADDRESS_PER_MINUTE": "1000000",
        "PYTHONWARNINGS": "ignore",
        "LOG_LEVEL": "INFO",
        # webhooks retried and given up on in seconds, not hours
        "WEBHOOK_POLL_SECONDS": "0.3", "WEBHOOK_RETRY_SECONDS": "0.5", "WEBHOOK_MAX_ATTEMPTS": "3",
    })
    if "PORTAL_DIR" not in env and not os.path.isfile(os.path.join(PORTAL_BUILT, "index.html")):
        env["PORTAL_DIR"] = PORTAL_STANDIN
    for name in ("gateway", "grid", "people", "tickets", "scoring"):
        env[f"{name.upper()}_PORT"] = str(free_port())
    for service, url in db_urls.items():
        env[f"{service.upper()}_DB_URL"] = url
    return env
