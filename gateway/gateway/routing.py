"""The door as data: a route is declared once, and the gateway's entrypoints, the
OpenAPI document, the reference page, the README's route table and the role-matrix
test are all read from that declaration.

A ``Route`` names its method and path, the named role set that may call it (from
``common.roles``), how a grid scope applies, the schemas of its path, query, body and
answer, and the RPC it calls (``Call``) with where each argument comes from. Only a
route that composes several calls gives a function of its own instead.
"""
import datetime as dt
import re
from dataclasses import dataclass, field

from common.errors import Forbidden, InvalidInput
from common.roles import RoleSet

API = "/api/v1"


# --- how a grid scope applies to a route ------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """``kind``:
    - ``none``: no grid scope applies (the territory's shared map, one's own records);
    - ``path``: the grid code in path parameter ``param`` must lie in the caller's reach;
    - ``root``: query ``root`` (default: the caller's own subtree) must lie in reach, and
      is what the call covers; ``required``: a district-wide caller must give one;
      ``must_exist``: a root that names no grid is a 404, not a page of zeros;
    - ``record``: the service checks the record against the caller's reach (the actor);
      ``hidden``: out of reach answers 404 exactly as a free id does.
    """
    kind: str
    param: str | None = None
    required: bool = False
    must_exist: bool = False
    hidden: bool = False
    unscoped_anywhere: bool = False  # residents and departments act anywhere (a report), not nowhere
    outside: tuple | None = None  # the answer beyond reach, when it is not the usual one
    note: str = ""

    @property
    def outside_answer(self):
        """The documented answer to a caller whose reach does not hold the target."""
        if self.kind == "none":
            return None
        if self.outside:
            return self.outside
        return (404, None) if self.hidden else (403, "OUT_OF_SCOPE")

    def describe(self):
        if self.kind == "none":
            return self.note or "no grid scope applies"
        if self.kind == "path":
            return self.note or f"grid `{self.param}` in the caller's scope"
        if self.kind == "root":
            text = "`root` in the caller's scope (default: the caller's subtree)"
            if self.required:
                text += "; required for a district-wide caller"
            return self.note or text
        return self.note or ("the record in the caller's reach (404 otherwise, as for a free id)" if self.hidden
                             else "the record in the caller's reach")


NO_SCOPE = Scope("none")


def in_path(param="code", note=""):
    return Scope("path", param=param, note=note)


def in_root(required=False, must_exist=False, note=""):
    return Scope("root", required=required, must_exist=must_exist, note=note)


def by_record(hidden=False, note="", unscoped_anywhere=False, outside=None):
    return Scope("record", hidden=hidden, note=note, unscoped_anywhere=unscoped_anywhere, outside=outside)


def own(note="the caller's own records"):
    return Scope("none", note=note)


# --- where an RPC argument comes from --------------------------------------------------

class Source:
    def resolve(self, ctx):
        raise NotImplementedError


@dataclass(frozen=True)
class Path(Source):
    name: str

    def resolve(self, ctx):
        return ctx.path[self.name]


@dataclass(frozen=True)
class Query(Source):
    name: str

    def resolve(self, ctx):
        return ctx.query.get(self.name)


@dataclass(frozen=True)
class BodyField(Source):
    name: str

    def resolve(self, ctx):
        return ctx.body.get(self.name) if isinstance(ctx.body, dict) else None


class _Body(Source):
    """The client's JSON body as it was sent (the service validates it again)."""

    def resolve(self, ctx):
        return ctx.body


class _WholeQuery(Source):
    """Every query parameter given, as the bus takes them (the filters of a list)."""

    def resolve(self, ctx):
        return {name: wire(value) for name, value in ctx.query.items() if value is not None}


class _Actor(Source):
    def resolve(self, ctx):
        return ctx.actor.to_wire()


class _Root(Source):
    """The subtree a ``root`` scope settled on (None: the whole district)."""

    def resolve(self, ctx):
        return ctx.root


@dataclass(frozen=True)
class Caller(Source):
    attribute: str

    def resolve(self, ctx):
        return getattr(ctx.actor, self.attribute)


@dataclass(frozen=True)
class Header(Source):
    name: str

    def resolve(self, ctx):
        return ctx.request.headers.get(self.name)


@dataclass(frozen=True)
class Const(Source):
    value: object

    def resolve(self, ctx):
        return self.value


BODY, ACTOR, ROOT, QUERY = _Body(), _Actor(), _Root(), _WholeQuery()


@dataclass(frozen=True)
class Call:
    """``Call("grid.get_grid", code=Path("code"))``: the RPC and its keyword arguments."""
    rpc: str
    arguments: dict = field(default_factory=dict)

    def __init__(self, rpc, **arguments):
        object.__setattr__(self, "rpc", rpc)
        object.__setattr__(self, "arguments", arguments)

    @property
    def service(self):
        return self.rpc.split(".")[0]

    def __call__(self, ctx):
        service, method = self.rpc.split(".")
        kwargs = {name: wire(source.resolve(ctx)) for name, source in self.arguments.items()}
        return getattr(ctx.rpc(service), method)(**kwargs)


def new_if_created(result):
    """201 for a record made now, 200 for the one a repeat found (``result["created"]``)."""
    return 201 if result["created"] else 200


def new_if_not_duplicate(result):
    """A resubmission (the same client_id) answers 200 with what was stored first."""
    return 200 if result["duplicate"] else 201


def wire(value):
    """A loaded query value as the bus takes it (JSON: days and moments as ISO text)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


# --- the route --------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    method: str
    path: str                   # OpenAPI style under /api/v1: "/grids/{code}"
    name: str                   # operationId, entrypoint and metrics label
    summary: str                # one line, for the README table and the reference
    roles: RoleSet | None       # None: public (no token)
    call: object                # a Call, or a function (ctx) -> result for a composed route
    tag: str
    scope: Scope = NO_SCOPE
    path_schema: type | None = None
    query: type | None = None
    body: type | None = None    # JSON body schema (the gate; services validate again)
    gate: bool = True           # False: the body schema documents, the service alone judges (its
                                # answer is the richer one, as an import's list of every failing feature)
    upload: bool = False        # a file body (raw bytes or multipart), not JSON
    form: type | None = None    # a form body (x-www-form-urlencoded or multipart, as civic apps post), loaded with
                                # this schema into the context's body
    key_field: str | None = None  # a form field that may carry a department system's key (Open311's api_key)
    errors_as: object = None    # errors in another protocol's shape (gateway.open311.ERRORS): .answer(exc, path)
                                # renders one, .document(status, meaning) documents one
    response: object = None     # schema class, or (schema class, many) ... see openapi
    status: int = 200
    status_of: object = None    # (result) -> status, when it varies (200 for a replay, 201 new)
    alternatives: tuple = ()    # ((status, description[, schema]), ...): other answers, of the same shape
                                # unless a schema is given
    wrap: str | None = None     # "items": the RPC's list is answered as {"items": [...]}
    errors: tuple = ()          # statuses besides the ones every route of its kind can give
    self_param: str | None = None  # a path parameter naming a person: that person passes the role check
    description: str = ""       # the long text (markdown) for the reference
    base: str = API             # "" for the operations routes (/healthz, /metrics)
    content_type: str = "application/json"
    limited: bool = True        # False: no rate limit (a monitor's routes, never turned away)
    whole: str = ""             # why a list is answered whole, not a page at a time (every other list pages:
                                # tests/unit/test_route_table.py)

    @property
    def public(self):
        return self.roles is None

    @property
    def full_path(self):
        return self.base + self.path

    @property
    def werkzeug_path(self):
        return re.sub(r"\{(\w+)\}", r"<string:\1>", self.full_path)

    @property
    def path_params(self):
        return re.findall(r"\{(\w+)\}", self.path)

    @property
    def documented_errors(self):
        """Every error status this route can answer, in order."""
        statuses = {400, 500, 503}
        if not self.public:
            statuses |= {401}
        if not self.public and (self.roles is not None or self.scope.kind != "none"):
            statuses |= {403}
        if self.path_params or self.scope.must_exist or self.scope.hidden:
            statuses |= {404}
        if self.body is not None or self.upload or self.form is not None:
            statuses |= {413, 415}
        if self.limited:
            statuses |= {429}
        statuses |= set(self.errors)
        return sorted(statuses)

    def who(self):
        """The README's "who" column."""
        if self.public:
            return "anyone (no token)"
        text = self.roles.label or self.roles.name
        if self.self_param:
            text += "; the person themself"
        return text


def check_role(route, actor, path):
    """403 ROLE_FORBIDDEN unless the actor holds a role of the route's set (or is the
    person a ``self_param`` route is about)."""
    if route.public or actor.has_role(route.roles):
        return
    if route.self_param and actor.person_id and path.get(route.self_param) == actor.person_id:
        return
    raise Forbidden("Your role may not do this.", code="ROLE_FORBIDDEN",
                    details={"required_any_of": route.roles.ordered(), "your_roles": list(actor.roles)})


def settle_scope(route, ctx):
    """Apply a gateway-checked scope; returns the root a ``root`` scope covers."""
    scope = route.scope
    if scope.kind == "path":
        ctx.actor.require_reach(ctx.path[scope.param])
        return None
    if scope.kind != "root":
        return None
    requested = ctx.query.get("root") or (ctx.body.get("root") if isinstance(ctx.body, dict) else None)
    root = ctx.actor.effective_root(requested)
    if root is None and scope.required:
        raise InvalidInput("Give root=<grid code> (the subtree to cover).", code="VALIDATION_FAILED",
                           details={"fields": {"root": ["required for a district-wide account"]}})
    if requested and scope.must_exist:
        ctx.rpc("grid").get_grid(code=requested)  # 404 GRID_NOT_FOUND for a mistyped code
    return root
