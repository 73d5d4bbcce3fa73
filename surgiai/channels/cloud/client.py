"""Async Graph API client for the WhatsApp Cloud API (CLOUD_API.md §1, §5, §6).

One `httpx.AsyncClient` per process is shared by every number; the access token travels per
request, so numbers of different business accounts can share the pool. The base URL is
configurable so the same client talks to Meta or to the built-in simulator
(`http://127.0.0.1:8000/simulator/graph`).

Errors: an answer from Graph that is an error raises `GraphApiError` (code, details,
fbtrace_id...); no answer at all (connection, timeout) raises `GraphTransportError`. The token is
never logged, and phone numbers are masked.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import httpx
import structlog
from pydantic import BaseModel, ConfigDict, SecretStr

from surgiai.channels.base import OutboundMessage, SendResult
from surgiai.channels.cloud.errors import GraphApiError, GraphTransportError
from surgiai.channels.validation import validate_outbound, validate_upload
from surgiai.kit.phone import mask_number as mask_phone

log = structlog.get_logger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_PHONE_FIELDS = (
    "display_phone_number",
    "verified_name",
    "quality_rating",
    "status",
    "code_verification_status",
    "name_status",
    "platform_type",
    "throughput",
    "whatsapp_business_manager_messaging_limit",
)
# A business has a handful of numbers; the cap only stops a paging loop that never ends.
MAX_PAGES = 50
# What a template sync needs; Graph's default fields leave out quality and rejection reason.
TEMPLATE_FIELDS = (
    "id",
    "name",
    "language",
    "status",
    "category",
    "parameter_format",
    "components",
    "quality_score",
    "rejected_reason",
)
# A verified business may hold 6,000 templates per WABA: 60 pages of 100.
MAX_TEMPLATE_PAGES = 100


class MediaInfo(BaseModel):
    """`GET /{media-id}`: `url` is valid for 5 minutes and needs the same Bearer token."""

    model_config = ConfigDict(frozen=True)

    id: str
    url: str
    mime_type: str | None = None
    sha256: str | None = None
    file_size: int | None = None


def build_send_body(message: OutboundMessage) -> dict[str, Any]:
    """The exact `POST /{phone-number-id}/messages` body for `message` (CLOUD_API.md §1)."""
    body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    # By phone when we know it; else by business-scoped user id (given both, Meta uses `to`).
    if message.to is not None:
        body["to"] = message.to
    else:
        body["recipient"] = message.recipient
    body["type"] = message.type
    body[message.type] = dict(message.payload)
    if message.context_message_id:
        body["context"] = {"message_id": message.context_message_id}
    if message.biz_opaque_callback_data:
        body["biz_opaque_callback_data"] = message.biz_opaque_callback_data
    return body


class CloudApiClient:
    def __init__(
        self,
        base_url: str,
        api_version: str | None,
        access_token: str | SecretStr,
        *,
        http_client: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        """`http_client` is the process-wide pool; without one the client owns a private one and
        `aclose()` closes it. `timeout` overrides the pool's timeouts for these calls."""
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http:// or https:// URL")
        version = (api_version or "").strip("/")
        self._root = base_url.rstrip("/") + (f"/{version}" if version else "")
        self._base_host = httpx.URL(base_url).host
        self._token = (
            access_token if isinstance(access_token, SecretStr) else SecretStr(access_token)
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=timeout or DEFAULT_TIMEOUT)
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"CloudApiClient(root={self._root!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    def url(self, path: str) -> str:
        return f"{self._root}/{path.lstrip('/')}"

    # -----------------------------------------------------------------------------------------
    # Messages

    async def send(self, phone_number_id: str, message: OutboundMessage) -> SendResult:
        """Send one message. Validates first, so a message over a limit never goes out."""
        validate_outbound(message)
        response = await self._request(
            "POST", f"{phone_number_id}/messages", json=build_send_body(message)
        )
        body = _json(response)
        sent = _first(body.get("messages"))
        contact = _first(body.get("contacts"))
        wamid = sent.get("id")
        if not isinstance(wamid, str) or not wamid:
            raise GraphApiError(
                code=None,
                message="Graph accepted the message but returned no message id",
                http_status=response.status_code,
            )
        log.debug(
            "channels.cloud.message_accepted",
            to=mask_phone(message.to or message.recipient),
            type=message.type,
            wamid=wamid,
        )
        return SendResult(
            wamid=wamid,
            wa_id=_opt_str(contact.get("wa_id")),
            user_id=_opt_str(contact.get("user_id")),
            input=_opt_str(contact.get("input")),
            message_status=_opt_str(sent.get("message_status")),
        )

    async def mark_read(self, phone_number_id: str, wamid: str) -> None:
        """Blue ticks on `wamid` and every earlier message of that conversation."""
        await self._request(
            "POST",
            f"{phone_number_id}/messages",
            json={"messaging_product": "whatsapp", "status": "read", "message_id": wamid},
        )

    async def typing_indicator(self, phone_number_id: str, wamid: str) -> None:
        """Show "typing…" for up to 25 s (also marks `wamid` read). Only when a reply follows."""
        await self._request(
            "POST",
            f"{phone_number_id}/messages",
            json={
                "messaging_product": "whatsapp",
                "status": "read",
                "message_id": wamid,
                "typing_indicator": {"type": "text"},
            },
        )

    # -----------------------------------------------------------------------------------------
    # Media

    async def upload_media(
        self, phone_number_id: str, data: bytes, mime_type: str, filename: str
    ) -> str:
        """Upload a file for sending; returns the media id (valid 30 days)."""
        validate_upload(mime_type, len(data))
        response = await self._request(
            "POST",
            f"{phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename, data, mime_type)},
        )
        media_id = _json(response).get("id")
        if media_id is None:
            raise GraphApiError(
                code=None,
                message="Graph accepted the upload but returned no media id",
                http_status=response.status_code,
            )
        return str(media_id)

    async def get_media(self, media_id: str, *, phone_number_id: str | None = None) -> MediaInfo:
        params = {"phone_number_id": phone_number_id} if phone_number_id else None
        response = await self._request("GET", media_id, params=params)
        body = _json(response)
        url = body.get("url")
        if not isinstance(url, str) or not url:
            raise GraphApiError(
                code=None,
                message="Graph returned media info without a url",
                http_status=response.status_code,
            )
        return MediaInfo(
            id=str(body.get("id") or media_id),
            url=url,
            mime_type=_opt_str(body.get("mime_type")),
            sha256=_opt_str(body.get("sha256")),
            file_size=_opt_int(body.get("file_size")),
        )

    async def download_media(self, url: str) -> bytes:
        """Fetch the bytes behind a media `url` (absolute, from `get_media` or a webhook).

        The token goes along because Meta requires it; it is only ever sent over HTTPS or to
        the configured Graph host (the simulator), never to another plain-HTTP host.
        """
        target = httpx.URL(url)
        if not target.is_absolute_url:
            raise ValueError("media url must be absolute")
        if target.scheme != "https" and target.host != self._base_host:
            raise ValueError(f"refusing to send the access token over plain HTTP to {target.host}")
        response = await self._request("GET", url, absolute=True)
        return response.content

    # -----------------------------------------------------------------------------------------
    # Phone numbers

    async def get_phone_number(
        self, phone_number_id: str, fields: Sequence[str] = DEFAULT_PHONE_FIELDS
    ) -> dict[str, Any]:
        """Only the requested `fields` come back, plus `id`."""
        response = await self._request(
            "GET", phone_number_id, params={"fields": ",".join(fields)} if fields else None
        )
        return _json(response)

    # -----------------------------------------------------------------------------------------
    # Message templates

    async def list_templates(self, waba_id: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """Every message template of a WhatsApp Business Account, as Graph returns them,
        following the paging cursors.

        It raises instead of returning part of the list: a caller mirroring the list retires
        the templates missing from it, so an incomplete list must never pass for the whole.
        """
        params = {"fields": ",".join(TEMPLATE_FIELDS), "limit": str(limit)}
        templates: list[dict[str, Any]] = []
        for _ in range(MAX_TEMPLATE_PAGES):
            body = _json(await self._request("GET", f"{waba_id}/message_templates", params=params))
            templates.extend(item for item in body.get("data") or [] if isinstance(item, dict))
            after = _next_page_cursor(body)
            if after is None:
                return templates
            params = {**params, "after": after}
        raise GraphApiError(
            code=None,
            message=f"Graph listed more than {MAX_TEMPLATE_PAGES} pages of message templates",
        )

    # -----------------------------------------------------------------------------------------
    # Transport

    async def _request(
        self,
        method: str,
        path: str,
        *,
        absolute: bool = False,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> httpx.Response:
        url = path if absolute else self.url(path)
        # Media URLs carry signed query strings: log where, not what.
        where = httpx.URL(url).host if absolute else path
        extra: dict[str, Any] = {}
        if self._timeout is not None:
            extra["timeout"] = self._timeout
        started = time.perf_counter()
        try:
            response = await self._http.request(
                method,
                url,
                headers={"Authorization": f"Bearer {self._token.get_secret_value()}"},
                json=json,
                params=params,
                data=data,
                files=files,
                follow_redirects=absolute,
                **extra,
            )
        except httpx.TransportError as error:
            log.warning(
                "channels.cloud.transport_error",
                method=method,
                path=where,
                error=type(error).__name__,
            )
            raise GraphTransportError(
                f"no answer from the Graph API for {method} {where}: {type(error).__name__}"
            ) from error
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        if response.is_error:
            failure = GraphApiError.from_response(response)
            log.warning(
                "channels.cloud.request_failed",
                method=method,
                path=where,
                http_status=response.status_code,
                code=failure.code,
                reaction=failure.reaction.value,
                fbtrace_id=failure.fbtrace_id,
                elapsed_ms=elapsed_ms,
            )
            raise failure
        log.debug(
            "channels.cloud.request",
            method=method,
            path=where,
            http_status=response.status_code,
            elapsed_ms=elapsed_ms,
        )
        return response


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise GraphApiError(
            code=None,
            message="Graph answered with a body that is not a JSON object",
            http_status=response.status_code,
        )
    return body


def _next_page_cursor(body: dict[str, Any]) -> str | None:
    """The `after` cursor of the next page; None on the last page (Graph omits `next`)."""
    paging = body.get("paging")
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    if not after:
        raise GraphApiError(code=None, message="Graph announced a next page without a cursor")
    return str(after)


def _first(value: Any) -> dict[str, Any]:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return {}


def _opt_int(value: Any) -> int | None:
    """Graph sends `file_size` as a string ("61901") or a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
