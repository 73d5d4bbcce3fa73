"""`POST /webhooks/whatsapp` as a bare ASGI handler.

It is the busiest route (Meta sends a status webhook for every message state, and says to
answer within 250 ms), so it runs ahead of the framework's routing and dependency machinery:
read at most 3 MB → check the signature → check it is JSON → store → 200.
"""

from __future__ import annotations

from typing import Any

import orjson
import structlog
from starlette.types import Receive, Scope, Send

from surgiai.errors import (
    BadRequest,
    InvalidSignature,
    NotAuthenticated,
    PayloadTooLarge,
    SurgiAIError,
)
from surgiai.external_events.ingest import SOURCE_CLOUD, IngestWriter
from surgiai.external_events.secrets import AppSecrets

log = structlog.get_logger(__name__)

PATH = "/webhooks/whatsapp"
SIGNATURE_HEADER = b"x-hub-signature-256"
# Meta's payloads are at most 3 MB (CLOUD_API.md §3.2).
MAX_BODY_BYTES = 3 * 1024 * 1024


class CloudWebhookReceiver:
    def __init__(self, app_secrets: AppSecrets, ingest: IngestWriter) -> None:
        self.app_secrets = app_secrets
        self.ingest = ingest

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
        body = await _read_limited(headers, receive)
        signature = headers.get(SIGNATURE_HEADER)
        if not signature:
            raise NotAuthenticated("Missing X-Hub-Signature-256 header.")
        if not await self.app_secrets.verify(body, signature.decode("latin-1")):
            log.warning("webhooks.signature.invalid", bytes=len(body))
            raise InvalidSignature("The X-Hub-Signature-256 signature does not match the body.")
        try:
            payload: Any = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise BadRequest(f"The body is not valid JSON: {error}") from None
        if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
            raise BadRequest(
                'Not a WhatsApp webhook: "object" must be "whatsapp_business_account".'
            )
        await self.ingest.store(SOURCE_CLOUD, body)


async def _read_limited(headers: dict[bytes, bytes], receive: Receive) -> bytes:
    declared = headers.get(b"content-length", b"")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge("Webhook bodies are at most 3 MB.")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequest("The client went away before sending the whole body.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLarge("Webhook bodies are at most 3 MB.")
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
