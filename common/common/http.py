"""JSON over nameko's ``@http``: payloads in and out as JSON, and every error as
``{"error": CODE, "message": text, "details": {...}}`` with the status from the one
table in :mod:`common.errors`. Unknown errors become a 500 with no internals.

Every answer carries ``X-Request-ID`` (the client's when sane, else a new one; see
:mod:`common.logs`), and every request leaves one access line, its query's values
masked but for non-personal parameters (``LOGGED_PARAMETERS``). Answers the HTTP
server itself gives (414, 431, a malformed request) take the same JSON shape.
"""
import json
import logging
import math
import re
import socket
import time
from functools import partial
from urllib.parse import quote, unquote_plus

from eventlet.event import Event
from eventlet.wsgi import HeadersTooLarge, HeaderLineTooLong
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.wrappers import Response

from common import config as cfg
from common.cors import Cors, parse_origins
from common.errors import (AppError, InvalidInput, Overloaded, PayloadTooLarge, UnsupportedMediaType,
                           http_status, internal_error_body)
from common.logs import (REQUEST_ID_HEADER, REQUEST_ID_KEY, current_request_id, exception_summary,
                         new_request_id, request_id_from, set_request_id)
from common.metrics import metrics_for
from common.validation import refuse_bad_characters

log = logging.getLogger(__name__)
access_log = logging.getLogger("gridgov.access")

JSON_MIMETYPE = "application/json"
REQUEST_ID_ENVIRON = "gridgov.request_id"
LOGGED_TARGET_ENVIRON = "gridgov.logged_target"  # (path, query) masked once, by the protocol


def json_response(payload, status=200, headers=None):
    # backslashreplace: a lone surrogate nobody caught becomes its JSON escape, so the
    # body is still JSON (strict UTF-8 would fail while the answer is being written).
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8", "backslashreplace")
    return Response(body, status=status, headers=headers, mimetype=JSON_MIMETYPE)


MAX_REQUEST_BYTES = 32 * 1024 * 1024  # a whole district's GeoJSON fits; a runaway upload does not


class JsonWebServer(WebServer):
    """nameko's web server, answering unknown paths and methods in the same JSON
    error shape as everything else instead of werkzeug's HTML pages, and refusing
    bodies over ``MAX_REQUEST_BYTES`` with a 413 before reading them. Each request
    gets its id (``X-Request-ID`` on the answer, ``request_id`` in its worker's
    context data) and one access line; eventlet's own access line, which writes
    the query in clear, is off.

    Load: a request waits for one of the container's ``max_workers`` workers; at
    most ``HTTP_QUEUE_LIMIT`` wait at once (default: as many as there are workers),
    and one more is answered 503 ``OVERLOADED`` at once. ``GET`` of a path a
    dependency serves itself (``served_without_worker()``, as /healthz and /metrics
    are: common.ops) is answered here, never waiting behind the API."""

    waiting = 0  # requests waiting for a worker now

    def setup(self):
        super().setup()
        config = self.container.config
        self.queue_limit = cfg.env_int("HTTP_QUEUE_LIMIT", self.container.max_workers, config)
        if self.queue_limit < 0:
            raise ValueError(f"HTTP_QUEUE_LIMIT must be 0 or more, got {self.queue_limit}")
        self.metrics = metrics_for(self.container)
        self.metrics.http_waiting.set_function(lambda: self.waiting)

    def free_workers(self):
        return self.container._worker_pool.free()  # nameko 2.x keeps no public count

    def served_without_worker(self):
        """{path: callable giving a Response} of GET paths the container's dependencies
        answer themselves."""
        routes = {}
        for dependency in self.container.dependencies:
            routes.update(getattr(dependency, "served_without_worker", dict)())
        return routes

    def get_wsgi_server(self, sock, wsgi_app, protocol=None, debug=False):
        server = super().get_wsgi_server(sock, wsgi_app, protocol or JsonHttpProtocol, debug)
        server.log_output = False  # its errors still go to server.log; its access line is ours
        return server

    def context_data_from_headers(self, request):
        request_id = request.environ.get(REQUEST_ID_ENVIRON) or request_id_from(request.headers.get(REQUEST_ID_HEADER))
        return {REQUEST_ID_KEY: request_id}

    def get_wsgi_app(self):
        app = super().get_wsgi_app()
        limit = self.max_request_bytes = cfg.env_int("MAX_REQUEST_BYTES", MAX_REQUEST_BYTES, self.container.config)
        cors = Cors(parse_origins(cfg.env("CORS_ORIGINS", "", self.container.config)))
        without_worker = self.served_without_worker()

        def json_errors(environ, start_response):
            if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO") in without_worker:
                return without_worker[environ["PATH_INFO"]]()(environ, start_response)
            adapter = app.url_map.bind_to_environ(environ)
            if environ.get("REQUEST_METHOD") == "OPTIONS":  # a preflight, answered for every declared path
                methods = adapter.allowed_methods()
                if methods:
                    return cors.preflight(environ, methods)(environ, start_response)
            start_response = cors.start_response(environ, start_response)
            try:
                adapter.match()
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

        def with_request_id(environ, start_response):
            started = time.perf_counter()
            request_id = environ[REQUEST_ID_ENVIRON] = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
            set_request_id(request_id)  # this greenthread's log lines (its worker sets its own)
            status = [500]

            def start(status_line, headers, exc_info=None):
                status[0] = int(status_line[:3])
                headers = [h for h in headers if h[0].lower() != "x-request-id"] + [(REQUEST_ID_HEADER, request_id)]
                return start_response(status_line, headers, exc_info)

            try:
                return json_errors(environ, start)
            except Exception as exc:  # nothing below should let one through; if it does, still JSON
                log.error("unexpected error in %s %s: %s", environ.get("REQUEST_METHOD"),
                          environ.get("PATH_INFO"), exception_summary(exc))
                return json_response(internal_error_body(request_id), 500)(environ, start)
            finally:
                path, query = environ.get(LOGGED_TARGET_ENVIRON) or loggable_target(
                    environ.get("RAW_PATH_INFO", environ.get("PATH_INFO", "")), environ.get("QUERY_STRING", ""))
                log_access(environ.get("REQUEST_METHOD", ""), path, query, status[0], time.perf_counter() - started)
                set_request_id(None)

        return with_request_id


# Query parameters whose values an access line shows: none of them carries personal
# data. Every other value is written as ***.
LOGGED_PARAMETERS = frozenset((
    "root", "status", "limit", "before", "from", "to", "category", "grade", "source", "level", "kind", "type",
    "parent", "geometry", "overdue", "reveal", "responsible", "on", "lon", "lat", "crs", "at", "unread", "zoom",
))
_PARAMETER_NAME = re.compile(r"[A-Za-z_]{1,40}\Z")  # a name with digits in it might be a number itself
_LOGGED_VALUE_CHARS = 64
_SAFE_IN_LOG = "%+,:._~-"  # kept as sent; anything else (spaces, controls, quotes) percent-encoded


def loggable_query(query):
    """The query string with every value masked but those of LOGGED_PARAMETERS
    (cut to 64 characters), and names that are not plain words masked too."""
    if not query:
        return ""
    parts = []
    for pair in query.split("&"):
        if not pair:
            continue
        raw_name, equals, value = pair.partition("=")
        name = unquote_plus(raw_name)
        shown_name = name if _PARAMETER_NAME.match(name) else "*"
        if not equals:
            parts.append(shown_name)
        elif name in LOGGED_PARAMETERS:
            cut = value[:_LOGGED_VALUE_CHARS]
            parts.append(f"{shown_name}={quote(cut, safe=_SAFE_IN_LOG)}{'…' if len(value) > len(cut) else ''}")
        else:
            parts.append(f"{shown_name}={'***' if value else ''}")
    return "&".join(parts)


def loggable_path(path):
    """The path as sent (its segments are ids, not personal data), cut to 300
    characters, with anything but visible ASCII percent-encoded."""
    cut = path[:300]
    return quote(cut, safe="/%:@!$&'()*+,;=._~-") + ("…" if len(path) > len(cut) else "")


def loggable_target(path, query):
    """(path, query) of a request as a log line may show them."""
    return loggable_path(path), loggable_query(query)


def log_access(method, path, query, status, seconds):
    """One line per request: method, path and query (both as ``loggable_target``
    gives them), status, duration; the request id comes from the current
    greenthread (common.logs)."""
    method = method if re.fullmatch(r"[A-Z]{1,16}", method or "") else "?"
    duration_ms = round(seconds * 1000, 1)
    access_log.info("%s %s%s %d %.1fms", method, path, f"?{query}" if query else "", status, duration_ms,
                    extra={"method": method, "path": path, "query": query, "status": status,
                           "duration_ms": duration_ms})


class JsonHttpProtocol(HttpOnlyProtocol):
    """eventlet's HTTP protocol, answering what it refuses before any application runs
    (a request line too long, headers too large, a malformed request) in the JSON
    error shape with a request id, instead of an empty body or http.server's HTML."""

    def _read_request_line(self):
        line = super()._read_request_line()
        limit = self.server.url_length_limit
        if line and len(line) >= limit:  # eventlet would answer 414 with an empty body
            method, _, rest = line.decode("latin-1").partition(" ")
            target = rest.split(" ", 1)[0]
            self._refuse(414, "URI_TOO_LONG", f"The request line is longer than {limit} bytes.",
                         {"max_bytes": limit}, method, target)
            return b""  # nothing read: eventlet closes the connection
        return line

    def parse_request(self):
        try:
            parsed = super().parse_request()
        except (HeaderLineTooLong, HeadersTooLarge):
            self._refuse(431, "HEADERS_TOO_LARGE", "The request headers are too large (8 KiB per line, "
                         "64 KiB in all).", {"max_line_bytes": 8192, "max_total_bytes": 65536})
            return False
        if not parsed:
            return False
        # eventlet writes the request line into some error lines (a body it failed to
        # discard): from here on it holds the query as the access line shows it.
        path, _, query = self.path.partition("?")
        self.logged_target = loggable_target(path, query)
        shown_path, shown_query = self.logged_target
        self.requestline = f"{self.command} {shown_path}{'?' if shown_query else ''}{shown_query} {self.request_version}"
        length = self.headers.get("content-length")
        if length is not None:  # eventlet refuses these with an empty or a text body
            try:
                valid = int(length) >= 0
            except ValueError:
                valid = False
            if not valid:
                self._refuse(400, "INVALID_CONTENT_LENGTH", "Content-Length must be a number of bytes.", {})
                return False
            if self.headers.get("transfer-encoding") is not None:
                self._refuse(400, "BAD_REQUEST", "Content-Length and Transfer-Encoding are not allowed together.",
                             {})
                return False
        return True

    def get_environ(self):
        environ = super().get_environ()
        environ[LOGGED_TARGET_ENVIRON] = self.logged_target
        return environ

    def send_error(self, code, message=None, explain=None):
        """http.server's refusals (a malformed request line, too many headers)."""
        codes = {400: "BAD_REQUEST", 431: "HEADERS_TOO_LARGE", 505: "HTTP_VERSION_NOT_SUPPORTED"}
        text = message or self.responses.get(code, ("Bad request",))[0]
        self._refuse(code, codes.get(code, "HTTP_ERROR"), f"{text[:200]}.", {})

    def _refuse(self, status, code, message, details, method=None, target=None):
        started = time.perf_counter()
        request_id = new_request_id()
        body = json.dumps({"error": code, "message": message, "details": details}).encode()
        reason = self.responses.get(status, ("Error",))[0]
        head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {JSON_MIMETYPE}\r\nContent-Length: {len(body)}\r\n"
                f"{REQUEST_ID_HEADER}: {request_id}\r\nConnection: close\r\n\r\n").encode("latin-1")
        self.close_connection = 1
        try:
            self.wfile.write(head + body)
            self.wfile.flush()
        except OSError:
            return
        method = method if method is not None else getattr(self, "command", None) or ""
        target = target if target is not None else getattr(self, "path", None) or ""
        path, _, query = target.partition("?")
        set_request_id(request_id)
        try:
            log_access(method, *loggable_target(path, query), status, time.perf_counter() - started)
        finally:
            set_request_id(None)
        self._drain()

    def _drain(self, seconds=2.0, limit=4 * 1024 * 1024):
        """Read (and drop) what the client is still sending, for a while: closing a
        socket with unread data resets the connection, and the client may lose the
        answer before reading it."""
        sock = self.connection
        deadline = time.monotonic() + seconds
        received = 0
        try:
            sock.shutdown(socket.SHUT_WR)  # the answer is complete: the client sees it end
            while received < limit:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                sock.settimeout(left)
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += len(chunk)
        except OSError:  # a timeout or a reset: nothing more to wait for
            pass


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


# Seconds a client is told to wait (Retry-After) when a 429 or a 503 names none itself:
# a service restarting or a database pool draining is back within seconds; a limit
# says how long its own window lasts (details.retry_after_seconds).
DEFAULT_RETRY_AFTER = {429: 60, 503: 5}
SHED_RETRY_AFTER_SECONDS = 1  # a queue that was full is drained within a second or so


def retry_after(exc, status):
    """The Retry-After of an error's answer, in whole seconds (at least 1), or None for
    a status that takes none."""
    if status not in DEFAULT_RETRY_AFTER:
        return None
    seconds = exc.details.get("retry_after_seconds") if isinstance(exc.details, dict) else None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        return DEFAULT_RETRY_AFTER[status]
    return max(1, math.ceil(seconds))


class JsonHttp(HttpRequestHandler):
    server = JsonWebServer()

    # A chunked body past the limit is the client's error too: logged as expected.
    def __init__(self, method, url, expected_exceptions=(AppError, RequestEntityTooLarge), **kwargs):
        super().__init__(method, url, expected_exceptions=expected_exceptions, **kwargs)

    def handle_request(self, request):
        """nameko's, refusing the request with 503 OVERLOADED when no worker is free and
        ``HTTP_QUEUE_LIMIT`` requests already wait for one (``spawn_worker`` waits for a
        free worker without limit), and counting those that wait."""
        server = self.server
        if server.waiting >= server.queue_limit and server.free_workers() == 0:
            server.metrics.http_shed.inc()
            return self.response_from_exception(Overloaded(
                "Too many requests are waiting for this component; please retry shortly.",
                details={"queue_limit": server.queue_limit, "retry_after_seconds": SHED_RETRY_AFTER_SECONDS}))
        request.shallow = False
        try:
            context_data = server.context_data_from_headers(request)
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            event = Event()
            server.waiting += 1
            try:
                self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                            handle_result=partial(self.handle_result, event))
            finally:
                server.waiting -= 1
            result = event.wait()
            response = self.response_from_result(result)
        except Exception as exc:
            response = self.response_from_exception(exc)
        return response

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
            wait = retry_after(exc, status)
            if wait is not None:
                headers = {"Retry-After": str(wait)}
            return json_response(exc.to_dict(), status, headers)
        # The type and the traceback only: an exception's text may hold personal data.
        log.error("unexpected error in %s %s: %s", self.method, self.url, exception_summary(exc))
        return json_response(internal_error_body(current_request_id()), 500)


http = JsonHttp.decorator

# JSON bodies in JSON's media type only: a browser sends text/plain, a form or no type
# across origins without asking (no CORS preflight), application/json never.
_JSON_SUFFIX = "+json"
# How JSON spells a NUL or half a surrogate pair: only a body holding one is walked.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def require_json(request):
    """415 UNSUPPORTED_MEDIA_TYPE unless the request says its body is JSON
    (``application/json``, parameters such as charset allowed, or ``application/*+json``)."""
    mimetype = request.mimetype  # lower case, without parameters
    if mimetype == JSON_MIMETYPE or (mimetype.startswith("application/") and mimetype.endswith(_JSON_SUFFIX)):
        return
    sent = request.environ.get("headers_raw")  # eventlet says text/plain when no type was sent
    if sent is not None and not any(name.lower() == "content-type" for name, _ in sent):
        mimetype = ""
    raise UnsupportedMediaType(
        f"Send the body as JSON with Content-Type: {JSON_MIMETYPE} (got {mimetype or 'no Content-Type'}).",
        details={"content_type": mimetype or None, "required": JSON_MIMETYPE})


def read_json(request):
    """The request body as JSON: 415 unless it is sent as JSON (``require_json``), 400
    saying what is wrong with it otherwise, including a string or key that holds a
    NUL or a lone UTF-16 surrogate (no database text takes either, and a surrogate
    cannot even be written back as UTF-8)."""
    require_json(request)
    raw = request.get_data(cache=True)
    if not raw:
        raise InvalidInput("The request body is empty; a JSON object is required.", code="INVALID_JSON")
    try:
        # Strict UTF-8 here: json.loads of bytes would let an encoded surrogate through.
        text = raw.decode("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8")
        body = json.loads(text)
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
    if _SUSPECT_ESCAPE.search(text):  # ordinary bodies pay one scan, not a walk
        refuse_bad_characters(body)
    return body


FORM_MIMETYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def read_form(request):
    """A browser form's fields as {name: text}: 415 unless it is sent as a form, 400
    naming a field sent twice or a file (a form here takes text only)."""
    if request.mimetype not in FORM_MIMETYPES:
        raise UnsupportedMediaType(
            f"Send the form as {FORM_MIMETYPES[0]} (got {request.mimetype or 'no Content-Type'}).",
            details={"content_type": request.mimetype or None, "accepted": list(FORM_MIMETYPES)})
    if request.files:
        field = next(iter(request.files))
        raise InvalidInput("This form takes no file.", code="VALIDATION_FAILED", details={"field": field})
    form = request.form
    for name in form:
        if len(form.getlist(name)) > 1:
            raise InvalidInput(f"The form field {name!r} was sent more than once.", code="VALIDATION_FAILED",
                               details={"field": name})
    return form.to_dict()
