"""The portal's files (gateway.portal): `/` leads to `/portal/`, the built app's files
under it, and `/portal/config.json`, the settings its pages read at run time. Public:
a page must load before anyone signs in, and it holds no data. Not rate-limited: a
page's dozen files from one office address behind one NAT must not spend the address's
budget for the API."""
from marshmallow import fields, validate
from werkzeug.utils import redirect

from gateway.routing import Route
from gateway.schemas.base import Loose, Strict

TAG = "portal"
HOME = "/portal/"
HTML = {"text/html": {"schema": {"type": "string"}}}
FILE = {"text/html": {"schema": {"type": "string"}}, "text/javascript": {"schema": {"type": "string"}},
        "text/css": {"schema": {"type": "string"}}, "application/manifest+json": {"schema": {"type": "object"}},
        "image/svg+xml": {"schema": {"type": "string"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
BUILD_IT = ((503, "The portal is not built (`make portal`): a plain-text message saying so", ),)


class PortalFilePath(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "a file of the built portal (only names the folder holds)", "example": "sw.js"})


class PortalConfig(Loose):
    tile_url = fields.String(required=True, metadata={
        "description": "the base map's raster tile URL template (`{z}/{x}/{y}`), or empty: no base map"})
    tile_attribution = fields.String(required=True, metadata={"description": "the base map's attribution"})
    version = fields.String(required=True, metadata={"description": "the platform's version"})


def home(ctx):
    return redirect(HOME, code=302)


def index(ctx):
    return ctx.service.portal.answer(ctx.request, "index.html")


def portal_file(ctx):
    return ctx.service.portal.answer(ctx.request, ctx.path["name"])


def portal_asset(ctx):
    return ctx.service.portal.answer(ctx.request, ctx.path["name"], under="assets")


def config(ctx):
    return ctx.service.portal.config()


REDIRECT = {"text/html": {"schema": {"type": "string"}}}
ROUTES = [
    Route("GET", "/", "portal_home", "Leads to the portal (302 to /portal/)", None, home, TAG, base="",
          limited=False, status=302, response=REDIRECT,
          description="A browser opening the gateway's address lands on the portal."),
    Route("GET", "/portal", "portal_home_bare", "Leads to the portal (302 to /portal/)", None, home, TAG, base="",
          limited=False, status=302, response=REDIRECT),
    Route("GET", "/portal/", "portal_index", "The portal's page (the built index.html)", None, index, TAG, base="",
          limited=False, response=HTML, alternatives=BUILD_IT,
          description="Served `Cache-Control: no-cache` with an ETag, and the portal's Content-Security-Policy."),
    Route("GET", "/portal/config.json", "portal_config", "The portal's run-time settings: base map tiles, version",
          None, config, TAG, base="", limited=False, response=PortalConfig,
          description="From `PORTAL_TILE_URL` and `PORTAL_TILE_ATTRIBUTION`; the page reads it before drawing a map."),
    Route("GET", "/portal/{name}", "portal_file", "A file of the built portal (sw.js, the manifest, icons)", None,
          portal_file, TAG, base="", path_schema=PortalFilePath, limited=False, response=FILE, alternatives=BUILD_IT,
          description="Only names the built folder holds (404 `PORTAL_FILE_NOT_FOUND` otherwise). Served "
                      "`no-cache` (revalidated by ETag: their names stay from build to build); `sw.js` carries "
                      "`Service-Worker-Allowed: /portal/`."),
    Route("GET", "/portal/assets/{name}", "portal_asset", "A hashed script, style or image of the built portal",
          None, portal_asset, TAG, base="", path_schema=PortalFilePath, limited=False, response=FILE,
          alternatives=BUILD_IT,
          description="Names carry their content's hash: kept a year (`immutable`). Gzipped for a client that "
                      "accepts it."),
]
