"""The gateway as a nameko service: one HTTP entrypoint per declared route (named as
the route, so metrics count per route), each handing its request to the door. The
routes themselves are in gateway/routes/, declared as data."""
import logging

from nameko.extensions import DependencyProvider

from common import config as cfg
from common.http import http
from common.ops import OpsEndpoints
from common.rpc import ServiceRpc
from gateway import door
from gateway.auth import Callers, TokenIssuer, trusted_networks
from gateway.routes import ROUTES

log = logging.getLogger(__name__)


class Tokens(DependencyProvider):
    """The gateway's Callers: tokens signed with JWT_SECRET, TRUSTED_PROXIES believed."""

    def setup(self):
        config = self.container.config
        if not cfg.env("JWT_SECRET", None, config):
            log.warning("JWT_SECRET is not set: tokens are signed with a random key and die with this process")
        self.callers = Callers(
            TokenIssuer(cfg.secret("JWT_SECRET", config), cfg.env_int("TOKEN_TTL_SECONDS", 3600, config)),
            trusted_networks(cfg.env("TRUSTED_PROXIES", "", config)))

    def get_dependency(self, worker_ctx):
        return self.callers


class PublicSite(DependencyProvider):
    """PUBLIC_BASE_URL: the address residents reach the gateway at (behind the district's
    reverse proxy), printed in the public cards' QR codes; empty: the request's own."""

    def setup(self):
        self.base_url = cfg.env("PUBLIC_BASE_URL", "", self.container.config).rstrip("/")

    def get_dependency(self, worker_ctx):
        return self.base_url


class GatewayBase(OpsEndpoints):
    name = "gateway"

    tokens = Tokens()
    public_site = PublicSite()
    people = ServiceRpc("people", timeouts={"import_roster": 300, "send_broadcast": 60, "staffing_gaps": 60,
                                            "coverage": 60})
    grid = ServiceRpc("grid", timeouts={
        "import_grids": 600, "coverage": 300, "export_grids": 120, "sizing": 60, "split_grid": 30, "merge_grids": 30})
    tickets = ServiceRpc("tickets", timeouts={"ticket_statistics": 120})
    # a district's quarter: seconds to run or correct, half a minute to scan
    scoring = ServiceRpc("scoring", timeouts={"run_assessment": 120, "correct_assessment": 120,
                                              "export_assessment": 120, "consequences": 60, "scan_integrity": 300})


def _entrypoint(route):
    def entrypoint(self, request, **path):
        return door.handle(self, route, request, path)
    entrypoint.__name__ = entrypoint.__qualname__ = route.name
    entrypoint.__doc__ = route.summary
    return http(route.method, route.werkzeug_path)(entrypoint)


# The routes' entrypoints replace OpsEndpoints' own /healthz and /metrics (same names).
GatewayService = type("GatewayService", (GatewayBase,), {
    route.name: _entrypoint(route) for route in ROUTES})
GatewayService.__module__ = __name__
