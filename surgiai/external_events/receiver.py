"""A provider's webhook endpoint (`POST /webhooks/whatsapp` for the Cloud API) as a bare ASGI
handler.

It is the busiest route (Meta sends a status webhook for every message state, and says to
answer within 250 ms), so it runs ahead of the framework's routing and dependency machinery:
read at most the provider's limit → check the signature → check it is the provider's webhook →
store → 200. What each check means is the provider's (`InboundWebhooks`); the order and the
answers are SurgiAI's.
"""

from __future__ import annotations

import orjson
import structlog
from starlette.types import Receive, Scope, Send

from surgiai.channels.base import InboundWebhooks
from surgiai.errors import (
    BadRequest,
    InvalidSignature,
    NotAuthenticated,
    PayloadTooLarge,
    SurgiAIError,
)
from surgiai.external_events.ingest import IngestWriter
from surgiai.external_events.secrets import AppSecrets

log = structlog.get_logger(__name__)

CLOUD_PATH = "/webhooks/whatsapp"


class WebhookReceiver:
    def __init__(
        self, webhooks: InboundWebhooks, app_secrets: AppSecrets, ingest: IngestWriter
    ) -> None:
        self.webhooks = webhooks
        self.app_secrets = app_secrets
        self.ingest = ingest
        # ASGI gives header names in lower case.
        self._signature_header = webhooks.signature_header.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.accept(dict(scope["headers"]), receive)
        except SurgiAIError as error:
            await _respond(
                send, error.status_code, orjson.dumps(error.to_body()), b"application/json"
            )
            return
        await _respond(send, 200, b"OK", b"text/plain; charset=utf-8")

    async def accept(self, headers: dict[bytes, bytes], receive: Receive) -> None:
        body = await _read_limited(headers, receive, self.webhooks.max_body_bytes)
        signature = headers.get(self._signature_header)
        name = self.webhooks.signature_header
        if not signature:
            raise NotAuthenticated(f"Missing {name} header.")
        if not await self.app_secrets.verify(self.webhooks, body, signature.decode("latin-1")):
            log.warning("webhooks.signature.invalid", bytes=len(body))
            raise InvalidSignature(f"The {name} signature does not match the body.")
        self.webhooks.check_envelope(body)
        await self.ingest.store(self.webhooks, body)


async def _read_limited(headers: dict[bytes, bytes], receive: Receive, limit: int) -> bytes:
    too_large = f"Webhook bodies are at most {limit // (1024 * 1024)} MB."
    declared = headers.get(b"content-length", b"")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(too_large)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequest("The client went away before sending the whole body.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(too_large)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
