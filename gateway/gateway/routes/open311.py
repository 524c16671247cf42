"""Open311 GeoReport v2 at /open311/v2 (issue 20): what civic apps and department systems
already speak. Reads are public, as the spec has them (the published categories and
their tickets, never a reporter: tickets.published decides); posting needs a department
system's key (Open311's ``api_key`` form field, or ``X-API-Key``). Every answer comes in
the format its path names (``.json`` or ``.xml``), errors too (gateway.open311)."""
import datetime as dt
import logging

from common.errors import InvalidInput, NotFound, Unavailable
from common.roles import DEPARTMENTS
from gateway import open311 as o
from gateway.routes.tickets import IDEMPOTENCY_KEY
from gateway.routing import Route, own
from gateway.schemas import open311 as s

log = logging.getLogger(__name__)

TAG = "open311"
WINDOW = dt.timedelta(days=90)  # the spec's longest span of one list


def _fmt(ctx):
    return ctx.path["format"]


def _jurisdiction(ctx, given):
    """The district a request names, checked to be the deployment's (a root grid); None
    when it names none (the whole deployment, as the spec allows for one jurisdiction)."""
    if given is None:
        return None
    try:
        grid = ctx.rpc("grid").get_grid(code=given)
    except NotFound:
        grid = None
    if grid is None or grid.get("parent_code") or grid.get("status") != "active":
        raise InvalidInput(f"jurisdiction_id {given} is not this district: give its code (the top grid's) or leave "
                           "it out.", code="UNKNOWN_JURISDICTION", details={"field": "jurisdiction_id"})
    return given


def _services(ctx):
    """{code: category} of the published categories."""
    return {c["code"]: c for c in ctx.rpc("tickets").categories() if c["published"]}


def discovery_document(ctx):
    base_url = ctx.service.public_site or ctx.request.host_url.rstrip("/")
    return o.answer(_fmt(ctx), "discovery", None, o.discovery(base_url))


def list_services(ctx):
    _jurisdiction(ctx, ctx.query["jurisdiction_id"])
    return o.answer(_fmt(ctx), "services", "service", [o.service(c) for c in _services(ctx).values()])


def service_definition(ctx):
    _jurisdiction(ctx, ctx.query["jurisdiction_id"])
    category = _services(ctx).get(ctx.path["service_code"])
    if category is None:
        raise NotFound(f"No service has the code {ctx.path['service_code']}.", code="SERVICE_NOT_FOUND",
                       details={"field": "service_code"})
    return o.answer(_fmt(ctx), "service_definition", None, o.definition(category))


# --- reading requests ----------------------------------------------------------------------

def _window(start, end):
    """The span a list covers: the spec's 90 days, back from now when neither end is given."""
    if end is None:
        end = start + WINDOW if start else dt.datetime.now(dt.timezone.utc)
    start = start or end - WINDOW
    if end - start > WINDOW:
        raise InvalidInput("start_date and end_date may be at most 90 days apart.", code="VALIDATION_FAILED",
                           details={"fields": {"end_date": ["at most 90 days after start_date"]}})
    return start.isoformat(), (end + dt.timedelta(microseconds=1)).isoformat()  # end_date included


def _optional(what, call):
    """What another service adds to the answer (names of grids and departments): a
    request is still answered, without them, when that service does not."""
    try:
        return call()
    except Unavailable as exc:
        log.warning("Open311 answered without %s: %s", what, exc.code)
        return {}


def _service_requests(ctx, views):
    categories = {c["code"]: c for c in ctx.rpc("tickets").categories()}
    departments = _optional("department names", lambda: {
        d["code"]: d["name"] for d in ctx.rpc("people").list_departments()}) if any(
        v["lead_department"] for v in views) else {}
    codes = sorted({v["grid_code"] for v in views})
    labels = _optional("addresses", lambda: ctx.rpc("grid").grid_labels(
        codes=sorted({p for code in codes for p in o.prefixes(code)}))) if codes else {}
    addresses = {code: o.address_of(code, labels) for code in codes}
    requests = [o.service_request(v, categories, departments, addresses) for v in views]
    return o.answer(_fmt(ctx), "service_requests", "request", requests)


def list_requests(ctx):
    query = ctx.query
    root = _jurisdiction(ctx, query["jurisdiction_id"])
    if query["service_request_id"]:  # the spec: ids override every other filter
        wanted = {"ids": query["service_request_id"], "root": root}
    else:
        start, end = _window(query["start_date"], query["end_date"])
        wanted = {"categories": query["service_code"], "statuses": query["status"], "start": start, "end": end,
                  "root": root}
    return _service_requests(ctx, ctx.rpc("tickets").published_tickets(query=wanted))


def get_request(ctx):
    root = _jurisdiction(ctx, ctx.query["jurisdiction_id"])
    wanted = ctx.path["service_request_id"]
    views = ctx.rpc("tickets").published_tickets(query={"ids": [wanted], "root": root})
    if not views:  # none, unpublished or in another district: all alike
        raise NotFound(f"No service request has the id {wanted}.", code="REQUEST_NOT_FOUND",
                       details={"field": "service_request_id"})
    return _service_requests(ctx, views)


def token_request(ctx):
    token = ctx.path["token"]
    found = [v for v in ctx.rpc("tickets").published_tickets(query={"ids": [token]}) if v["id"] == token]
    if not found:
        raise NotFound("No service request has this token.", code="TOKEN_NOT_FOUND", details={"field": "token"})
    return o.answer(_fmt(ctx), "service_requests", "request",
                    [{"service_request_id": found[0]["number"], "token": token}])


# --- posting a request -----------------------------------------------------------------------

def _name(first, last):
    """The person to call back: a Chinese name family name first, others as given."""
    parts = [part for part in (last, first) if part]
    if all(ord(ch) > 0x2E7F for part in parts for ch in part):
        return "".join(parts) or None
    return " ".join(reversed(parts)) or None


def _outside(form):
    where = f"({form['lat']}, {form['long']})" if form["lat"] is not None else form["address_id"]
    return InvalidInput(f"{where} lies outside the district.", code="LOCATION_OUTSIDE_DISTRICT",
                        details={"field": "lat" if form["lat"] is not None else "address_id"})


def post_request(ctx):
    """A ticket from a department's system, its source the department's referral
    (tickets.intake.source_for), answered with its number at once."""
    form = ctx.body
    root = _jurisdiction(ctx, form["jurisdiction_id"])
    category = _services(ctx).get(form["service_code"])
    if category is None:
        raise InvalidInput(f"No service has the code {form['service_code']}: see services.{_fmt(ctx)}.",
                           code="UNKNOWN_SERVICE", details={"field": "service_code"})
    data = {"category": category["code"], "description": form["description"] or category["name"],
            "attachments": [form["media_url"]] if form["media_url"] else [],
            "reporter_name": _name(form["first_name"], form["last_name"]), "reporter_phone": form["phone"]}
    if form["lat"] is not None:
        data["location"] = {"lon": form["long"], "lat": form["lat"], "crs": form["crs"]}
        if root:  # tickets refuses a point outside every grid; one in another district is for this check
            try:
                found = ctx.rpc("grid").locate(lon=form["long"], lat=form["lat"], crs=form["crs"])
            except NotFound:
                found = None
            if not found or not found["grid"]["code"].startswith(root):
                raise _outside(form)
    else:
        if root and not form["address_id"].startswith(root):
            raise _outside(form)
        data["grid_code"] = form["address_id"]
    try:
        ticket = ctx.rpc("tickets").report_ticket(data=data, actor=ctx.actor.to_wire(),
                                                  idempotency_key=IDEMPOTENCY_KEY.resolve(ctx))
    except InvalidInput as exc:
        if exc.code == "LOCATION_OUTSIDE_GRIDS":
            raise _outside(form) from None
        raise
    receipt = {"service_request_id": ticket["number"], "token": ticket["id"],
               "service_notice": o.deadlines(category, ticket["grade"]), "account_id": None}
    return o.answer(_fmt(ctx), "service_requests", "request", [receipt], status=201)


post_request.headers = (IDEMPOTENCY_KEY,)  # documented as the platform's other reports document it


def _formats(schema, many=False):
    """The answer in JSON (``schema``) and XML (the same fields as elements)."""
    return {"application/json": {"schema": schema(many=True) if many else schema},
            "application/xml": {"schema": {"type": "string"}}}


PUBLIC_READ = "Public, as Open311 has it: no token and no key."
ROUTES = [Route(method, path, name, summary, roles, call, TAG, base=o.BASE, errors_as=o.ERRORS, **more)
          for method, path, name, summary, roles, call, more in (
    ("GET", "/discovery.{format}", "open311_discovery", "Open311: where the endpoint is and what it speaks", None,
     discovery_document, {"path_schema": s.FormatPath, "response": _formats(s.Discovery),
                          "description": PUBLIC_READ + " The spec's service discovery document."}),
    ("GET", "/services.{format}", "open311_services", "Open311: the published categories as services", None,
     list_services, {"path_schema": s.FormatPath, "query": s.JurisdictionQuery,
                     "response": _formats(s.Service, many=True),
                     "description": PUBLIC_READ + " A service is a published category of the responsibility catalogue "
                                    "(责任清单): code, Chinese name, its department as `group`; `metadata` is true: "
                                    "each has the attribute `crs`. Categories about people (disputes, welfare, "
                                    "public security leads, ...) are not published."}),
    ("GET", "/services/{service_code}.{format}", "open311_service_definition",
     "Open311: a service's definition (its attributes)", None, service_definition,
     {"path_schema": s.ServicePath, "query": s.JurisdictionQuery, "response": _formats(s.ServiceDefinition),
      "description": PUBLIC_READ + " One attribute, `crs`: `gcj02` for a point from AMap or Tencent maps, else "
                                   "WGS-84. An unpublished or unknown code is 404 `SERVICE_NOT_FOUND`."}),
    ("GET", "/requests.{format}", "open311_requests", "Open311: service requests (tickets of published categories)",
     None, list_requests,
     {"path_schema": s.FormatPath, "query": s.RequestsQuery, "response": _formats(s.ServiceRequest, many=True),
      "description": PUBLIC_READ + " Newest first, at most 1,000, reported within `start_date`..`end_date` (at most 90 "
                                   "days; default the last 90). `status`: `open` (reported, accepted, handling) or "
                                   "`closed` (resolved and later, merged). Never the reporter; a resident's own "
                                   "words and photo are withheld (`description` null); `status_notes` is the "
                                   "latest note written for the public, numbers masked."}),
    ("POST", "/requests.{format}", "open311_post_request", "Open311: a department system files a service request",
     DEPARTMENTS, post_request,
     {"path_schema": s.FormatPath, "form": s.NewRequestForm, "key_field": "api_key",
      "response": _formats(s.RequestReceipt, many=True), "status": 201, "errors": (409,),
      "scope": own("anywhere in the district (the jurisdiction's, when named)"),
      "description": "Form-encoded (`application/x-www-form-urlencoded`) as the spec posts, with the department "
                     "system's `api_key` (or `X-API-Key`). The ticket's source is `department_referral`. `lat`/"
                     "`long` are WGS-84, or GCJ-02 with `attribute[crs]=gcj02`; or `address_id`, a grid code. A "
                     "point outside the district: 400 `LOCATION_OUTSIDE_DISTRICT`; a `service_code` that is no "
                     "service: 400 `UNKNOWN_SERVICE`; nothing is stored. `first_name`, `last_name` and `phone` "
                     "name the resident to call back (kept encrypted, never published); `email`, `device_id` and "
                     "`account_id` are not kept. The answer holds the ticket's number and, as `token`, its id. "
                     "`Idempotency-Key` honoured."}),
    ("GET", "/requests/{service_request_id}.{format}", "open311_request", "Open311: one service request", None,
     get_request, {"path_schema": s.RequestPath, "query": s.JurisdictionQuery,
                   "response": _formats(s.ServiceRequest, many=True),
                   "description": PUBLIC_READ + " A list of one, as the spec has it. A ticket of an unpublished "
                                                "category is 404 `REQUEST_NOT_FOUND`, as a free number is."}),
    ("GET", "/tokens/{token}.{format}", "open311_token", "Open311: the request a POST's token names", None,
     token_request, {"path_schema": s.TokenPath, "response": _formats(s.TokenAnswer, many=True),
                     "description": PUBLIC_READ + " The token is the ticket's id a POST answered with (its number "
                                                  "comes at once; the route is for clients that poll tokens)."}),
)]
