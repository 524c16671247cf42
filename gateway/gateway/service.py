"""The gateway as a nameko service: one HTTP entrypoint per declared route (named as
the route, so metrics count per route), each handing its request to the door. The
routes themselves are in gateway/routes/, declared as data."""
import datetime as dt
import logging

from nameko.extensions import DependencyProvider
from nameko.timer import timer

from common import config as cfg
from common.http import http
from common.ops import OpsEndpoints
from common.errors import AppError
from common.rpc import ServiceRpc
from gateway import door
from gateway.portal import Portal
from gateway import limits as rate_limits
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
        # Tokens ended before this gateway started but within a token's life are refused too.
        self.callers.issuer.versions.since = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(
            seconds=self.callers.issuer.ttl_seconds)).isoformat()

    def get_dependency(self, worker_ctx):
        return self.callers


class Limits(DependencyProvider):
    """The door's rate limits (gateway.limits): per caller and per client address."""

    def setup(self):
        self.limits = rate_limits.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.limits


# How often each gateway asks people which accounts' tokens ended (their holders are
# refused at most this long after, by another replica; at once by the one that ended them).
REVOCATION_POLL_SECONDS = cfg.env_float("TOKEN_REVOCATION_POLL_SECONDS", 5)
REVOCATION_OVERLAP = dt.timedelta(seconds=30)  # longer than any transaction: a late commit is still seen


class PublicSite(DependencyProvider):
    """PUBLIC_BASE_URL: the address residents reach the gateway at (behind the district's
    reverse proxy), printed in the public cards' QR codes; empty: the request's own."""

    def setup(self):
        self.base_url = cfg.env("PUBLIC_BASE_URL", "", self.container.config).rstrip("/")

    def get_dependency(self, worker_ctx):
        return self.base_url


class PortalSite(DependencyProvider):
    """The built portal the gateway serves (PORTAL_DIR) and its settings
    (PORTAL_TILE_URL, PORTAL_TILE_ATTRIBUTION); a malformed tile URL stops the gateway
    at start, naming the variable."""

    def setup(self):
        config = self.container.config
        self.portal = Portal(cfg.env("PORTAL_DIR", "", config), cfg.env("PORTAL_TILE_URL", "", config),
                             cfg.env("PORTAL_TILE_ATTRIBUTION", "", config))

    def get_dependency(self, worker_ctx):
        return self.portal


class GatewayBase(OpsEndpoints):
    name = "gateway"

    tokens = Tokens()
    limits = Limits()
    public_site = PublicSite()
    portal = PortalSite()
    people = ServiceRpc("people", timeouts={"import_roster": 300, "send_broadcast": 60, "staffing_gaps": 60,
                                            "coverage": 60})
    grid = ServiceRpc("grid", timeouts={
        "import_grids": 600, "coverage": 300, "grid_shapes": 30, "export_grids": 120, "sizing": 60, "split_grid": 30, "merge_grids": 30})
    tickets = ServiceRpc("tickets", timeouts={"ticket_statistics": 120, "statistics_report": 120, "export_tickets": 60})
    # a district's quarter: seconds to run or correct, half a minute to scan
    scoring = ServiceRpc("scoring", timeouts={"run_assessment": 120, "correct_assessment": 120,
                                              "export_assessment": 120, "consequences": 60, "scan_integrity": 300})

    @timer(interval=REVOCATION_POLL_SECONDS)  # not eager: a call as the container starts can lose its reply
    def poll_token_revocations(self):
        """Learn which accounts' tokens ended since the last poll. People down: try again
        next time (the tokens it would end stay refused by the gateway that ended them)."""
        versions = self.tokens.issuer.versions
        try:
            answer = self.people.token_revocations(since=versions.since)
        except AppError as exc:
            log.warning("could not poll token revocations: %s", exc.code)
            return
        for item in answer["items"]:
            versions.note(item["account_id"], item["token_version"])
        versions.since = (dt.datetime.fromisoformat(answer["until"]) - REVOCATION_OVERLAP).isoformat()
        versions.forget_older_than(self.tokens.issuer.ttl_seconds + REVOCATION_OVERLAP.total_seconds())


def _entrypoint(route):
    def entrypoint(self, request, **path):
        if route.errors_as is None:
            return door.handle(self, route, request, path)
        try:
            return door.handle(self, route, request, path)
        except Exception as exc:  # noqa: BLE001 (every error of such a route is answered in its protocol's shape)
            return route.errors_as.answer(exc, path)
    entrypoint.__name__ = entrypoint.__qualname__ = route.name
    entrypoint.__doc__ = route.summary
    return http(route.method, route.werkzeug_path)(entrypoint)


# The routes' entrypoints replace OpsEndpoints' own /healthz and /metrics (same names).
GatewayService = type("GatewayService", (GatewayBase,), {
    route.name: _entrypoint(route) for route in ROUTES})
GatewayService.__module__ = __name__
