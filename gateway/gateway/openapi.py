"""The OpenAPI 3 document, generated from the route table and its marshmallow schemas
(apispec's MarshmallowPlugin): every route, parameter, body, answer and error code.
Served at GET /api/v1/openapi.json and drawn by the reference page."""
import functools
import importlib.metadata

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.schemas.base import ErrorSchema, items_of

TITLE = "gridgov 网格化社会治理平台 API"
ERROR_MEANINGS = {
    400: "Invalid input: `VALIDATION_FAILED` (details.fields names every field), `INVALID_JSON`, or a rule of the "
         "record (`UNKNOWN_GRID`, ...)",
    401: "No valid bearer token (`AUTH_REQUIRED`, `INVALID_TOKEN`, `TOKEN_EXPIRED`), or wrong credentials",
    403: "`ROLE_FORBIDDEN` (the role may not), `OUT_OF_SCOPE` (beyond the caller's grid scope), or a rule of "
         "the record",
    404: "No such record (`…_NOT_FOUND`); a record beyond the caller's reach answers the same where the route "
         "says so",
    409: "Conflict: `…_TAKEN`, `VERSION_CONFLICT`, `ACTION_NOT_ALLOWED`, `CONCURRENT_CHANGE`, ...",
    413: "`PAYLOAD_TOO_LARGE`: the body is over MAX_REQUEST_BYTES",
    415: "`UNSUPPORTED_MEDIA_TYPE`: send the body as application/json (or the file type the route takes)",
    423: "`ACCOUNT_LOCKED`: too many wrong passwords (details.locked_until)",
    429: "`RATE_LIMITED`: past the caller's or the address's requests a minute (details.limit names the "
         "setting), or `TOO_MANY_REQUESTS`: too many of these from one address; `Retry-After` and "
         "details.retry_after_seconds say when to try again",
    500: "`INTERNAL_ERROR`: details.request_id matches the logs",
    503: "`SERVICE_UNAVAILABLE` (details.service), `BROKER_UNAVAILABLE`, `DATABASE_BUSY`, "
         "`DATABASE_UNAVAILABLE` or `OVERLOADED` (too many requests waiting): nothing was stored, retry",
}
RETRY_AFTER = {429: "seconds until the limit lets a request through",
               503: "seconds to wait before retrying (the request changed nothing)"}
TAGS = [
    ("auth", "Sign-in and accounts (一账号)"),
    ("grids", "The grid registry: one grid, one code (一格一码)"),
    ("places", "Places attached to grids"),
    ("jobs", "Long work as a job: progress, then the result (a large import)"),
    ("staff", "Staff, posts, departments, the staffing standard (一格一长一警一专多兼)"),
    ("residents", "Residents and households (personal data encrypted, shown masked)"),
    ("rounds", "Patrols and household visits (巡查走访)"),
    ("duties", "Duties (职责): visit and patrol targets, the coverage they give, special groups' follow-up"),
    ("organisations", "Organisations (组织): enterprises, social organisations, property companies, owners' committees"),
    ("campaigns", "Campaign tasks (专项任务): a task over every household of a scope, ticked off per household"),
    ("party", "Party building (党建引领): grid party branches, two-way registration (双报到), service days"),
    ("wishes", "Small wishes (点亮微心愿): residents' wishes, claimed and fulfilled by party members and volunteers"),
    ("sentiments", "Sentiment records (社情民意): what residents say, followed up or reported as tickets"),
    ("messages", "Broadcasts and the inbox"),
    ("points", "Volunteer points (志愿积分)"),
    ("tickets", "The closed loop (事件闭环)"),
    ("webhooks", "Webhooks: ticket events pushed to the departments they concern, signed, retried, replayed"),
    ("scoring", "Figures built from other services' events"),
    ("assessment", "Assessment (考核): plans, entries, results, rankings, consequences"),
    ("integrity", "Integrity (数据真实性): fabrication flags with their evidence, and an auditor's review"),
    ("public", "The public door, no sign-in: a grid's card (上岗公示) and its QR code"),
    ("open311", "Open311 GeoReport v2 (/open311/v2): the published categories as services and their tickets as "
                "service requests, in JSON and XML; errors in Open311's own shape"),
    ("portal", "The portal (一门户): the web app's built files, served from here (`make portal` builds them), and "
               "its run-time settings; a client of this API like any other, with no route of its own"),
    ("reference", "This document and its page"),
    ("operations", "Health and metrics"),
]


def _version():
    try:
        return importlib.metadata.version("gridgov")
    except importlib.metadata.PackageNotFoundError:
        return "0"


def _schema_name(resolver_schema):
    """Component names from the schema class, without the usual suffix."""
    cls = resolver_schema if isinstance(resolver_schema, type) else type(resolver_schema)
    name = cls.__name__.removesuffix("Schema") or cls.__name__
    return name + ("Partial" if getattr(resolver_schema, "partial", False) else "")


def build(routes):
    spec = APISpec(
        title=TITLE, version=_version(), openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={"description": (
            "The one door of the platform: every route below is declared once in the gateway's route table "
            "(gateway/gateway/routes/), and this document, the reference page, the README's route table and "
            "the role-matrix test are generated from it. Every route but the public ones needs "
            "`Authorization: Bearer <token>` from POST /api/v1/auth/login. Errors always look like "
            "`{\"error\": CODE, \"message\": text, \"details\": {...}}`; every answer carries `X-Request-ID`."),
            "license": {"name": "open source"}},
        tags=[{"name": name, "description": text} for name, text in TAGS],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Error", schema=ErrorSchema)
    for status, meaning in ERROR_MEANINGS.items():
        answer = {"description": meaning, "content": {"application/json": {"schema": "Error"}}}
        if status in RETRY_AFTER:
            answer["headers"] = {"Retry-After": {"description": RETRY_AFTER[status],
                                                 "schema": {"type": "integer", "minimum": 1}}}
        spec.components.response(f"E{status}", answer)
    for path, operations in _paths(routes).items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                _not_null(parameter["schema"])
    return document


def _not_null(schema):
    """A query or path parameter is absent or a string, never null: drop what apispec
    derives from ``load_default=None``."""
    schema.pop("nullable", None)
    if schema.get("default", 0) is None:
        del schema["default"]
    if "enum" in schema:
        schema["enum"] = [value for value in schema["enum"] if value is not None]


def _paths(routes):
    paths = {}
    for route in routes:
        paths.setdefault(route.full_path, {})[route.method.lower()] = _operation(route)
    return paths


def _operation(route):
    operation = {
        "operationId": route.name,
        "summary": route.summary,
        "description": _description(route),
        "tags": [route.tag],
        "security": [] if route.public else [{"bearer": []}],
        "x-roles": None if route.public else route.roles.ordered(),
        "x-role-set": None if route.public else route.roles.name,
        "x-scope": route.scope.describe(),
        "responses": {str(route.status): _answer(route)},
    }
    for status in route.documented_errors:
        operation["responses"][str(status)] = route.errors_as.document(status, ERROR_MEANINGS[status]) \
            if route.errors_as else {"$ref": f"#/components/responses/E{status}"}
    for status, description, *shape in route.alternatives:
        answer = _answer(route, description, *shape)
        if status in route.documented_errors:  # a page, or the error as JSON when the door refuses first
            answer["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}},
                                 **answer.get("content", {})}
        operation["responses"][str(status)] = answer
    parameters = []
    if route.path_schema is not None:
        parameters.append({"in": "path", "schema": route.path_schema})
    if route.query is not None:
        parameters.append({"in": "query", "schema": route.query})
    if any(getattr(source, "name", None) == "Idempotency-Key" for source in _sources(route)):
        parameters.append({"in": "header", "name": "Idempotency-Key", "required": False,
                           "description": "up to 100 visible ASCII characters: a retry gets the first result",
                           "schema": {"type": "string", "maxLength": 100, "pattern": "^[\\x21-\\x7e]+$"}})
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body}}}
    elif route.form is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/x-www-form-urlencoded": {"schema": route.form}}}
    elif route.upload:
        binary = {"schema": {"type": "string", "format": "binary"}}
        operation["requestBody"] = {"required": True, "content": {
            "text/csv": binary,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": binary,
            "application/vnd.ms-excel": binary,
            "application/vnd.oasis.opendocument.spreadsheet": binary,
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                               "properties": {"file": {"type": "string", "format": "binary"}}}}}}
    return operation


def _answer(route, description="Done", response=None):
    """The route's answer, or with ``response`` (an alternative's own schema) that one's."""
    if response is not None:
        return {"description": description, "content": {"application/json": {"schema": response}}}
    if route.response is None:
        return {"description": description}
    if isinstance(route.response, dict):  # a content map of its own (text, HTML, scripts)
        return {"description": description, "content": route.response}
    schema = items_of(route.response) if route.wrap else route.response
    return {"description": description, "content": {route.content_type: {"schema": schema}}}


def _sources(route):
    arguments = getattr(route.call, "arguments", None) or {}
    return list(arguments.values()) + list(getattr(route.call, "headers", ()))


def _description(route):
    lines = [route.description] if route.description else []
    if route.public:
        lines.append("**Who**: anyone, no token.")
    else:
        who = f"**Who**: {route.roles.name} ({', '.join(route.roles.ordered())})"
        if route.self_param:
            who += "; also the person themself"
        lines.append(who + ".")
        lines.append(f"**Scope**: {route.scope.describe()}.")
    return "\n\n".join(lines)


@functools.cache
def document():
    """The document for the gateway's own table (built once per process)."""
    from gateway.routes import ROUTES
    return build(ROUTES)
