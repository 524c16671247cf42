"""The platform as the browser tests use it: ``Portal`` (the running stack, the portal's
address, accounts and data made through the API) and ``large_platform``, a platform of
its own holding the large district (11,269 grids), for the speed tests."""
import contextlib
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import infra as infrastructure
from stack import Stack, stack_env

API = "/api/v1"
PASSWORD = "Passw0rd-2026"
LARGE_START_TIMEOUT = 270   # grid indexes 11,269 polygons before it answers /healthz


@dataclass
class Account:
    username: str
    password: str
    token: str
    roles: list
    scope: str | None = None


class Portal:
    """The running platform (``stack``) and the portal its gateway serves."""

    def __init__(self, stack):
        self.stack = stack
        self.url = f"{stack.gateway}/portal/"
        self.admin = stack.login()

    def api(self, method, path, token=None, body=None, expect=None, **kwargs):
        """``method path`` as ``token`` (the admin's by default); with ``expect``, the JSON
        answer, after checking the status."""
        response = self.stack.call(method, path if path.startswith("/") else f"{API}/{path}",
                                   token or self.admin, body, **kwargs)
        if expect is None:
            return response
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response.json() if response.content else None

    def account(self, roles, scope=None, department=None, display_name="浏览器测试", person_id=None):
        """A fresh account with these roles and grid scope, to sign in with."""
        username = f"e{uuid.uuid4().hex[:9]}"
        body = {"username": username, "display_name": display_name, "password": PASSWORD, "roles": list(roles),
                "grid_scope": scope, "person_id": person_id}
        if department:
            body["department_code"] = department
            self.stack.register_department(self.admin, department)
        self.api("POST", "accounts", body=body, expect=201)
        return Account(username, PASSWORD, self.stack.login(username, PASSWORD), list(roles), scope)

    def district(self, county, name, x, y, grids=3, size=0.01, households=40):
        """Import county > street 001 > community 001 > ``grids`` grids side by side (west to
        east, each ``size`` degrees square) at (x, y); returns the grids' codes."""
        from shapely.geometry import box, mapping

        street, community = f"{county}001", f"{county}001001"
        whole = box(x, y, x + grids * size, y + size)

        def feature(code, label, shape, parent):
            return {"type": "Feature", "geometry": mapping(shape),
                    "properties": {"code": code, "name": label, "parent_code": parent, "households": households}}

        codes = [f"{community}{n:03d}" for n in range(1, grids + 1)]
        features = [feature(county, f"{name}区", whole, None), feature(street, f"{name}街道", whole, county),
                    feature(community, f"{name}社区", whole, street)] + [
            feature(code, f"{name}{n}网格", box(x + (n - 1) * size, y, x + n * size, y + size), community)
            for n, code in enumerate(codes, 1)]
        self.api("POST", "grids/import", body={"type": "FeatureCollection", "features": features}, expect=201)
        return codes

    def staff(self, grid, role="full_time_worker", name="浏览器测试员"):
        """A person on the roster posted in ``grid``; returns the person."""
        from idnumbers import fresh_id_number

        person = self.api("POST", "staff", body={"name": name, "id_number": fresh_id_number()}, expect=201)
        self.api("POST", f"staff/{person['id']}/assignments", expect=201,
                 body={"grid_code": grid, "role": role, "start_date": "2026-01-01"})
        return person

    def route(self, hash_path):
        """The portal's address of a hash route: ``route('/tickets/T1')``."""
        return f"{self.url}#{hash_path}"

    def open_tickets(self, grid, count, workers=8):
        """``count`` open tickets in ``grid``, reported through the API ``workers`` at a time."""
        def report(n):
            return self.api("POST", "tickets", body={"category": "UM04", "grid_code": grid,
                                                     "description": f"队列第{n}件：垃圾桶满溢，请清运"}, expect=201)
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(report, range(1, count + 1)))


class LargeDistrictStack(Stack):
    """A Stack whose grid database holds the large district before the components start
    (rows written as bench/coverage.py writes them: an import of 11,269 grids through
    the API would take minutes)."""

    def start(self):
        from bench.coverage import seed_grid
        from common.launcher import ROOT, start_all
        from grid.generator import build, large_spec

        subprocess.run([sys.executable, "-m", "grid.demo"], env=self.env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)   # the schema, and the demo district
        seed_grid(self.env["GRID_DB_URL"], build(large_spec(), radius_deg=0.25))
        self.processes = start_all(self.env, self.log_dir, LARGE_START_TIMEOUT)
        return self


@contextlib.contextmanager
def large_platform(infra, tmp_path_factory):
    """A Portal on a platform of its own (fresh vhost and databases) with the large district."""
    vhost, amqp_uri = infrastructure.create_vhost(infra)
    created, db_urls = [], {}
    for service in infrastructure.SERVICES:
        if infra.postgres:
            name = f"gridgov_e2e_{service}_{uuid.uuid4().hex[:6]}"
            db_urls[service] = infrastructure.create_database(infra, name)
            created.append(name)
    data_dir = tmp_path_factory.mktemp("large-data")
    for service in infrastructure.SERVICES:
        db_urls.setdefault(service, f"sqlite:///{data_dir / (service + '.db')}")
    log_dir = tmp_path_factory.mktemp("large-logs")
    running = LargeDistrictStack(stack_env(amqp_uri, db_urls, data_dir), log_dir)
    try:
        running.start()
        yield Portal(running)
    finally:
        running.stop()
        print(f"\nlarge district platform's logs: {log_dir}")
        infrastructure.delete_vhost(infra, vhost)
        for name in created:
            infrastructure.drop_database(infra, name)
