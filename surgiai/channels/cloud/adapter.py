"""`CloudChannelAdapter`: the `ChannelAdapter` protocol over the Cloud API client."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from surgiai.channels.base import (
    ChannelCapabilities,
    ChannelConfig,
    InboundEvents,
    OutboundMessage,
    SendResult,
)
from surgiai.channels.cloud import validation
from surgiai.channels.cloud.client import CloudApiClient
from surgiai.channels.cloud.payloads import parse_webhook
from surgiai.channels.cloud.webhooks import verify_request

CLOUD_KIND = "cloud"

CLOUD_CAPABILITIES = ChannelCapabilities(
    kind=CLOUD_KIND,
    outbound_types=frozenset(
        {
            "text",
            "image",
            "video",
            "document",
            "audio",
            "sticker",
            "interactive",
            "template",
            "reaction",
            "location",
            "contacts",
        }
    ),
    templates=True,
    read_receipts=True,
    typing_indicator=True,
    media_upload=True,
    service_window=True,
    max_text_length=validation.MAX_TEXT_BODY,
    max_caption_length=validation.MAX_CAPTION,
    max_reply_buttons=validation.MAX_BUTTONS,
)


class CloudChannelAdapter:
    """One set of Cloud API credentials (a system-user token) and the app secrets that sign its
    webhooks. `sender_id` in every call is the business number's `phone_number_id`."""

    def __init__(self, client: CloudApiClient, webhook_secrets: Sequence[str]) -> None:
        self._client = client
        self._webhook_secrets = tuple(webhook_secrets)

    @classmethod
    def from_config(
        cls, config: ChannelConfig, http_client: httpx.AsyncClient | None = None
    ) -> CloudChannelAdapter:
        client = CloudApiClient(
            config.base_url,
            config.api_version,
            config.access_token,
            http_client=http_client,
        )
        return cls(client, [secret.get_secret_value() for secret in config.webhook_secrets])

    @property
    def kind(self) -> str:
        return CLOUD_KIND

    @property
    def client(self) -> CloudApiClient:
        """The full Graph client, for media and phone-number calls beyond the protocol."""
        return self._client

    def capabilities(self) -> ChannelCapabilities:
        return CLOUD_CAPABILITIES

    async def send(self, sender_id: str, message: OutboundMessage) -> SendResult:
        return await self._client.send(sender_id, message)

    async def mark_read(self, sender_id: str, message_id: str) -> None:
        await self._client.mark_read(sender_id, message_id)

    async def show_typing(self, sender_id: str, message_id: str) -> None:
        await self._client.typing_indicator(sender_id, message_id)

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        return verify_request(raw_body, headers, self._webhook_secrets)

    def parse_inbound(self, body: Mapping[str, Any]) -> InboundEvents:
        return parse_webhook(body)

    async def aclose(self) -> None:
        await self._client.aclose()
