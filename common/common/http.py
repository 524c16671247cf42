"""JSON over nameko's ``@http``: payloads in and out as JSON, and every error as
``{"error": CODE, "message": text, "details": {...}}`` with the status from the one
table in :mod:`common.errors`. Unknown errors become a 500 with no internals."""
import json
import logging

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response

from common.errors import AppError, InvalidInput, http_status, internal_error_body

log = logging.getLogger(__name__)

JSON_MIMETYPE = "application/json"


def json_response(payload, status=200, headers=None):
    return Response(
        json.dumps(payload, ensure_ascii=False, default=str),
        status=status, headers=headers, mimetype=JSON_MIMETYPE,
    )


class JsonWebServer(WebServer):
    """nameko's web server, answering unknown paths and methods in the same JSON
    error shape as everything else instead of werkzeug's HTML pages."""

    def get_wsgi_app(self):
        app = super().get_wsgi_app()

        def json_errors(environ, start_response):
            try:
                app.url_map.bind_to_environ(environ).match()
            except HTTPException as exc:
                return routing_error(exc)(environ, start_response)
            return app(environ, start_response)

        return json_errors


def routing_error(exc):
    if isinstance(exc, MethodNotAllowed):
        allowed = sorted(exc.valid_methods or [])
        return json_response(
            {"error": "METHOD_NOT_ALLOWED", "message": f"Use one of: {', '.join(allowed)}.",
             "details": {"allowed": allowed}}, 405, {"Allow": ", ".join(allowed)})
    if exc.code == 404:
        return json_response({"error": "ROUTE_NOT_FOUND", "message": "No such path; see README (HTTP API).",
                              "details": {}}, 404)
    return json_response({"error": "HTTP_ERROR", "message": exc.description, "details": {}}, exc.code)


class JsonHttp(HttpRequestHandler):
    server = JsonWebServer()

    def __init__(self, method, url, expected_exceptions=AppError, **kwargs):
        super().__init__(method, url, expected_exceptions=expected_exceptions, **kwargs)

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, headers, payload = 200, None, result
        if isinstance(result, tuple):
            if len(result) == 3:
                status, headers, payload = result
            else:
                status, payload = result
        return json_response(payload, status, headers)

    def response_from_exception(self, exc):
        if isinstance(exc, AppError):
            status = http_status(exc)
            headers = {"WWW-Authenticate": 'Bearer realm="gridgov"'} if status == 401 else None
            return json_response(exc.to_dict(), status, headers)
        log.error("unexpected error in %s %s: %r", self.method, self.url, exc)
        return json_response(internal_error_body(), 500)


http = JsonHttp.decorator


def read_json(request):
    """The request body as JSON, or a 400 saying what is wrong with it."""
    raw = request.get_data(cache=True)
    if not raw:
        raise InvalidInput("The request body is empty; a JSON object is required.", code="INVALID_JSON")
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise InvalidInput("The request body is not UTF-8 text.", code="INVALID_JSON") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.",
            code="INVALID_JSON", details={"line": exc.lineno, "column": exc.colno},
        ) from None
