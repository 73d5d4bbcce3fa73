"""Liveness, readiness and Prometheus metrics: the only routes besides webhooks without login."""

from __future__ import annotations

from typing import Literal

import structlog
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from surgiai.dependencies import RuntimeDep

router = APIRouter(tags=["health"])
log = structlog.get_logger(__name__)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    # "database", "queue" (and "workers" under `surgiai run`): "ok", "unreachable", "starting".
    checks: dict[str, str]


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready: see the checks"}},
)
def readyz(runtime: RuntimeDep) -> JSONResponse:
    checks: dict[str, str] = {}
    for name, check in (("database", runtime.check_database), ("queue", runtime.queue.ping)):
        try:
            check()
            checks[name] = "ok"
        except Exception as error:
            log.warning("health.readyz.failed", check=name, error=type(error).__name__)
            checks[name] = "unreachable"
    if runtime.workers_ready is not None:
        # `surgiai run` while its worker processes start: webhooks are stored meanwhile.
        checks["workers"] = "ok" if runtime.workers_ready() else "starting"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics() -> Response:
    """Prometheus' text exposition format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
