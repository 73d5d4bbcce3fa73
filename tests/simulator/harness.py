"""Simulator test harness: the simulator app on an in-process client, a recording webhook
receiver, and a manual clock."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse

from surgiai.simulator import ManualClock, Simulator

PNID = "106540352242922"
WABA = "102290129340398"
TOKEN = "sim-access-token"
APP_SECRET = "sim-app-secret"
VERIFY_TOKEN = "sim-verify-token"
HOOK_URL = "http://receiver.test/webhook"
DOCTOR = "5215512345678"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class ReceivedPost:
    body: bytes
    headers: dict[str, str]

    @property
    def payload(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """A webhook endpoint like ours: answers the handshake, records POSTs, scripted codes."""

    verify_token: str = VERIFY_TOKEN
    status_codes: list[int] = field(default_factory=list)
    posts: list[ReceivedPost] = field(default_factory=list)
    verifications: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/webhook")
        async def verify(request: Request) -> Response:
            params = dict(request.query_params)
            self.verifications.append(params)
            if params.get("hub.verify_token") != self.verify_token:
                return PlainTextResponse("Forbidden", status_code=403)
            return PlainTextResponse(params.get("hub.challenge", ""))

        @app.post("/webhook")
        async def receive(request: Request) -> Response:
            self.posts.append(ReceivedPost(await request.body(), dict(request.headers)))
            code = self.status_codes.pop(0) if self.status_codes else 200
            return PlainTextResponse("ok", status_code=code)

        return app

    def values(self) -> list[dict[str, Any]]:
        return [
            change["value"]
            for post in self.posts
            for entry in post.payload["entry"]
            for change in entry["changes"]
        ]

    def statuses(self, wamid: str | None = None) -> list[dict[str, Any]]:
        return [
            status
            for value in self.values()
            for status in value.get("statuses", [])
            if wamid is None or status["id"] == wamid
        ]

    def messages(self) -> list[dict[str, Any]]:
        return [message for value in self.values() for message in value.get("messages", [])]


@dataclass
class Harness:
    app: FastAPI
    sim: Simulator
    client: httpx.AsyncClient
    receiver: Receiver
    clock: ManualClock

    async def register(self, pnid: str = PNID, /, **overrides: Any) -> dict[str, Any]:
        body = {
            "waba_id": WABA,
            "business_portfolio_id": "bp-1",
            "display_phone_number": "+1 555-078-3881",
            "verified_name": "SurgiAI Demo",
            "access_token": TOKEN,
            "app_secret": APP_SECRET,
            "webhook_url": HOOK_URL,
            "verify_token": VERIFY_TOKEN,
            **overrides,
        }
        response = await self.client.post(f"/control/numbers/{pnid}", json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def send(
        self,
        payload: dict[str, Any],
        *,
        pnid: str = PNID,
        version: str = "v25.0",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body = {"messaging_product": "whatsapp", **payload}
        return await self.client.post(
            f"/graph/{version}/{pnid}/messages",
            json=body,
            headers=AUTH if headers is None else headers,
        )

    async def send_text(
        self,
        to: str = DOCTOR,
        body: str = "Hola",
        *,
        headers: dict[str, str] | None = None,
        version: str = "v25.0",
        **extra: Any,
    ) -> httpx.Response:
        payload = {"to": to, "type": "text", "text": {"body": body}, **extra}
        return await self.send(payload, headers=headers, version=version)

    async def inbound(self, **body: Any) -> dict[str, Any]:
        payload = {"phone_number_id": PNID, "from": DOCTOR, "name": "Dr. Ana Ruiz", **body}
        if "type" not in payload:
            payload["type"] = "text"
            payload["text"] = {"body": "Hola"}
        response = await self.client.post("/control/inbound", json=payload)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def user(self, wa_id: str = DOCTOR, **update: Any) -> dict[str, Any]:
        """The simulated user's record (BSUIDs included), after `update` if one is given."""
        if update:
            response = await self.client.put(f"/control/users/{wa_id}", json=update)
        else:
            response = await self.client.get(f"/control/users/{wa_id}")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def template(self, **body: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "waba_id": WABA,
            "name": "order_update",
            "language": "en_US",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Hi {{1}}, order {{2}} shipped."}],
            **body,
        }
        response = await self.client.post("/control/templates", json=payload)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def drain(self) -> None:
        assert await self.sim.drain(5.0)

    def wamid(self, response: httpx.Response) -> str:
        assert response.status_code == 200, response.text
        wamid: str = response.json()["messages"][0]["id"]
        return wamid


def template_send(name: str = "order_update", *params: str, to: str = DOCTOR) -> dict[str, Any]:
    components = []
    if params:
        components.append(
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}
        )
    return {
        "to": to,
        "type": "template",
        "template": {"name": name, "language": {"code": "en_US"}, "components": components},
    }


class HarnessFactory(Protocol):
    """The `make_harness` fixture: a started harness, its `SimulatorConfig` fields overridden by
    `config`; registered (a number, a webhook) unless `register` is False."""

    async def __call__(self, register: bool = True, **config: Any) -> Harness: ...
