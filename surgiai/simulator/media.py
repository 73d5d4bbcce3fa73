"""Media: per-type MIME rules, placeholder files for inbound media, and the media store
(uploads, 5-minute download URLs on the simulator's own host, Bearer-protected downloads)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from surgiai.simulator.auth import check_token, require_token, token_matches, unknown_object
from surgiai.simulator.errors import GraphError
from surgiai.simulator.ids import new_graph_id
from surgiai.simulator.state import MediaItem, MediaUrl, PhoneNumber

if TYPE_CHECKING:
    from surgiai.simulator.core import Simulator

MEDIA_MIME_TYPES: dict[str, frozenset[str]] = {
    "audio": frozenset(
        {"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg", "audio/opus"}
    ),
    "document": frozenset(
        {
            "text/plain",
            "application/pdf",
            "application/vnd.ms-excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/msword",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        }
    ),
    "image": frozenset({"image/jpeg", "image/png"}),
    "sticker": frozenset({"image/webp"}),
    "video": frozenset({"video/mp4", "video/3gpp"}),
}

MEDIA_TYPES = frozenset(MEDIA_MIME_TYPES)

# Minimal but well-formed files, so downloads of inbound media are real bytes of that type.
_PLACEHOLDERS: dict[str, tuple[str, bytes]] = {
    "image": (
        "image/jpeg",
        base64.b64decode(
            "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB"
            "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQH/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAA"
            "AAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q=="
        ),
    ),
    "sticker": (
        "image/webp",
        b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00",
    ),
    "audio": (
        "audio/ogg",
        b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00",
    ),
    "video": ("video/mp4", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"),
    "document": ("application/pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
}


def base_mime(mime_type: str) -> str:
    """`audio/ogg; codecs=opus` -> `audio/ogg`."""
    return mime_type.split(";", 1)[0].strip().lower()


def media_kind(mime_type: str) -> str | None:
    mime = base_mime(mime_type)
    for kind, mimes in MEDIA_MIME_TYPES.items():
        if mime in mimes:
            return kind
    return None


def mime_allowed(kind: str, mime_type: str) -> bool:
    """Can a file of `mime_type` be sent as a `kind` message? (documents accept any listed type)"""
    mime = base_mime(mime_type)
    if kind == "document":
        return media_kind(mime) is not None
    return mime in MEDIA_MIME_TYPES.get(kind, frozenset())


def placeholder(kind: str) -> tuple[str, bytes]:
    return _PLACEHOLDERS.get(kind, _PLACEHOLDERS["document"])


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def media_url(base_url: str, media_id: str, token: str, expires_at: float) -> str:
    """A lookaside-like URL on the simulator's own host."""
    return (
        f"{base_url.rstrip('/')}/whatsapp_business/attachments/"
        f"?mid={media_id}&ext={int(expires_at)}&hash={token}"
    )


class MediaStore:
    def __init__(self, simulator: Simulator) -> None:
        self._sim = simulator

    def store(
        self,
        phone_number_id: str,
        data: bytes,
        mime_type: str,
        *,
        filename: str | None = None,
        ttl: float | None = None,
    ) -> MediaItem:
        with self._sim.lock:
            now = self._sim.clock.now()
            media_id = new_graph_id(self._sim.rng)
            while media_id in self._sim.state.media:
                media_id = new_graph_id(self._sim.rng)
            item = MediaItem(
                media_id=media_id,
                phone_number_id=phone_number_id,
                mime_type=mime_type,
                data=data,
                sha256_hex=sha256_hex(data),
                created_at=now,
                expires_at=now + (self._sim.config.media_ttl_seconds if ttl is None else ttl),
                filename=filename,
            )
            self._sim.state.media[media_id] = item
            return item

    def upload(
        self,
        number: PhoneNumber,
        data: bytes,
        mime_type: str,
        declared_type: str | None,
        filename: str | None,
    ) -> str:
        mime = (declared_type or mime_type or "").strip()
        kind = media_kind(mime)
        if kind is None:
            supported = ", ".join(sorted(m for mimes in MEDIA_MIME_TYPES.values() for m in mimes))
            raise GraphError(131053, f"Unsupported MIME type {mime!r}. Supported: {supported}.")
        if mime_type and declared_type and media_kind(mime_type) not in (None, kind):
            raise GraphError(
                131053, f"The file is {mime_type} but the type field says {declared_type}."
            )
        limit = self._sim.config.media_size_limits.get(kind)
        if limit is not None and len(data) > limit:
            raise GraphError(
                131053, f"{kind} files are limited to {limit} bytes; this one has {len(data)}."
            )
        if not data:
            raise GraphError(131053, "The uploaded file is empty.")
        return self.store(number.phone_number_id, data, mime, filename=filename).media_id

    def authorize(
        self, media_id: str, token: str | None, phone_number_id: str | None, method: str
    ) -> MediaItem:
        token = require_token(token)
        with self._sim.lock:
            item = self._sim.state.media.get(media_id)
            if item is None or item.expires_at <= self._sim.clock.now():
                raise unknown_object(media_id, method)
            owner = self._sim.state.numbers.get(item.phone_number_id)
            if owner is not None:
                check_token(owner, token)
            if phone_number_id is not None and phone_number_id != item.phone_number_id:
                raise GraphError(
                    100, f"Media {media_id} does not belong to phone number {phone_number_id}."
                )
            return item

    def info(self, item: MediaItem, base_url: str) -> dict[str, Any]:
        with self._sim.lock:
            token = secrets.token_urlsafe(24)
            expires_at = self._sim.clock.now() + self._sim.config.media_url_ttl_seconds
            self._sim.state.media_urls[token] = MediaUrl(token, item.media_id, expires_at)
        return {
            "messaging_product": "whatsapp",
            "url": media_url(base_url, item.media_id, token, expires_at),
            "mime_type": item.mime_type,
            "sha256": item.sha256_hex,
            "file_size": str(len(item.data)),
            "id": item.media_id,
        }

    def delete(self, item: MediaItem) -> None:
        with self._sim.lock:
            self._sim.state.media.pop(item.media_id, None)
            for token in [
                t for t, u in self._sim.state.media_urls.items() if u.media_id == item.media_id
            ]:
                del self._sim.state.media_urls[token]

    def download(self, media_id: str, token: str, bearer: str | None) -> MediaItem | int:
        """The bytes behind a media URL, or an HTTP status (404 unknown/expired, 401/403 auth)."""
        with self._sim.lock:
            url = self._sim.state.media_urls.get(token)
            now = self._sim.clock.now()
            if url is None or url.media_id != media_id or url.expires_at <= now:
                return 404
            item = self._sim.state.media.get(media_id)
            if item is None or item.expires_at <= now:
                return 404
            if not bearer:
                return 401
            owner = self._sim.state.numbers.get(item.phone_number_id)
            if owner is not None and not token_matches(owner, bearer):
                return 403
            return item
