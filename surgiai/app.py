"""The FastAPI application: routers, error rendering, correlation ids and request metrics."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import Counter, Histogram

from surgiai.audit.endpoints import router as audit_router
from surgiai.auth.endpoints import router as auth_router
from surgiai.conversations.endpoints import router as messages_router
from surgiai.errors import SurgiAIError
from surgiai.external_events.endpoints import admin_router as webhook_events_router
from surgiai.external_events.endpoints import router as webhooks_router
from surgiai.external_events.ingest import IngestWriter
from surgiai.external_events.secrets import AppSecrets
from surgiai.health.endpoints import router as health_router
from surgiai.numbers.endpoints import router as numbers_router
from surgiai.runtime import Runtime

log = structlog.get_logger(__name__)

REQUESTS = Counter("surgiai_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "surgiai_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


def create_app(runtime: Runtime) -> FastAPI:
    ingest = IngestWriter(runtime.session_factory, runtime.queue)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ingest.start()
        try:
            yield
        finally:
            ingest.stop()

    app = FastAPI(
        title="SurgiAI",
        version="0.1.0",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.ingest = ingest
    app.state.app_secrets = AppSecrets(runtime.settings, runtime.session_factory)
    for router in (
        health_router,
        webhooks_router,
        auth_router,
        audit_router,
        numbers_router,
        messages_router,
        webhook_events_router,
    ):
        app.include_router(router)
    _install_error_handlers(app)
    app.middleware("http")(_observe_request)
    return app


async def _observe_request(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    correlation_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(correlation_id=correlation_id[:64])
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    route_path = getattr(route, "path", "unmatched")
    LATENCY.labels(request.method, route_path).observe(time.perf_counter() - started)
    REQUESTS.labels(request.method, route_path, str(response.status_code)).inc()
    response.headers["X-Request-ID"] = correlation_id[:64]
    return response


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SurgiAIError)
    async def surgiai_error(_request: Request, error: SurgiAIError) -> JSONResponse:
        return JSONResponse(error.to_body(), status_code=error.status_code, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = []
        for item in error.errors():
            location = ".".join(str(part) for part in item["loc"] if part != "body")
            problems.append(f"{location}: {item['msg']}" if location else item["msg"])
        return JSONResponse(
            {"error": "ValidationError", "detail": "; ".join(problems)}, status_code=422
        )

    @app.exception_handler(Exception)
    async def unexpected_error(_request: Request, error: Exception) -> JSONResponse:
        log.exception("http.unhandled_error", error_type=type(error).__name__)
        return JSONResponse(
            {"error": "InternalError", "detail": "Something went wrong on our side."},
            status_code=500,
        )
