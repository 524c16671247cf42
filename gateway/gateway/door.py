"""One request through a declared route: who is calling, may their role, is the
input well formed, does their scope hold it, then the call and its answer. The
order is the documented one: 401, then 403 for the role, then 400 for the input,
then 403/404 for the scope, then whatever the service answers."""
import dataclasses

from werkzeug.wrappers import Response

from common.actor import Actor
from common.errors import Unauthenticated
from common.http import read_form, read_json
from common.validation import load, refuse_bad_characters, require_shape
from gateway.routing import check_role, settle_scope


@dataclasses.dataclass
class Context:
    """What a route's call may read: the request, the caller, the loaded path and
    query, the body as sent, the root a scope settled on, and the RPC proxies."""
    request: object
    service: object
    actor: Actor | None = None
    path: dict = dataclasses.field(default_factory=dict)
    query: dict = dataclasses.field(default_factory=dict)
    body: object = None
    root: str | None = None

    def rpc(self, name):
        return getattr(self.service, name)


def authenticate(service, route, request):
    """The caller, counted against their rate limit; a request whose token or API key
    fails counts against its address instead, so guessing them is throttled like any
    anonymous traffic (and spends no account's budget)."""
    try:
        actor = service.tokens.actor_from(request, check_key=lambda key: service.people.authenticate_api_key(
            key=key), key_field=route.key_field)
    except Unauthenticated:
        if route.limited:
            service.limits.admit_address(service.tokens.client_address(request))
        raise
    if route.limited:
        service.limits.admit_caller(actor)
    return actor


def handle(service, route, request, path_values):
    ctx = Context(request=request, service=service)
    if not route.public:
        ctx.actor = authenticate(service, route, request)
        check_role(route, ctx.actor, path_values)
    elif route.limited:
        service.limits.admit_address(service.tokens.client_address(request))
    ctx.path = load(route.path_schema, path_values, "path parameters") if route.path_schema else dict(path_values)
    if route.query is not None:
        params = request.args.to_dict()
        refuse_bad_characters(params, "query parameters")
        ctx.query = load(route.query, params, "query parameters")
    if route.body is not None:
        ctx.body = read_json(request)
        if route.gate:
            load(route.body, ctx.body)  # every field error in one answer, before any call
        else:
            require_shape(route.body, ctx.body)  # its fields the service judges; its shape the door
    elif route.form is not None:
        form = read_form(request)
        refuse_bad_characters(form, "form fields")
        ctx.body = load(route.form, form, "form")
    if not route.public:
        ctx.root = settle_scope(route, ctx)
    result = route.call(ctx)
    if isinstance(result, Response):  # a page, a script, the metrics
        return result
    status = route.status_of(result) if route.status_of else route.status
    if route.wrap:
        result = {route.wrap: result}
    return status, result
