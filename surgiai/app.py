"""The FastAPI application: routers, error rendering, correlation ids and request metrics."""

from __future__ import annotations

import functools
import itertools
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI
from prometheus_client import Counter, Histogram
from starlette.types import Message, Receive, Scope, Send

from surgiai.agents.endpoints import router as agents_router
from surgiai.audit.endpoints import router as audit_router
from surgiai.auth.endpoints import router as auth_router
from surgiai.campaigns.endpoints import router as campaigns_router
from surgiai.campaigns.pricing import price_list
from surgiai.catalogue.endpoints import courses_router, products_router
from surgiai.channels.registry import CLOUD_KIND, provider
from surgiai.commands.endpoints import router as commands_router
from surgiai.conversations.endpoints import router as messages_router
from surgiai.conversations.inbox_endpoints import drafts_router
from surgiai.conversations.inbox_endpoints import router as conversations_router
from surgiai.conversations.timeline_endpoints import router as doctor_timeline_router
from surgiai.demo import MOUNT_PATH, build_simulator
from surgiai.demo import seed as seed_demo
from surgiai.doctors.consent_endpoints import router as consent_router
from surgiai.doctors.endpoints import router as doctors_router
from surgiai.doctors.import_endpoints import router as doctor_import_router
from surgiai.doctors.segment_endpoints import router as segments_router
from surgiai.external_events.endpoints import admin_router as webhook_events_router
from surgiai.external_events.endpoints import router as webhooks_router
from surgiai.external_events.ingest import IngestWriter
from surgiai.external_events.receiver import CLOUD_PATH as WEBHOOK_PATH
from surgiai.external_events.receiver import BodyBudget, WebhookReceiver
from surgiai.external_events.secrets import AppSecrets
from surgiai.health.endpoints import router as health_router
from surgiai.knowledge.endpoints import router as documents_router
from surgiai.knowledge.faq_endpoints import router as faqs_router
from surgiai.media.endpoints import router as media_router
from surgiai.notifications.endpoints import router as notifications_router
from surgiai.numbers.endpoints import router as numbers_router
from surgiai.runtime import Runtime
from surgiai.stats.endpoints import router as stats_router
from surgiai.templates.endpoints import router as templates_router
from surgiai.web import mount_dashboard, security_headers
from surgiai.web.errors import install_error_handlers
from surgiai.web.live import router as realtime_router
from surgiai.web.openapi import document_responses
from surgiai.workspace.endpoints import router as workspace_router

log = structlog.get_logger(__name__)

REQUESTS = Counter("surgiai_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "surgiai_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


_request_ids = itertools.count()
_REQUEST_ID_PREFIX = secrets.token_hex(8)


def next_request_id() -> str:
    """Unique per process run without a system call per request (uuid4 reads urandom)."""
    return f"{_REQUEST_ID_PREFIX}{next(_request_ids):016x}"


@functools.lru_cache(maxsize=1024)
def _latency(method: str, route: str) -> Any:
    return LATENCY.labels(method, route)


@functools.lru_cache(maxsize=4096)
def _requests(method: str, route: str, status: int) -> Any:
    return REQUESTS.labels(method, route, str(status))


def create_app(runtime: Runtime, *, demo: bool = False) -> Edge:
    """The whole HTTP application. `demo` mounts the WhatsApp Cloud API simulator at
    `/simulator`, registers two simulated numbers and lets simulated doctors write."""
    # A prices file of the wrong shape stops the start, as bad settings do.
    price_list(runtime.settings.campaign_prices_file)
    ingest = IngestWriter(
        runtime.engine, runtime.queue, status_batch_seconds=runtime.settings.status_batch_seconds
    )
    app_secrets = AppSecrets(runtime.settings, runtime.session_factory)

    simulator_app = build_simulator() if demo else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ingest.start()
        await runtime.broker.start()
        if simulator_app is not None:
            # A mounted app's own lifespan does not run: drive the simulator from here.
            await simulator_app.state.simulator.start()
            await seed_demo(runtime, simulator_app.state.simulator)
        try:
            yield
        finally:
            if simulator_app is not None:
                await simulator_app.state.simulator.stop()
            await runtime.broker.stop()
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
    for router in (
        health_router,
        webhooks_router,
        auth_router,
        audit_router,
        numbers_router,
        messages_router,
        conversations_router,
        drafts_router,
        notifications_router,
        agents_router,
        commands_router,
        media_router,
        templates_router,
        # Before any other /api/v1/doctors router: /import and /export are not doctor ids.
        doctor_import_router,
        documents_router,
        products_router,
        courses_router,
        stats_router,
        workspace_router,
        faqs_router,
        consent_router,
        segments_router,
        campaigns_router,
        doctors_router,
        doctor_timeline_router,
        webhook_events_router,
        realtime_router,
    ):
        app.include_router(router)
    if simulator_app is not None:
        app.mount(MOUNT_PATH, simulator_app)
    mount_dashboard(app)
    install_error_handlers(app)
    document_responses(app)
    budget = BodyBudget(runtime.settings.webhook_max_bytes_in_flight)
    return Edge(app, WebhookReceiver(provider(CLOUD_KIND).webhooks, app_secrets, ingest, budget))


class Edge:
    """The outermost ASGI layer: a correlation id, browser hardening headers and metrics for
    every request, and the webhook receiver ahead of the framework (see
    `external_events.receiver`)."""

    def __init__(self, app: FastAPI, webhook: WebhookReceiver) -> None:
        self.app = app
        self.webhook = webhook

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                correlation_id = value.decode("latin-1")[:64]
                break
        correlation_id = correlation_id or next_request_id()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        started = time.perf_counter()
        status = 500
        hardening = security_headers(scope["path"])

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                message["headers"] = [
                    *headers,
                    *(header for header in hardening if header[0] not in present),
                    (b"x-request-id", correlation_id.encode("latin-1")),
                ]
            await send(message)

        is_webhook = scope["path"] == WEBHOOK_PATH and scope["method"] == "POST"
        try:
            if is_webhook:
                await self.webhook(scope, receive, send_observed)
            else:
                await self.app(scope, receive, send_observed)
        finally:
            route = WEBHOOK_PATH if is_webhook else getattr(scope.get("route"), "path", "unmatched")
            _latency(scope["method"], route).observe(time.perf_counter() - started)
            _requests(scope["method"], route, status).inc()
