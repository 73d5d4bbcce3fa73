"""Real-time latency, embedded mode: from a signed inbound webhook's arrival at
`POST /webhooks/whatsapp` to the `message.created` event at a dashboard's WebSocket.

One `surgiai run` process (SQLite, in-process queue and pub/sub) with one registered number;
a WebSocket client logged in as an admin; doctors' messages sent at a steady rate, each with a
unique wamid. Latency = event received minus webhook sent, on one clock. Target: p95 ≤ 100 ms.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import statistics
import tempfile
import time
from typing import Any

import httpx
import websockets

from benchmarks.harness import Server, base_env, free_port, python

RATE_PER_SECOND = 20
SECONDS = 30
APP_SECRET = "bench-app-secret-0123"
PHONE_NUMBER_ID = "910000000000001"
WABA = "910000000000009"
EMAIL = "admin@bench.example"
PASSWORD = "bench-password-123"


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        port = free_port()
        env = base_env(
            SURGIAI_DATA_DIR=directory,
            SURGIAI_PORT=str(port),
            SURGIAI_ADMIN_EMAIL=EMAIL,
            SURGIAI_ADMIN_PASSWORD=PASSWORD,
            SURGIAI_META_APP_SECRET=APP_SECRET,
            # No Graph API here: the number's health check fails fast and changes nothing.
            SURGIAI_GRAPH_API_BASE=f"http://127.0.0.1:{free_port()}",
            # The inbox's own path (store, process, publish); the agents' replies are measured
            # by the agents_e2e benchmark.
            SURGIAI_AGENTS_ENABLED="false",
        )
        server = Server([python(), "-m", "surgiai", "run"], port, env, "/readyz")
        try:
            return asyncio.run(_measure(server.url))
        finally:
            server.stop()


async def _measure(base: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        token = (
            await client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        created = await client.post(
            "/api/v1/numbers",
            headers=headers,
            json={
                "label": "Bench",
                "phone_number_id": PHONE_NUMBER_ID,
                "waba_id": WABA,
                "display_phone_number": "15550400001",
                "access_token": "bench-access-token-xyz",
            },
        )
        created.raise_for_status()
        sent_at: dict[str, float] = {}
        latencies: list[float] = []
        url = base.replace("http://", "ws://") + "/api/v1/ws"
        async with websockets.connect(url, additional_headers=headers) as socket:
            hello = json.loads(await socket.recv())
            if hello.get("type") != "hello":
                raise RuntimeError(f"unexpected first frame: {hello}")
            total = RATE_PER_SECOND * SECONDS

            async def listen() -> None:
                while len(latencies) < total:
                    frame = json.loads(await socket.recv())
                    if frame["type"] != "message.created":
                        continue
                    wamid = frame["data"].get("wamid")
                    if wamid in sent_at:
                        latencies.append((time.perf_counter() - sent_at.pop(wamid)) * 1000)

            listener = asyncio.create_task(listen())
            for index in range(total):
                wamid = f"wamid.rt.{index}"
                body = _webhook(wamid, f"Question {index} about the stapler")
                signature = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
                sent_at[wamid] = time.perf_counter()
                response = await client.post(
                    "/webhooks/whatsapp",
                    content=body,
                    headers={
                        "X-Hub-Signature-256": f"sha256={signature}",
                        "Content-Type": "application/json",
                    },
                )
                response.raise_for_status()
                await asyncio.sleep(1 / RATE_PER_SECOND)
            try:
                await asyncio.wait_for(listener, timeout=30)
            except TimeoutError:
                listener.cancel()
    ordered = sorted(latencies)
    if not ordered:
        raise RuntimeError("no event arrived")
    return {
        "webhooks": RATE_PER_SECOND * SECONDS,
        "events_received": len(ordered),
        "rate_per_second": RATE_PER_SECOND,
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 1),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 1),
        "max_ms": round(ordered[-1], 1),
    }


def _webhook(wamid: str, text: str) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550400001", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Dr. Bench"}, "wa_id": "919800011122"}],
        "messages": [
            {
                "from": "919800011122",
                "id": wamid,
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": text},
            }
        ],
    }
    envelope = {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA, "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(envelope, separators=(",", ":")).encode()
