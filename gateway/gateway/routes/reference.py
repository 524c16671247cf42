"""The reference (the OpenAPI document and a page drawing it, all served from here,
no CDN: the page's scripts come from the swagger-ui-bundle package the build
installs) and the operations routes every component has."""
import mimetypes

from marshmallow import fields, validate
from swagger_ui_bundle import swagger_ui_path
from werkzeug.wrappers import Response

from common.errors import NotFound
from gateway import openapi
from gateway.routing import API, Route
from gateway.schemas.base import Loose, Strict

ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png",
          "favicon-16x16.png")
# The page runs no inline script and loads nothing from elsewhere (swagger-ui sets inline styles).
PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
               "object-src 'none'; frame-ancestors 'none'")

PAGE = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <title>gridgov API 参考 / reference</title>
  <link rel="stylesheet" href="{API}/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="{API}/docs/assets/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{API}/docs/assets/swagger-ui-bundle.js"></script>
  <script src="{API}/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="{API}/docs/assets/init.js"></script>
</body>
</html>
"""

# validatorUrl null: swagger-ui would otherwise fetch a badge from validator.swagger.io.
INIT = f"""window.onload = function () {{
  window.ui = SwaggerUIBundle({{
    url: "{API}/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "BaseLayout"
  }});
}};
"""


class AssetPath(Strict):
    name = fields.String(required=True, validate=validate.OneOf(ASSETS + ("init.js",)))


class OpenApiDocument(Loose):
    openapi = fields.String(required=True)
    info = fields.Dict(required=True)
    paths = fields.Dict(required=True)
    components = fields.Dict(required=True)


class Health(Loose):
    service = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("ok", "fail")))
    checks = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    failing = fields.List(fields.String())


def openapi_json(ctx):
    return openapi.document()


def docs_page(ctx):
    return Response(PAGE, mimetype="text/html", headers={"Content-Security-Policy": PAGE_POLICY})


def docs_asset(ctx):
    name = ctx.path["name"]
    if name == "init.js":
        return Response(INIT, mimetype="text/javascript")
    path = swagger_ui_path / name
    if not path.is_file():
        raise NotFound("No such asset.", code="ASSET_NOT_FOUND", details={"name": name})
    return Response(path.read_bytes(), mimetype=mimetypes.guess_type(name)[0] or "application/octet-stream",
                    headers={"Cache-Control": "public, max-age=86400"})


def health(ctx):
    return ctx.service.ops.health()[1]


def health_status(body):
    return 503 if body["status"] == "fail" else 200


def metrics(ctx):
    return ctx.service.ops.metrics_response()

ROUTES = [
    Route("GET", "/openapi.json", "openapi_document", "This API as an OpenAPI 3 document", None, openapi_json,
          "reference", response=OpenApiDocument),
    Route("GET", "/docs", "docs_page", "A readable reference of this API (no internet needed)", None, docs_page,
          "reference", response={"text/html": {"schema": {"type": "string"}}}),
    Route("GET", "/docs/assets/{name}", "docs_asset", "The reference page's scripts and styles", None, docs_asset,
          "reference", path_schema=AssetPath,
          response={"text/javascript": {"schema": {"type": "string"}}, "text/css": {"schema": {"type": "string"}},
                    "image/png": {"schema": {"type": "string", "format": "binary"}}}),
    Route("GET", "/healthz", "healthz", "200 when the broker answers, 503 naming what fails", None, health,
          "operations", response=Health, base="", status_of=health_status, limited=False,
          alternatives=((503, "The broker does not answer: `failing` names it"),)),
    Route("GET", "/metrics", "prometheus_metrics", "Prometheus metrics of the gateway", None, metrics,
          "operations", response={"text/plain": {"schema": {"type": "string"}}}, base="", limited=False),
]
