"""Answers a browser may keep: a JSON body with a strong ETag taken from its bytes,
``304 Not Modified`` when the client's ``If-None-Match`` holds it, and the body
gzipped when the client accepts that (a map's shapes shrink tenfold).

The ETag is the body's hash, so every gateway replica gives the same one for the same
answer, and it changes exactly when the answer does."""
import gzip
import hashlib
import json

from werkzeug.wrappers import Response

from common.http import JSON_MIMETYPE

GZIP_MIN_BYTES = 1024  # smaller answers gain nothing
GZIP_LEVEL = 5         # most of level 9's gain at a third of its time


def etag_of(body):
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def gzip_etag(etag):
    """A strong ETag names one representation: the gzipped one gets its own."""
    return etag[:-1] + '-gzip"'


def matches(header, etags):
    """Whether an ``If-None-Match`` header names one of ``etags`` (weak or strong, or ``*``)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") in etags for tag in header.split(","))


def accepts_gzip(request):
    for part in request.headers.get("Accept-Encoding", "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*") and params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00"):
            return True
    return False


def json_answer(request, payload, cache_control="private, max-age=60"):
    """``payload`` as compact JSON (or JSON text already), with ``ETag`` and
    ``Cache-Control``; a 304 with no body when ``If-None-Match`` names the same ETag;
    gzipped when accepted."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, separators=(",", ":"),
                                                               default=str)
    body = text.encode("utf-8", "backslashreplace")
    etag = etag_of(body)
    zipped = len(body) >= GZIP_MIN_BYTES and accepts_gzip(request)
    headers = {"ETag": gzip_etag(etag) if zipped else etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if matches(request.headers.get("If-None-Match"), (etag, gzip_etag(etag))):
        return Response(status=304, headers=headers)
    if zipped:
        body = gzip.compress(body, GZIP_LEVEL, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(body, status=200, headers=headers, mimetype=JSON_MIMETYPE)
