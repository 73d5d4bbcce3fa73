"""Builds the `messages[]` object of an inbound webhook (CLOUD_API.md §3.3) from a control
request, naming the sender as the identity shape does (§3.6). Media types get a real
downloadable media id: the one given, bytes given as `data_base64`, or a small placeholder file
of the right type."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from surgiai.errors import BadRequest, Unprocessable
from surgiai.simulator.errors import spec_for
from surgiai.simulator.identity import Identity, inbound_contact, sender_fields
from surgiai.simulator.ids import digits_only
from surgiai.simulator.media import MEDIA_TYPES, placeholder, sha256_b64
from surgiai.simulator.schemas import InboundRequest
from surgiai.simulator.state import PhoneNumber

if TYPE_CHECKING:
    from surgiai.simulator.core import Simulator

INBOUND_TYPES = frozenset(
    {
        "text",
        "image",
        "video",
        "document",
        "sticker",
        "audio",
        "interactive",
        "button",
        "reaction",
        "location",
        "contacts",
        "order",
        "system",
        "unsupported",
        "revoke",
        "edit",
    }
)
VOICE_MIME = "audio/ogg; codecs=opus"


def build_inbound_message(
    sim: Simulator,
    number: PhoneNumber,
    request: InboundRequest,
    wamid: str,
    sender: Identity,
    name: str,
    now: float,
    base_url: str | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the message object and the value's `contacts` (empty for system messages)."""
    kind = request.type
    if kind not in INBOUND_TYPES:
        raise Unprocessable(f"type must be one of {', '.join(sorted(INBOUND_TYPES))}")
    shape = sim.config.identity_shape
    message: dict[str, Any] = {
        **sender_fields(sender, shape),
        "id": wamid,
        "timestamp": str(int(now)),
        "type": kind,
    }
    context = _context(number, request.context)
    if context:
        message["context"] = context

    body = request.type_object()
    if kind in MEDIA_TYPES:
        message[kind] = _media(sim, number, request, kind, body, base_url)
    elif kind == "unsupported":
        message["errors"] = [_unsupported_error()]
        if isinstance(body, dict):
            message["unsupported"] = body
    elif kind == "text":
        if not isinstance(body, dict) or not isinstance(body.get("body"), str):
            raise Unprocessable("text needs {'body': '...'}")
        message["text"] = {"body": body["body"]}
    elif kind == "contacts":
        if not isinstance(body, list):
            raise Unprocessable("contacts must be a list")
        message["contacts"] = body
    elif kind in ("reaction", "system"):
        # A reaction without `emoji` (or with "") is a removal; both shapes are kept as given.
        message[kind] = body if isinstance(body, dict) else {}
    else:
        if not isinstance(body, dict):
            raise Unprocessable(f"{kind} needs a {kind} object")
        message[kind] = body
    if request.referral is not None:
        message["referral"] = request.referral

    if kind == "system":
        return message, []
    return message, [inbound_contact(sender, name, shape)]


def _context(number: PhoneNumber, context: dict[str, Any] | None) -> dict[str, Any]:
    if not context:
        return {}
    result: dict[str, Any] = {}
    if context.get("id"):
        result["from"] = str(context.get("from") or digits_only(number.display_phone_number))
        result["id"] = str(context["id"])
    for flag in ("forwarded", "frequently_forwarded"):
        if context.get(flag):
            result[flag] = True
    if isinstance(context.get("referred_product"), dict):
        result["referred_product"] = context["referred_product"]
    return result


def _unsupported_error() -> dict[str, Any]:
    spec = spec_for(131051)
    return {
        "code": 131051,
        "title": "Message type unknown",
        "message": "Message type unknown",
        "error_data": {"details": spec.details},
    }


def _media(
    sim: Simulator,
    number: PhoneNumber,
    request: InboundRequest,
    kind: str,
    body: Any,
    base_url: str | None,
) -> dict[str, Any]:
    spec: dict[str, Any] = dict(body) if isinstance(body, dict) else {}
    voice = bool(spec.get("voice")) if kind == "audio" else False
    ttl = sim.config.inbound_media_ttl_seconds
    media_id = spec.pop("id", None)
    data_b64 = spec.pop("data_base64", None)
    mime = spec.pop("mime_type", None)
    if media_id is not None:
        item = sim.state.media.get(str(media_id))
        if item is None:
            raise BadRequest(f"unknown media id {media_id}")
    elif data_b64 is not None:
        try:
            data = base64.b64decode(str(data_b64), validate=True)
        except (binascii.Error, ValueError):
            raise Unprocessable("data_base64 is not valid base64") from None
        default_mime, _ = placeholder(kind)
        item = sim.media.store(number.phone_number_id, data, str(mime or default_mime), ttl=ttl)
    else:
        default_mime, data = placeholder(kind)
        item = sim.media.store(number.phone_number_id, data, str(mime or default_mime), ttl=ttl)
    mime_type = VOICE_MIME if voice and item.mime_type == "audio/ogg" else item.mime_type
    media: dict[str, Any] = {}
    for key in ("caption", "filename"):
        if key in spec:
            media[key] = spec.pop(key)
    media.update({"mime_type": mime_type, "sha256": sha256_b64(item.data), "id": item.media_id})
    if kind == "audio":
        media["voice"] = voice
        spec.pop("voice", None)
    if kind == "sticker":
        media["animated"] = bool(spec.pop("animated", False))
    with_url = request.with_url if request.with_url is not None else sim.config.inbound_media_url
    if with_url and base_url:
        media["url"] = sim.media.info(item, base_url)["url"]
    media.update(spec)
    return media
