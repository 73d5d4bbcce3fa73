"""The Cloud API behind the neutral seams: `CloudChannelAdapter` (one set of credentials) and
`CloudWebhooks` (how its webhooks come in)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import structlog

from surgiai.channels.base import (
    ChannelCapabilities,
    ChannelConfig,
    DownloadedMedia,
    InboundEvents,
    NumberHealthReport,
    OutboundMessage,
    SendResult,
    TemplateInfo,
    WebhookAccounts,
)
from surgiai.channels.cloud import webhooks
from surgiai.channels.cloud.client import CloudApiClient, build_send_body
from surgiai.channels.cloud.payloads import parse_webhook
from surgiai.channels.cloud.templates import template_info

log = structlog.get_logger(__name__)

CLOUD_KIND = "cloud"
# What a number's health check asks Graph for.
HEALTH_FIELDS = (
    "display_phone_number",
    "verified_name",
    "quality_rating",
    "status",
    "throughput",
    "whatsapp_business_manager_messaging_limit",
)

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
    read_receipts=True,
    typing_indicator=True,
    service_window=True,
)


class CloudChannelAdapter:
    """One set of Cloud API credentials (a system-user token). `sender_id` in every call is the
    business number's `phone_number_id`, `account_id` its WABA."""

    def __init__(self, client: CloudApiClient) -> None:
        self._client = client

    @classmethod
    def from_config(
        cls, config: ChannelConfig, http_client: httpx.AsyncClient | None = None
    ) -> CloudChannelAdapter:
        return cls(
            CloudApiClient(
                config.base_url, config.api_version, config.access_token, http_client=http_client
            )
        )

    @property
    def kind(self) -> str:
        return CLOUD_KIND

    async def send(self, sender_id: str, message: OutboundMessage) -> SendResult:
        return await self._client.send(sender_id, message)

    async def mark_read(self, sender_id: str, message_id: str) -> None:
        await self._client.mark_read(sender_id, message_id)

    async def show_typing(self, sender_id: str, message_id: str) -> None:
        await self._client.typing_indicator(sender_id, message_id)

    async def upload_media(self, sender_id: str, data: bytes, mime_type: str, filename: str) -> str:
        return await self._client.upload_media(sender_id, data, mime_type, filename)

    async def download_media(self, sender_id: str, media_id: str) -> DownloadedMedia:
        # The id names the file for 7 days; the URL it resolves to works for 5 minutes.
        info = await self._client.get_media(media_id, phone_number_id=sender_id)
        data = await self._client.download_media(info.url)
        return DownloadedMedia(data=data, mime_type=info.mime_type or "application/octet-stream")

    async def number_health(self, sender_id: str) -> NumberHealthReport:
        fields = await self._client.get_phone_number(sender_id, HEALTH_FIELDS)
        throughput = fields.get("throughput")
        tier = fields.get("whatsapp_business_manager_messaging_limit") or fields.get(
            "messaging_limit_tier"
        )
        return NumberHealthReport(
            status=_text(fields.get("status")),
            quality_rating=_text(fields.get("quality_rating")),
            verified_name=_text(fields.get("verified_name")),
            messaging_tier=_text(tier),
            throughput_level=(
                _text(throughput.get("level")) if isinstance(throughput, dict) else None
            ),
        )

    async def list_templates(self, account_id: str) -> list[TemplateInfo]:
        listed = await self._client.list_templates(account_id)
        templates = [info for item in listed if (info := template_info(item)) is not None]
        if len(templates) < len(listed):
            # Nothing to key them on: they cannot be mirrored.
            log.warning(
                "channels.cloud.templates_skipped",
                waba_id=account_id,
                count=len(listed) - len(templates),
            )
        return templates

    async def aclose(self) -> None:
        await self._client.aclose()


class CloudWebhooks:
    """Meta's webhooks: `X-Hub-Signature-256` over the raw body, at most 3 MB, an envelope
    whose `object` is `whatsapp_business_account`, and the `hub.*` subscription handshake."""

    source = "whatsapp_cloud"
    # Meta's payloads are at most 3 MB (CLOUD_API.md §3.2).
    max_body_bytes = 3 * 1024 * 1024
    signature_header = webhooks.SIGNATURE_HEADER

    def signature_well_formed(self, signature: str) -> bool:
        return webhooks.signature_well_formed(signature)

    def signing_secrets(self, raw_body: bytes, signature: str, secrets: Sequence[str]) -> list[str]:
        return webhooks.signing_secrets(raw_body, signature, secrets)

    def check_envelope(self, raw_body: bytes) -> WebhookAccounts:
        return webhooks.check_envelope(raw_body)

    def decode(self, raw_body: bytes) -> Mapping[str, Any]:
        return webhooks.decode(raw_body)

    def subscription_challenge(self, params: Mapping[str, str], verify_token: str) -> str | None:
        return webhooks.subscription_challenge(params, verify_token)

    def only_receipts(self, raw_body: bytes) -> bool:
        return webhooks.only_statuses(raw_body)

    def parse(self, body: Mapping[str, Any]) -> InboundEvents:
        return parse_webhook(body)


def request_body(message: OutboundMessage) -> dict[str, Any]:
    """The exact JSON `POST /{phone-number-id}/messages` would carry."""
    return build_send_body(message)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    return str(value) or None
