"""The portal (一门户) as the gateway serves it: the files `make portal` builds into
``portal/dist`` (``PORTAL_DIR``), under ``/portal/``, with the portal's content
security policy and its run-time settings (``/portal/config.json``).

Only files that are in the folder are served: a name is looked up among the folder's
own entries (regular files, no links), never joined onto a path, so no name reaches
outside it. The files at the top (``index.html``, ``sw.js``, the manifests, icons) keep
their names from build to build, so they are revalidated on every use (``no-cache``
with an ETag: a 304 costs nothing); the hashed files under ``assets/`` never change
under their name and are kept a year. Text files are served gzipped to a client that accepts it,
compressed once per file version.
"""
import gzip
import importlib.metadata
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path

from werkzeug.wrappers import Response

from common.errors import NotFound
from common.settings import tile_url_template
from gateway.conditional import GZIP_MIN_BYTES, accepts_gzip, etag_of, gzip_etag, matches

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "portal" / "dist"
ASSETS = "assets"
NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
COMPRESSIBLE = (".html", ".js", ".mjs", ".css", ".json", ".svg", ".webmanifest", ".txt", ".map")
NOT_BUILT = ("The portal is not built: run `make portal` (Node.js 20.19 or later), or set PORTAL_DIR to a built "
             "portal's folder.\n门户尚未构建：请运行 make portal。\n")
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".webmanifest": "application/manifest+json",
         ".svg": "image/svg+xml", ".css": "text/css", ".html": "text/html", ".json": "application/json",
         ".woff2": "font/woff2", ".png": "image/png", ".ico": "image/x-icon", ".map": "application/json"}


def tile_origin(tile_url):
    """``https://host[:port]`` of a tile URL template, or None."""
    if not tile_url:
        return None
    scheme, _, rest = tile_url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def content_security_policy(tile_url=""):
    """The portal's policy: its own scripts only (no inline script, no eval), inline
    styles (the map and the charts set them), images and data from itself and the tile
    server, the map's workers from blob: URLs (maplibre-gl builds its worker that way),
    never framed, no plugins."""
    tiles = tile_origin(tile_url)
    extra = f" {tiles}" if tiles else ""
    return "; ".join((
        "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: blob:{extra}", "font-src 'self' data:", "worker-src 'self' blob:",
        "child-src blob:", f"connect-src 'self'{extra}", "manifest-src 'self'", "base-uri 'self'",
        "form-action 'self'", "frame-ancestors 'none'", "object-src 'none'"))


def _version():
    try:
        return importlib.metadata.version("gridgov")
    except importlib.metadata.PackageNotFoundError:
        return "0"


@dataclass
class _File:
    stamp: tuple
    body: bytes
    zipped: bytes | None
    etag: str


class Portal:
    """The built portal in ``folder`` and the settings its pages read."""

    def __init__(self, folder=None, tile_url="", tile_attribution=""):
        problem = tile_url_template().problem(tile_url) if tile_url else None
        if problem:
            raise ValueError(f"PORTAL_TILE_URL {problem}")
        self.folder = Path(folder) if folder else DEFAULT_DIR
        self.tile_url, self.tile_attribution = tile_url, tile_attribution
        self.policy = content_security_policy(tile_url)
        self._files = {}

    @property
    def built(self):
        return (self.folder / "index.html").is_file()

    def config(self):
        return {"tile_url": self.tile_url, "tile_attribution": self.tile_attribution, "version": _version()}

    def not_built(self):
        return Response(NOT_BUILT, status=503, mimetype="text/plain",
                        headers={"Retry-After": "60", "Cache-Control": "no-store"})

    def _entry(self, folder, name):
        """The regular file ``name`` directly in ``folder`` (os.DirEntry), or None."""
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name == name and entry.is_file(follow_symlinks=False):
                        return entry
        except OSError:
            return None
        return None

    def answer(self, request, name, under=None):
        """The file ``name`` (under ``assets/`` when ``under`` is given) as a Response:
        304 when the client's copy is current, 404 when there is no such file, 503 when
        the portal is not built."""
        if not self.built:
            return self.not_built()
        folder = self.folder / under if under else self.folder
        entry = self._entry(folder, name)
        if entry is None:
            raise NotFound("No such file in the portal.", code="PORTAL_FILE_NOT_FOUND",
                           details={"name": f"{under}/{name}" if under else name})
        cached = self._load(entry)
        headers = {"Cache-Control": IMMUTABLE if under == ASSETS else NO_CACHE,
                   "Content-Security-Policy": self.policy, "X-Content-Type-Options": "nosniff",
                   "Referrer-Policy": "same-origin", "Vary": "Accept-Encoding"}
        if name == "sw.js" and not under:
            headers["Service-Worker-Allowed"] = "/portal/"
        if name.endswith(".html"):
            headers["X-Frame-Options"] = "DENY"
        zipped = cached.zipped is not None and accepts_gzip(request)
        headers["ETag"] = gzip_etag(cached.etag) if zipped else cached.etag
        if matches(request.headers.get("If-None-Match"), (cached.etag, gzip_etag(cached.etag))):
            return Response(status=304, headers=headers)
        if zipped:
            headers["Content-Encoding"] = "gzip"
        mimetype = TYPES.get(Path(name).suffix.lower()) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return Response(cached.zipped if zipped else cached.body, mimetype=mimetype, headers=headers)

    def _load(self, entry):
        info = entry.stat(follow_symlinks=False)
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        cached = self._files.get(entry.path)
        if cached is None or cached.stamp != stamp:
            body = Path(entry.path).read_bytes()
            zipped = None
            if entry.name.lower().endswith(COMPRESSIBLE) and len(body) >= GZIP_MIN_BYTES:
                zipped = gzip.compress(body, 6, mtime=0)
            cached = self._files[entry.path] = _File(stamp, body, zipped, etag_of(body))
        return cached
