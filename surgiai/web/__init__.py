"""The dashboard: the React app built by `make install` into `static/`, served at `/`.

Every response carries browser hardening headers (`security_headers`): the dashboard a
Content-Security-Policy under which only its own scripts run, everything else one that makes it
no page at all; none may be framed or have its type sniffed.

Hashed assets (`/assets/…`) are cached for a year; `index.html` is revalidated on every load, so
a new build is picked up by a reload. Every other path that is not the backend's own (API,
webhooks, simulator, health) is a dashboard route and gets `index.html` (SPA fallback). Built
files are precompressed (`.gz` beside each asset) and sent compressed to clients that accept it.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Match, Route
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
# Paths the dashboard never answers: an unknown API route stays a plain 404 (or 405).
BACKEND_PREFIXES = ("/api/", "/webhooks/", "/simulator/")
BACKEND_PATHS = frozenset({"/api", "/webhooks", "/simulator", "/healthz", "/readyz", "/metrics"})
ASSETS_PREFIX = "assets/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# Only the dashboard's own files. Mantine writes `<style>` tags and `style` attributes, so
# styles may be inline; scripts never are. `blob:` is the composer's preview of a file being
# attached; `data:` images are icons inside the stylesheets.
DASHBOARD_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# JSON and files: never a document that runs anything, even opened on its own.
BACKEND_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
# The API's interactive docs load Swagger UI from its CDN with an inline script.
DOCS_PATH = "/api/v1/docs"
DOCS_CSP = "frame-ancestors 'none'"
_ALWAYS = ((b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"))
_DASHBOARD_HEADERS = (*_ALWAYS, (b"content-security-policy", DASHBOARD_CSP.encode()))
_BACKEND_HEADERS = (*_ALWAYS, (b"content-security-policy", BACKEND_CSP.encode()))
_DOCS_HEADERS = (*_ALWAYS, (b"content-security-policy", DOCS_CSP.encode()))

MISSING_BUILD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SurgiAI: dashboard not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>The dashboard has not been built</h1>
<p>SurgiAI's API is running, but the web dashboard's files are missing from
<code>surgiai/web/static/</code>.</p>
<p>Build it with <code>make install</code> (it runs <code>npm ci</code> and
<code>npm run build</code> in <code>frontend/</code>; Node.js 20.19 or newer is needed),
then reload this page.</p>
<p>The API itself is described at <a href="/api/v1/docs">/api/v1/docs</a>.</p>
</body></html>
"""


def security_headers(path: str) -> tuple[tuple[bytes, bytes], ...]:
    """The hardening headers for a response to `path` (ASGI header pairs)."""
    if path.startswith(DOCS_PATH):
        return _DOCS_HEADERS
    return _BACKEND_HEADERS if is_backend_path(path) else _DASHBOARD_HEADERS


def is_backend_path(path: str) -> bool:
    # Also with a trailing slash: the router retries an unmatched path with one appended.
    return path.rstrip("/") in BACKEND_PATHS or path.startswith(BACKEND_PREFIXES)


class DashboardRoute(Route):
    """Matches GET and HEAD outside the backend's paths only, so that anything else falls
    through to the router's own 404 (or 405 when another route has the path)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if (
            scope["type"] != "http"
            or scope["method"] not in {"GET", "HEAD"}
            or is_backend_path(scope["path"])
        ):
            return Match.NONE, {}
        return super().matches(scope)


def mount_dashboard(app: FastAPI, static_dir: Path | None = None) -> None:
    """Serve the dashboard at `/`. Add it after every other route and mount."""
    root = static_dir or STATIC_DIR

    async def serve(request: Request) -> Response:
        return dashboard_response(root, request.path_params["path"], request.headers)

    app.router.routes.append(
        DashboardRoute("/{path:path}", serve, methods=["GET", "HEAD"], include_in_schema=False)
    )


def dashboard_response(root: Path, path: str, headers: Any) -> Response:
    index = root / "index.html"
    if not index.is_file():
        return HTMLResponse(MISSING_BUILD, status_code=503, headers={"Cache-Control": "no-store"})
    if path and path != "index.html":
        file = _static_file(root, path)
        if file is not None:
            cache = IMMUTABLE if path.startswith(ASSETS_PREFIX) else REVALIDATE
            return _file_response(file, cache, headers)
        if path.startswith(ASSETS_PREFIX):
            # A stale page asking for an asset of an older build: never answer it with HTML.
            raise HTTPException(status_code=404)
    return _file_response(index, REVALIDATE, headers)


def _static_file(root: Path, path: str) -> Path | None:
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root.resolve()) or not candidate.is_file():
        return None
    return candidate


def _file_response(file: Path, cache: str, headers: Any) -> FileResponse:
    response_headers = {"Cache-Control": cache}
    compressed = file.with_name(file.name + ".gz")
    if "gzip" in headers.get("accept-encoding", "") and compressed.is_file():
        response_headers["Content-Encoding"] = "gzip"
        response_headers["Vary"] = "Accept-Encoding"
        media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return FileResponse(compressed, headers=response_headers, media_type=media_type)
    return FileResponse(file, headers=response_headers)
