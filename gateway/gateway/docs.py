"""Browsable API docs at /api/v1/docs: Swagger UI served from the swagger-ui-bundle package.

No CDN and no outside validator: every asset comes from this process, and the page loads the
merged document from /api/v1/openapi.json. "Authorize" takes a bearer token or an API key.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from gateway.security import DOCS_CSP

ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui-standalone-preset.js": "application/javascript",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}

PAGE = """<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>Marketing Management Suite API</title>
    <link rel="stylesheet" type="text/css" href="/api/v1/docs/assets/swagger-ui.css">
    <link rel="icon" type="image/png" href="/api/v1/docs/assets/favicon-32x32.png" sizes="32x32">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/api/v1/docs/assets/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="/api/v1/docs/assets/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
    <script src="/api/v1/docs/assets/init.js" charset="UTF-8"></script>
  </body>
</html>
"""

INIT = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    validatorUrl: null,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout"
  });
};
"""


def _assets_dir() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


class Docs:
    def __init__(self) -> None:
        self._cache: dict[str, bytes] = {}

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(
            text=PAGE,
            content_type="text/html",
            headers={"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-cache"},
        )

    async def asset(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name == "init.js":
            body, content_type = INIT.encode(), "application/javascript"
        elif name in ASSETS:
            body = self._cache.get(name)
            if body is None:
                body = (_assets_dir() / name).read_bytes()
                self._cache[name] = body
            content_type = ASSETS[name]
        else:
            raise web.HTTPNotFound()
        return web.Response(
            body=body,
            content_type=content_type,
            headers={"Cache-Control": "public, max-age=3600", "Content-Security-Policy": DOCS_CSP},
        )
