"""JSON over nameko's ``@http``: payloads in and out as JSON, and every error as
``{"error": CODE, "message": text, "details": {...}}`` with the status from the one
table in :mod:`common.errors`. Unknown errors become a 500 with no internals."""
import json
import logging

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.wrappers import Response

from common import config as cfg
from common.errors import AppError, InvalidInput, PayloadTooLarge, http_status, internal_error_body
from common.validation import refuse_nul

log = logging.getLogger(__name__)

JSON_MIMETYPE = "application/json"


def json_response(payload, status=200, headers=None):
    return Response(
        json.dumps(payload, ensure_ascii=False, default=str),
        status=status, headers=headers, mimetype=JSON_MIMETYPE,
    )


MAX_REQUEST_BYTES = 32 * 1024 * 1024  # a whole district's GeoJSON fits; a runaway upload does not


class JsonWebServer(WebServer):
    """nameko's web server, answering unknown paths and methods in the same JSON
    error shape as everything else instead of werkzeug's HTML pages, and refusing
    bodies over ``MAX_REQUEST_BYTES`` with a 413 before reading them."""

    def get_wsgi_app(self):
        app = super().get_wsgi_app()
        limit = self.max_request_bytes = cfg.env_int("MAX_REQUEST_BYTES", MAX_REQUEST_BYTES, self.container.config)

        def json_errors(environ, start_response):
            try:
                app.url_map.bind_to_environ(environ).match()
            except HTTPException as exc:
                return routing_error(exc)(environ, start_response)
            length = environ.get("CONTENT_LENGTH") or ""
            if length.isdigit() and int(length) > limit:
                return too_large(limit)(environ, start_response)
            if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
                # No length: the server dechunks, werkzeug reads to the end (without
                # input_terminated it would read nothing), stopping at the limit.
                environ["wsgi.input"] = CappedInput(environ["wsgi.input"], limit)
                environ["wsgi.input_terminated"] = True
            return app(environ, start_response)

        return json_errors


class CappedInput:
    """A request body stream that raises RequestEntityTooLarge once more than
    ``limit`` bytes came through (werkzeug's LimitedStream truncates a plain read())."""

    def __init__(self, stream, limit):
        self.stream, self.limit, self.seen = stream, limit, 0

    def _counted(self, data):
        self.seen += len(data)
        if self.seen > self.limit:
            raise RequestEntityTooLarge()
        return data

    def read(self, size=-1):
        room = self.limit + 1 - self.seen  # one byte past the limit tells "too large"
        return self._counted(self.stream.read(room if size is None or size < 0 else min(size, room)))

    def readline(self, size=-1):
        room = self.limit + 1 - self.seen
        return self._counted(self.stream.readline(room if size is None or size < 0 else min(size, room)))


def too_large(limit):
    error = PayloadTooLarge(f"The request body is larger than {limit} bytes.", details={"max_bytes": limit})
    return json_response(error.to_dict(), 413)


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
        if isinstance(exc, RequestEntityTooLarge):  # a chunked body ran past the limit
            return too_large(self.server.max_request_bytes)
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
        body = json.loads(raw)
    except UnicodeDecodeError:
        raise InvalidInput("The request body is not UTF-8 text.", code="INVALID_JSON") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.",
            code="INVALID_JSON", details={"line": exc.lineno, "column": exc.colno},
        ) from None
    except (ValueError, RecursionError):  # a number of over 4,300 digits, nesting deeper than Python's stack
        raise InvalidInput("The request body is JSON no request needs: a number too long or nesting too deep.",
                           code="INVALID_JSON") from None
    if b"\\u0000" in raw:  # the only way JSON can spell a NUL (the walk is for those bodies alone)
        refuse_nul(body)
    return body
