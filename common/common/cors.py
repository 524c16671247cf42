"""Cross-origin requests (CORS) from an allow-list: a browser application served from
another origin (a department's own web system) may call the API; any other page
may not read what it answers.

``CORS_ORIGINS`` names the origins allowed, exactly (``https://oa.example.gov.cn``),
comma-separated; none by default. A request from one of them gets
``Access-Control-Allow-Origin`` naming that origin (never ``*``, and never
``Access-Control-Allow-Credentials``: the API takes bearer tokens in a header, not
cookies). A preflight ``OPTIONS`` of a declared path is answered with the path's
methods and the request headers the API reads. An origin not on the list gets no
CORS header at all, so its browser keeps the answer from its page. Every answer
says ``Vary: Origin`` while a list is set, so a cache never hands one origin's
answer to another.
"""
from urllib.parse import urlsplit

from werkzeug.wrappers import Response

ALLOWED_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key")
# What a page may read of an answer besides the simple headers.
EXPOSED_HEADERS = ("Retry-After", "X-Request-ID", "Content-Disposition")
MAX_AGE_SECONDS = 600  # how long a browser may keep a preflight's answer


def parse_origins(setting):
    """The origins of ``CORS_ORIGINS``; a value that is no origin (a wildcard, a path,
    no scheme) stops the component at start, naming it."""
    origins = []
    for item in (setting or "").split(","):
        origin = item.strip()
        if not origin:
            continue
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query \
                or parts.fragment or "*" in origin or "@" in parts.netloc:
            raise ValueError(f"CORS_ORIGINS: {origin!r} is no origin; name each exactly, as "
                             "scheme://host[:port] (https://oa.example.gov.cn)")
        origins.append(origin.lower())
    return frozenset(origins)


class Cors:
    def __init__(self, origins=frozenset()):
        self.origins = frozenset(origins)

    def allowed_origin(self, environ):
        """The request's Origin when it is on the list, else None."""
        origin = environ.get("HTTP_ORIGIN")
        return origin if origin and origin.lower() in self.origins else None

    def preflight(self, environ, methods):
        """The answer to ``OPTIONS`` on a declared path: its methods (``Allow``), and to
        an allowed origin asking for one of them, the CORS permission."""
        methods = sorted(set(methods) | {"OPTIONS"})
        headers = [("Allow", ", ".join(methods))]
        origin = self.allowed_origin(environ)
        asked = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")
        if origin and asked in methods:
            headers += [("Access-Control-Allow-Origin", origin),
                        ("Access-Control-Allow-Methods", ", ".join(m for m in methods if m != "HEAD")),
                        ("Access-Control-Allow-Headers", ", ".join(ALLOWED_HEADERS)),
                        ("Access-Control-Max-Age", str(MAX_AGE_SECONDS))]
        if self.origins:
            headers.append(("Vary", "Origin"))
        return Response(status=204, headers=headers)

    def start_response(self, environ, start_response):
        """``start_response`` adding the CORS headers of this request's answer."""
        if not self.origins:
            return start_response
        origin = self.allowed_origin(environ)

        def start(status, headers, exc_info=None):
            headers = with_vary_origin(headers)
            if origin:
                headers += [("Access-Control-Allow-Origin", origin),
                            ("Access-Control-Expose-Headers", ", ".join(EXPOSED_HEADERS))]
            return start_response(status, headers, exc_info)
        return start


def with_vary_origin(headers):
    """The headers with Origin added to their Vary (one Vary header)."""
    varies = [value for name, value in headers if name.lower() == "vary"]
    named = {part.strip().lower() for value in varies for part in value.split(",")}
    if "origin" in named or "*" in named:
        return list(headers)
    rest = [(name, value) for name, value in headers if name.lower() != "vary"]
    return rest + [("Vary", ", ".join(varies + ["Origin"]))]
