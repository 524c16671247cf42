"""HTTP routes. Each is thin: authenticate, validate, call a service, answer."""
import base64
import functools
import logging

from nameko.extensions import DependencyProvider

from common import config as cfg
from common.actor import Actor
from common.errors import InvalidInput
from common.http import http, read_json
from common.ops import OpsEndpoints
from common.roles import ROLES
from common.rpc import ServiceRpc
from common.validation import load, refuse_nul
from gateway.auth import TokenIssuer
from gateway.schemas import (
    AssignmentQuery, GridDetailQuery, GridQuery, LocateQuery, LoginSchema, NewTicketRequest, PatrolListQuery,
    PlaceListQuery, PlaceLocation, RevealQuery, RootQuery, StatisticsQuery, SubtreeQuery, TicketListQuery,
)

log = logging.getLogger(__name__)

API = "/api/v1"
SUPERVISORS = ("admin", "district_officer", "town_leader", "community_officer", "grid_chief")
GRID_EDITORS = ("admin", "district_officer")
STAFF_MANAGERS = ("admin", "district_officer", "town_leader", "community_officer")
RESIDENT_EDITORS = ("admin", "community_officer", "grid_chief", "grid_worker")
POINTS_APPROVERS = ("admin", "community_officer", "grid_chief")
PLACE_EDITORS = ("admin", "district_officer", "town_leader", "community_officer", "grid_chief", "grid_worker")


class Tokens(DependencyProvider):
    def setup(self):
        config = self.container.config
        if not cfg.env("JWT_SECRET", None, config):
            log.warning("JWT_SECRET is not set: tokens are signed with a random key and die with this process")
        self.issuer = TokenIssuer(
            cfg.secret("JWT_SECRET", config), cfg.env_int("TOKEN_TTL_SECONDS", 3600, config))

    def get_dependency(self, worker_ctx):
        return self.issuer


def signed_in(fn):
    """Pass the caller's Principal to the route, or answer 401."""
    @functools.wraps(fn)
    def route(self, request, **path):
        principal = self.tokens.principal_from_header(request.headers.get("Authorization"))
        return fn(self, request, principal, **path)
    del route.__wrapped__  # nameko checks the route's own signature
    return route


def query(schema, request):
    params = request.args.to_dict()
    refuse_nul(params, "query parameters")
    return load(schema, params, "query parameters")


class GatewayService(OpsEndpoints):
    name = "gateway"

    tokens = Tokens()
    people = ServiceRpc("people", timeouts={"import_roster": 300, "send_broadcast": 60, "staffing_gaps": 60})
    grid = ServiceRpc("grid", timeouts={
        "import_grids": 600, "coverage": 300, "export_grids": 120, "sizing": 60, "split_grid": 30, "merge_grids": 30})
    tickets = ServiceRpc("tickets", timeouts={"ticket_statistics": 120})
    scoring = ServiceRpc("scoring")

    @http("POST", f"{API}/auth/login")
    def login(self, request):
        credentials = load(LoginSchema, read_json(request))
        account = self.people.authenticate(credentials["username"], credentials["password"], request.remote_addr)
        return self.tokens.issue(account)

    @http("GET", f"{API}/me")
    @signed_in
    def me(self, request, principal):
        account = self.people.get_account(principal.account_id)
        account["role_labels"] = {role: ROLES[role][0] for role in account["roles"] if role in ROLES}
        return account

    @http("GET", f"{API}/accounts")
    @signed_in
    def list_accounts(self, request, principal):
        principal.require_role(["admin"])
        return {"items": self.people.list_accounts()}

    @http("POST", f"{API}/accounts")
    @signed_in
    def create_account(self, request, principal):
        principal.require_role(["admin"])
        return 201, self.people.create_account(read_json(request))

    @http("GET", f"{API}/grids")
    @signed_in
    def list_grids(self, request, principal):
        params = query(GridQuery, request)
        return {"items": self.grid.list_grids(params["parent"], params["level"], params["kind"])}

    @http("GET", f"{API}/grids/<string:code>")
    @signed_in
    def get_grid(self, request, principal, code):
        return self.grid.get_grid(code, query(GridDetailQuery, request)["geometry"])

    @http("POST", f"{API}/grids")
    @signed_in
    def create_grid(self, request, principal):
        principal.require_role(GRID_EDITORS)
        return 201, self.grid.create_grid(read_json(request))

    @http("POST", f"{API}/grids/import")
    @signed_in
    def import_grids(self, request, principal):
        principal.require_role(GRID_EDITORS)
        return 201, self.grid.import_grids(read_json(request))

    @http("GET", f"{API}/grids/export")
    @signed_in
    def export_grids(self, request, principal):
        root = query(RootQuery, request)["root"]
        principal.require_scope(root)
        return self.grid.export_grids(root)

    @http("GET", f"{API}/grids/locate")
    @signed_in
    def locate(self, request, principal):
        params = query(LocateQuery, request)
        at = params["at"].isoformat() if params["at"] else None
        return self.grid.locate(params["lon"], params["lat"], params["crs"], at)

    @http("POST", f"{API}/grids/<string:code>/split")
    @signed_in
    def split_grid(self, request, principal, code):
        principal.require_role(GRID_EDITORS)
        body = read_json(request)
        return 201, self.grid.split_grid(code, body.get("parts") if isinstance(body, dict) else body)

    @http("POST", f"{API}/grids/merge")
    @signed_in
    def merge_grids(self, request, principal):
        principal.require_role(GRID_EDITORS)
        return 201, self.grid.merge_grids(read_json(request))

    @http("GET", f"{API}/grids/<string:code>/history")
    @signed_in
    def grid_history(self, request, principal, code):
        return self.grid.grid_history(code)

    @http("GET", f"{API}/grids/<string:code>/summary")
    @signed_in
    def grid_summary(self, request, principal, code):
        principal.require_scope(code)
        return self.grid.grid_summary(code)

    @http("POST", f"{API}/places")
    @signed_in
    def add_place(self, request, principal):
        principal.require_role(PLACE_EDITORS)
        body = read_json(request)
        where = load(PlaceLocation, body)
        located = self.grid.locate(where["lon"], where["lat"], where["crs"])
        principal.require_scope(located["grid"]["code"])
        return 201, self.grid.add_place(body)

    @http("GET", f"{API}/places")
    @signed_in
    def list_places(self, request, principal):
        params = query(PlaceListQuery, request)
        root = principal.effective_root(params["root"])
        return {"items": self.grid.list_places(root, params["type"], params["limit"])}

    # --- people: staff, assignments, departments -------------------------------------
    @http("POST", f"{API}/staff")
    @signed_in
    def create_person(self, request, principal):
        principal.require_role(STAFF_MANAGERS)
        return 201, self.people.create_person(read_json(request))

    @http("POST", f"{API}/staff/roster")
    @signed_in
    def import_roster(self, request, principal):
        """Body: the roster file itself; a spreadsheet Content-Type names its kind,
        anything else lets people tell CSV, XLSX, XLS and ODS by their first bytes."""
        principal.require_role(STAFF_MANAGERS)
        content = request.get_data()
        if not content:
            raise InvalidInput("Send the roster file as the request body.", code="VALIDATION_FAILED",
                               details={"fields": {"body": ["empty"]}})
        filename = ROSTER_TYPES.get((request.mimetype or "").lower())
        return 201, self.people.import_roster(base64.b64encode(content).decode(), filename,
                                              _people_actor(principal))

    @http("GET", f"{API}/staff/<string:person_id>")
    @signed_in
    def get_person(self, request, principal, person_id):
        return self.people.get_person(person_id, _people_actor(principal))

    @http("GET", f"{API}/staff/<string:person_id>/eligibility")
    @signed_in
    def person_eligibility(self, request, principal, person_id):
        principal.require_role(STAFF_MANAGERS)
        return self.people.person_eligibility(person_id, _people_actor(principal))

    @http("POST", f"{API}/staff/<string:person_id>/assignments")
    @signed_in
    def assign_person(self, request, principal, person_id):
        principal.require_role(STAFF_MANAGERS)
        return 201, self.people.assign_person(person_id, read_json(request), _people_actor(principal))

    @http("POST", f"{API}/assignments/<string:assignment_id>/end")
    @signed_in
    def end_assignment(self, request, principal, assignment_id):
        principal.require_role(STAFF_MANAGERS)
        return self.people.end_assignment(assignment_id, read_json(request), _people_actor(principal))

    @http("GET", f"{API}/assignments")
    @signed_in
    def list_assignments(self, request, principal):
        params = query(AssignmentQuery, request)
        root = principal.effective_root(params["root"])
        on = params["on"].isoformat() if params["on"] else None
        return {"items": self.people.list_assignments(params["person_id"], root, on)}

    @http("GET", f"{API}/staffing/gaps")
    @signed_in
    def staffing_gaps(self, request, principal):
        principal.require_role(SUPERVISORS)
        root = principal.effective_root(query(SubtreeQuery, request)["root"])
        if root is None:
            raise InvalidInput("Give root=<grid code> (the subtree to check).", code="VALIDATION_FAILED",
                               details={"fields": {"root": ["required for a district-wide account"]}})
        return self.people.staffing_gaps(root)

    @http("POST", f"{API}/departments")
    @signed_in
    def create_department(self, request, principal):
        principal.require_role(("admin", "district_officer"))
        return 201, self.people.create_department(read_json(request))

    @http("GET", f"{API}/departments")
    @signed_in
    def list_departments(self, request, principal):
        return {"items": self.people.list_departments(request.args.get("kind"))}

    # --- people: households and residents ------------------------------------------------
    @http("POST", f"{API}/households")
    @signed_in
    def register_household(self, request, principal):
        principal.require_role(RESIDENT_EDITORS)
        return 201, self.people.register_household(read_json(request), _people_actor(principal))

    @http("POST", f"{API}/households/<string:household_id>/move")
    @signed_in
    def move_household(self, request, principal, household_id):
        principal.require_role(RESIDENT_EDITORS)
        return self.people.move_household(household_id, read_json(request), _people_actor(principal))

    @http("GET", f"{API}/households")
    @signed_in
    def list_households(self, request, principal):
        root = principal.effective_root(query(SubtreeQuery, request)["root"])
        return {"items": self.people.list_households(root)}

    @http("POST", f"{API}/residents")
    @signed_in
    def register_resident(self, request, principal):
        principal.require_role(RESIDENT_EDITORS)
        return 201, self.people.register_resident(read_json(request), _people_actor(principal))

    @http("GET", f"{API}/residents")
    @signed_in
    def find_residents(self, request, principal):
        principal.require_role(RESIDENT_EDITORS + SUPERVISORS)
        filters = request.args.to_dict()
        filters["grid_prefix"] = principal.effective_root(filters.pop("root", None))
        return {"items": self.people.find_residents(filters, _people_actor(principal))}

    @http("GET", f"{API}/residents/<string:resident_id>")
    @signed_in
    def get_resident(self, request, principal, resident_id):
        principal.require_role(RESIDENT_EDITORS + SUPERVISORS)
        reveal = query(RevealQuery, request)["reveal"]
        return self.people.get_resident(resident_id, _people_actor(principal), reveal)

    # --- people: patrols and visits --------------------------------------------------------
    @http("POST", f"{API}/patrols")
    @signed_in
    def log_patrol(self, request, principal):
        principal.require_role(RESIDENT_EDITORS)
        result = self.people.log_patrol(read_json(request), _people_actor(principal))
        return (200 if result["duplicate"] else 201), result

    @http("GET", f"{API}/patrols")
    @signed_in
    def list_patrols(self, request, principal):
        principal.require_role(RESIDENT_EDITORS + SUPERVISORS)
        params = query(PatrolListQuery, request)
        return {"items": self.people.list_patrols(params["person_id"], params["limit"],
                                                  principal.effective_root(params["root"]))}

    @http("POST", f"{API}/visits")
    @signed_in
    def log_visit(self, request, principal):
        principal.require_role(RESIDENT_EDITORS)
        result = self.people.log_visit(read_json(request), _people_actor(principal))
        return (200 if result["duplicate"] else 201), result

    # --- people: broadcasts -----------------------------------------------------------------
    @http("POST", f"{API}/broadcasts")
    @signed_in
    def send_broadcast(self, request, principal):
        principal.require_role(STAFF_MANAGERS)
        return 201, self.people.send_broadcast(read_json(request), _people_actor(principal))

    @http("GET", f"{API}/broadcasts/<string:broadcast_id>")
    @signed_in
    def broadcast_read_rate(self, request, principal, broadcast_id):
        principal.require_role(STAFF_MANAGERS)
        return self.people.broadcast_read_rate(broadcast_id, _people_actor(principal))

    @http("GET", f"{API}/inbox")
    @signed_in
    def inbox(self, request, principal):
        unread = request.args.get("unread", "false").lower() in ("1", "true", "yes")
        return {"items": self.people.inbox(principal.account_id, unread)}

    @http("POST", f"{API}/inbox/<string:broadcast_id>/read")
    @signed_in
    def mark_read(self, request, principal, broadcast_id):
        return self.people.mark_read(broadcast_id, principal.account_id)

    # --- people: volunteer points ---------------------------------------------------------
    @http("POST", f"{API}/points/earn")
    @signed_in
    def earn_points(self, request, principal):
        principal.require_role(POINTS_APPROVERS)
        return 201, self.people.earn_points(read_json(request), _people_actor(principal))

    @http("POST", f"{API}/points/redeem")
    @signed_in
    def redeem_points(self, request, principal):
        principal.require_role(POINTS_APPROVERS)
        return 201, self.people.redeem_points(read_json(request), _people_actor(principal))

    @http("POST", f"{API}/points/rewards")
    @signed_in
    def add_reward(self, request, principal):
        principal.require_role(("admin", "district_officer", "community_officer"))
        return 201, self.people.add_reward(read_json(request))

    @http("GET", f"{API}/points/<string:person_id>")
    @signed_in
    def points_statement(self, request, principal, person_id):
        return self.people.points_statement(person_id, _people_actor(principal))

    @http("GET", f"{API}/grids/<string:code>/coverage")
    @signed_in
    def grid_coverage(self, request, principal, code):
        principal.require_scope(code)
        return self.grid.coverage(code)

    @http("GET", f"{API}/grids/<string:code>/sizing")
    @signed_in
    def grid_sizing(self, request, principal, code):
        principal.require_scope(code)
        return self.grid.sizing(code)

    @http("GET", f"{API}/tickets/categories")
    @signed_in
    def ticket_categories(self, request, principal):
        return {"items": self.tickets.categories()}

    @http("POST", f"{API}/tickets")
    @signed_in
    def report_ticket(self, request, principal):
        body = read_json(request)
        if not isinstance(body, dict):
            body = load(NewTicketRequest, body)  # answers the 400 for a non-object
        if principal.scope and not principal.district_wide and "resident" not in principal.roles:
            # Grid staff report inside their own grids (residents and departments
            # anywhere). A grid code is checked here; a location only tickets resolves
            # to a grid, so it checks the scope it is given, before anything is stored
            # (one locate call, not two).
            if isinstance(body.get("grid_code"), str) and not body.get("location"):
                principal.require_scope(body["grid_code"])
            body["reporter_scope"] = principal.scope
        body.update(reporter_account_id=principal.account_id, reporter_username=principal.username,
                    reporter_role=principal.roles[0] if principal.roles else None)
        return 201, self.tickets.report_ticket(body, request.headers.get("Idempotency-Key"))

    @http("GET", f"{API}/tickets")
    @signed_in
    def list_tickets(self, request, principal):
        params = query(TicketListQuery, request)
        responsible = params["responsible"]
        if responsible == "me":  # a grid worker's own to-do list
            if not principal.person_id:
                raise InvalidInput("responsible=me needs an account linked to a staff member (person_id).",
                                   code="NO_PERSON", details={"field": "responsible"})
            responsible = principal.person_id
        filters = {"limit": params["limit"], "responsible_person_id": responsible,
                   "status": params["status"].split(",") if params["status"] else None,
                   **_iso_days(params), **{name: params[name] for name in ("category", "grade", "source", "level", "overdue", "before")}}
        if principal.reaches_grids or params["root"]:
            filters["root"] = principal.effective_root(params["root"])
        else:  # no grid scope: what the caller reported and what was dispatched to its department
            filters.update(reporter_account_id=principal.account_id, department=principal.department)
        return self.tickets.list_tickets(filters, principal.account_id)

    @http("GET", f"{API}/tickets/statistics")
    @signed_in
    def ticket_statistics(self, request, principal):
        principal.require_role(SUPERVISORS)
        params = query(StatisticsQuery, request)
        root = self._existing_root(principal, params["root"])
        return self.tickets.ticket_statistics(root, **_iso_days(params))

    # Tickets checks that the caller reaches the ticket (its grid scope, a dispatch to
    # its department, or its own report): one call, no second fetch here.
    @http("GET", f"{API}/tickets/<string:ticket_id>")
    @signed_in
    def get_ticket(self, request, principal, ticket_id):
        reveal = query(RevealQuery, request)["reveal"]
        return self.tickets.get_ticket(ticket_id, self._actor(principal), True, reveal)

    @http("POST", f"{API}/tickets/<string:ticket_id>/actions")
    @signed_in
    def act_on_ticket(self, request, principal, ticket_id):
        return self.tickets.act(ticket_id, read_json(request), self._actor(principal),
                                request.headers.get("Idempotency-Key"))

    @http("GET", f"{API}/tickets/<string:ticket_id>/history")
    @signed_in
    def ticket_history(self, request, principal, ticket_id):
        return {"items": self.tickets.ticket_history(ticket_id, self._actor(principal))}

    @http("GET", f"{API}/tickets/<string:ticket_id>/verify")
    @signed_in
    def verify_ticket(self, request, principal, ticket_id):
        return self.tickets.verify_ticket(ticket_id, self._actor(principal))

    @staticmethod
    def _actor(principal):
        return {"account_id": principal.account_id, "username": principal.username,
                "roles": list(principal.roles), "department": principal.department, "scope": principal.scope}

    @http("GET", f"{API}/scoring/tickets-reported")
    @signed_in
    def tickets_reported(self, request, principal):
        principal.require_role(SUPERVISORS)
        root = self._existing_root(principal, query(SubtreeQuery, request)["root"])
        return self.scoring.tickets_reported(root)

    def _existing_root(self, principal, requested):
        """The subtree a figure covers; 404 for a root that names no grid (retired ones
        count), so a mistyped code is not answered with zeros that look like data."""
        root = principal.effective_root(requested)
        if requested:
            self.grid.get_grid(requested)
        return root


# A roster's Content-Type, where it names a spreadsheet kind, as the filename people
# reads it by; anything else (text/csv, octet-stream) lets people tell by its bytes.
ROSTER_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "roster.xlsx",
    "application/vnd.ms-excel": "roster.xls",
    "application/vnd.oasis.opendocument.spreadsheet": "roster.ods",
}


def _people_actor(principal):
    """The caller for people's RPCs (common.actor): people decides reach and ownership."""
    return Actor(account_id=principal.account_id, username=principal.username, roles=tuple(principal.roles),
                 scope=principal.scope, department=principal.department, person_id=principal.person_id).to_wire()


def _iso_days(period):
    """A loaded PeriodQuery's days as the services take them over the bus."""
    return {name: period[name] and period[name].isoformat() for name in ("start", "end")}
