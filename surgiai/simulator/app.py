"""The simulator as a FastAPI app: mount it at `/simulator` or run it standalone.

Mounted as a sub-app, Starlette does not run its lifespan, so the host app must call
`await app.state.simulator.start()` / `stop()` in its own lifespan. Both are idempotent, so
the standalone lifespan and the host can both call them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from surgiai.errors import SurgiAIError
from surgiai.simulator import control, graph
from surgiai.simulator.clock import Clock
from surgiai.simulator.config import SimulatorConfig
from surgiai.simulator.core import Simulator
from surgiai.simulator.errors import GraphError, error_body


def create_simulator_app(
    config: SimulatorConfig | None = None,
    *,
    clock: Clock | None = None,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`clock` replaces real time (tests); `webhook_transport` lets webhooks go in-process
    (e.g. `httpx.ASGITransport(app=host_app)`) instead of over the network."""
    simulator = Simulator(config, clock=clock, webhook_transport=webhook_transport)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await simulator.start()
        try:
            yield
        finally:
            await simulator.stop()

    app = FastAPI(
        title="WhatsApp Cloud API simulator",
        description="Meta's Graph/Cloud API protocol on loopback, with a control plane.",
        lifespan=lifespan,
    )
    app.state.simulator = simulator
    app.include_router(graph.router)
    app.include_router(control.router)
    app.add_exception_handler(GraphError, _graph_error)
    app.add_exception_handler(SurgiAIError, _surgiai_error)
    return app


async def _graph_error(request: Request, exc: Exception) -> JSONResponse:
    error = cast(GraphError, exc)
    simulator = cast(Simulator, request.app.state.simulator)
    body = error_body(
        error,
        fbtrace_id=simulator.fbtrace_id(),
        include_subcode=simulator.config.include_error_subcode,
    )
    headers = None
    if error.auth:
        headers = {
            "WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token" '
            f'"{body["error"]["error_data"]["details"]}"'
        }
    return JSONResponse(body, status_code=simulator.http_status_for(error), headers=headers)


async def _surgiai_error(_: Request, exc: Exception) -> JSONResponse:
    error = cast(SurgiAIError, exc)
    return JSONResponse(error.to_body(), status_code=error.status_code, headers=error.headers)
