"""Fixtures: a started simulator (timers 1000x faster, manual clock) with a recording
webhook receiver behind an in-process transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from surgiai.simulator import ManualClock, Simulator, SimulatorConfig, create_simulator_app
from tests.simulator.harness import Harness, HarnessFactory, Receiver


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def make_harness() -> AsyncIterator[HarnessFactory]:
    """Build a started harness with config overrides; everything is stopped afterwards."""
    created: list[Harness] = []

    async def factory(register: bool = True, **config: Any) -> Harness:
        # One delivery at a time keeps webhook arrival order deterministic.
        settings = {"time_compression": 1000.0, "seed": 7, "delivery_concurrency": 1, **config}
        receiver = Receiver()
        clock = ManualClock()
        app = create_simulator_app(
            SimulatorConfig(**settings),
            clock=clock,
            webhook_transport=httpx.ASGITransport(app=receiver.app()),
        )
        sim: Simulator = app.state.simulator
        await sim.start()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim")
        harness = Harness(app, sim, client, receiver, clock)
        created.append(harness)
        if register:
            await harness.register()
        return harness

    yield factory
    for harness in created:
        await harness.client.aclose()
        await harness.sim.stop()


@pytest.fixture
async def h(make_harness: HarnessFactory) -> Harness:
    """A harness with one registered number and default configuration."""
    harness: Harness = await make_harness()
    return harness
