"""The app factory: standalone lifespan, mounting under a host app, idempotent start/stop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from surgiai.simulator import Simulator, SimulatorConfig, create_simulator_app
from tests.simulator.harness import AUTH, DOCTOR, PNID, TOKEN, Receiver

CONFIG = SimulatorConfig(time_compression=1000, seed=3)


def register(client: TestClient, prefix: str = "") -> None:
    body = {"access_token": TOKEN, "webhook_url": "http://receiver.test/webhook"}
    body |= {"app_secret": "s", "verify_token": "sim-verify-token"}
    assert client.post(f"{prefix}/control/numbers/{PNID}", json=body).status_code == 200


def inbound(client: TestClient, prefix: str = "") -> None:
    body = {"phone_number_id": PNID, "from": DOCTOR, "type": "text", "text": {"body": "Hola"}}
    assert client.post(f"{prefix}/control/inbound", json=body).status_code == 200


class TestStandalone:
    def test_lifespan_starts_and_stops_delivery(self) -> None:
        receiver = Receiver()
        app = create_simulator_app(
            CONFIG, webhook_transport=httpx.ASGITransport(app=receiver.app())
        )
        simulator: Simulator = app.state.simulator
        with TestClient(app) as client:
            assert simulator.scheduler.running
            register(client)
            inbound(client)
            assert client.post("/control/drain").json() == {"idle": True}
            assert len(receiver.posts) == 1
        assert not simulator.scheduler.running

    def test_restart_in_a_new_event_loop(self) -> None:
        receiver = Receiver()
        app = create_simulator_app(
            CONFIG, webhook_transport=httpx.ASGITransport(app=receiver.app())
        )
        for expected in (1, 2):
            with TestClient(app) as client:
                if expected == 1:
                    register(client)
                inbound(client)
                assert client.post("/control/drain").json() == {"idle": True}
                assert len(receiver.posts) == expected


class TestMounted:
    def test_host_lifespan_drives_the_simulator(self) -> None:
        receiver = Receiver()
        simulator_app = create_simulator_app(
            CONFIG, webhook_transport=httpx.ASGITransport(app=receiver.app())
        )
        simulator: Simulator = simulator_app.state.simulator

        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            await simulator.start()
            await simulator.start()
            try:
                yield
            finally:
                await simulator.stop()
                await simulator.stop()

        host = FastAPI(lifespan=lifespan)
        host.mount("/simulator", simulator_app)
        with TestClient(host, base_url="http://app.local") as client:
            register(client, "/simulator")
            inbound(client, "/simulator")
            assert client.post("/simulator/control/drain").json() == {"idle": True}
            assert len(receiver.posts) == 1
            upload = client.post(
                f"/simulator/graph/v25.0/{PNID}/media",
                data={"messaging_product": "whatsapp", "type": "image/png"},
                files={"file": ("a.png", b"\x89PNG....", "image/png")},
                headers=AUTH,
            )
            media_id = upload.json()["id"]
            info = client.get(f"/simulator/graph/v25.0/{media_id}", headers=AUTH).json()
            assert info["url"].startswith(
                "http://app.local/simulator/whatsapp_business/attachments/"
            )
            assert client.get(info["url"], headers=AUTH).content == b"\x89PNG...."
        assert not simulator.scheduler.running
