"""A provider's webhook endpoint (`POST /webhooks/whatsapp` for the Cloud API) as a bare ASGI
handler.

It is the busiest route (Meta sends a status webhook for every message state, and says to
answer within 250 ms), so it runs ahead of the framework's routing and dependency machinery:
check the signature header's form → take room for the body → read at most the provider's limit
→ check the signature and whom it speaks for → check it is the provider's webhook → store → 200.
What each check means is the provider's (`InboundWebhooks`); the order and the answers are
SurgiAI's.

Nobody can make the process hold memory without a signature that could be valid: a request
without one is refused before a byte of its body is read, one declaring more than the limit is
refused by its Content-Length, and the bodies held at once are bounded (`BodyBudget`); past the
bound a delivery is answered 503 with Retry-After, and Meta retries.
"""

from __future__ import annotations

import asyncio

import orjson
import structlog
from starlette.types import Receive, Scope, Send

from surgiai.channels.base import InboundWebhooks
from surgiai.errors import (
    BadRequest,
    InvalidSignature,
    PayloadTooLarge,
    RequestTimeout,
    ServiceUnavailable,
    SurgiAIError,
)
from surgiai.external_events.ingest import IngestWriter
from surgiai.external_events.secrets import AppSecrets

log = structlog.get_logger(__name__)

CLOUD_PATH = "/webhooks/whatsapp"
# A body must arrive within this: a client trickling one would otherwise hold its share of the
# budget for as long as it liked. Meta's largest (3 MB) takes well under a second.
BODY_SECONDS = 30.0
RETRY_AFTER_SECONDS = 1


class BodyBudget:
    """Bytes of webhook bodies held at once, by requests between reading and answering. Used
    from the event loop only, so it needs no lock."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.held = 0

    def take(self, size: int) -> None:
        """Raise `ServiceUnavailable` when `size` more bytes do not fit."""
        if self.held + size > self.max_bytes:
            log.warning("webhooks.busy", held=self.held, requested=size)
            raise ServiceUnavailable(
                "Too many webhook deliveries are being received at once; send it again shortly.",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        self.held += size

    def give_back(self, size: int) -> None:
        self.held -= size


class WebhookReceiver:
    def __init__(
        self,
        webhooks: InboundWebhooks,
        app_secrets: AppSecrets,
        ingest: IngestWriter,
        budget: BodyBudget,
    ) -> None:
        self.webhooks = webhooks
        self.app_secrets = app_secrets
        self.ingest = ingest
        self.budget = budget
        # ASGI gives header names in lower case.
        self._signature_header = webhooks.signature_header.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.accept(dict(scope["headers"]), receive)
        except SurgiAIError as error:
            await _respond(
                send,
                error.status_code,
                orjson.dumps(error.to_body()),
                b"application/json",
                error.headers,
            )
            return
        await _respond(send, 200, b"OK", b"text/plain; charset=utf-8")

    async def accept(self, headers: dict[bytes, bytes], receive: Receive) -> None:
        signature = headers.get(self._signature_header, b"").decode("latin-1")
        held = 0
        try:
            try:
                if not self.webhooks.signature_well_formed(signature):
                    name = self.webhooks.signature_header
                    raise InvalidSignature(f"Missing or malformed {name} header.")
                limit = self.webhooks.max_body_bytes
                declared = headers.get(b"content-length", b"")
                expected = int(declared) if declared.isdigit() else 0
                if expected > limit:
                    raise PayloadTooLarge(_too_large(limit))
                self.budget.take(expected)
                held = expected
                chunks: list[bytes] = []
                size = 0
                more = True
                async with asyncio.timeout(BODY_SECONDS):
                    while more:
                        message = await receive()
                        if message["type"] == "http.disconnect":
                            raise BadRequest("The client went away before sending the whole body.")
                        chunk: bytes = message.get("body", b"")
                        size += len(chunk)
                        if size > limit:
                            raise PayloadTooLarge(_too_large(limit))
                        if size > held:  # no (or a wrong) Content-Length
                            self.budget.take(size - held)
                            held = size
                        chunks.append(chunk)
                        more = message.get("more_body", False)
            except TimeoutError:
                raise _closing(
                    RequestTimeout(f"The body did not arrive within {BODY_SECONDS:g} s.")
                ) from None
            except SurgiAIError as error:
                raise _closing(error) from None
            body = b"".join(chunks)
            del chunks  # one copy of the body, not two, while it is checked and stored
            await self.app_secrets.authenticate(self.webhooks, body, signature)
            await self.ingest.store(self.webhooks, body)
        finally:
            self.budget.give_back(held)


def _closing(error: SurgiAIError) -> SurgiAIError:
    """A refusal before the whole body was read: the connection is closed after the answer, so
    the rest of the body is never received (keeping it open would mean reading it all)."""
    error.headers = {**(error.headers or {}), "Connection": "close"}
    return error


def _too_large(limit: int) -> str:
    return f"Webhook bodies are at most {limit // (1024 * 1024)} MB."


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    extra_headers: dict[str, str] | None = None,
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    for name, value in (extra_headers or {}).items():
        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
