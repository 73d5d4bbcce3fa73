"""Cloud API limits, checked before any HTTP call so the app can refuse with a clear message.

Meta would answer most of these with error 100 after a round trip; checking first keeps a bad
message from entering the send queue at all. Lengths are counted in characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from surgiai.channels.base import OutboundMessage
from surgiai.errors import BadRequest, UnsupportedMediaType
from surgiai.kit.filetypes import contradicts

MAX_TEXT_BODY = 4096
MAX_CAPTION = 1024
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_BUTTON_BODY = 1024
MAX_LIST_BODY = 4096
MAX_HEADER_TEXT = 60
MAX_FOOTER_TEXT = 60
MAX_LIST_BUTTON_LABEL = 20
MAX_LIST_SECTIONS = 10
MAX_LIST_ROWS = 10
MAX_SECTION_TITLE = 24
MAX_ROW_ID = 200
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_TEMPLATE_NAME = 512
MAX_CALLBACK_DATA = 512

MEDIA_TYPES = frozenset({"image", "video", "document", "audio", "sticker"})
CAPTIONED_MEDIA = frozenset({"image", "video", "document"})
MEDIA_HEADER_TYPES = frozenset({"image", "video", "document"})

MIB = 1024 * 1024
# Uploadable MIME types and their size limits (CLOUD_API.md §5). Stickers: 500 KB if animated.
MEDIA_UPLOAD_LIMITS: dict[str, int] = {
    **dict.fromkeys(("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"), 16 * MIB),
    **dict.fromkeys(
        (
            "text/plain",
            "application/pdf",
            "application/msword",
            "application/vnd.ms-excel",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        100 * MIB,
    ),
    **dict.fromkeys(("image/jpeg", "image/png"), 5 * MIB),
    "image/webp": 500 * 1024,
    **dict.fromkeys(("video/mp4", "video/3gpp"), 16 * MIB),
}

# Meta accepts `+`, digits, spaces, dashes and parentheses in `to`.
_RECIPIENT = re.compile(r"^\+?[\d\s\-()]*\d[\d\s\-()]*$")
# A business-scoped user id: ISO country code, a dot, (ENT. for a parent BSUID,) then up to
# 128 letters and digits: `IN.1648738043044942`, `US.ENT.11815799212886844830`.
BSUID = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")
_TEMPLATE_NAME = re.compile(r"^[a-z0-9_]+$")


class OutboundValidationError(BadRequest):
    """The message breaks a WhatsApp limit. `problems` lists every broken rule."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def validate_outbound(message: OutboundMessage) -> None:
    """Raise `OutboundValidationError` listing every limit `message` breaks."""
    problems = outbound_problems(message)
    if problems:
        raise OutboundValidationError(problems)


def outbound_problems(message: OutboundMessage) -> list[str]:
    problems: list[str] = []
    if message.to is not None:
        if not _RECIPIENT.match(message.to):
            problems.append(f"recipient {message.to!r} is not a phone number")
    elif message.recipient is not None:
        if not BSUID.match(message.recipient):
            problems.append(f"recipient {message.recipient!r} is not a WhatsApp user id")
    else:
        problems.append("the message has no recipient: neither a phone number nor a user id")
    if message.biz_opaque_callback_data is not None:
        _max_length(
            problems,
            "biz_opaque_callback_data",
            message.biz_opaque_callback_data,
            MAX_CALLBACK_DATA,
        )
    if message.context_message_id == "":
        problems.append("context message id is empty")
    payload = message.payload
    if message.type == "text":
        _text_problems(problems, payload)
    elif message.type in MEDIA_TYPES:
        _media_problems(problems, message.type, payload)
    elif message.type == "interactive":
        _interactive_problems(problems, payload)
    elif message.type == "reaction":
        if not _str(payload.get("message_id")):
            problems.append("reaction needs the message_id it reacts to")
        if not isinstance(payload.get("emoji"), str):
            problems.append('reaction needs an emoji ("" removes the reaction)')
    elif message.type == "template":
        _template_problems(problems, payload)
    return problems


def validate_upload(mime_type: str, size: int) -> None:
    """Refuse a file WhatsApp would reject (131053) before uploading it."""
    base_type = mime_type.split(";", 1)[0].strip().lower()
    limit = MEDIA_UPLOAD_LIMITS.get(base_type)
    if limit is None:
        raise OutboundValidationError([f"WhatsApp does not accept {base_type or 'untyped'} files"])
    if size == 0:
        raise OutboundValidationError(["the file is empty"])
    if size > limit:
        raise OutboundValidationError(
            [f"{base_type} files are limited to {limit // 1024} KB; this one has {size // 1024} KB"]
        )


def validate_upload_contents(mime_type: str, data: bytes) -> None:
    """Refuse (415) a file whose bytes are plainly not its declared type: HTML declared as
    `image/png` would otherwise be kept and served back as an image."""
    base_type = mime_type.split(";", 1)[0].strip().lower()
    if contradicts(base_type, data):
        raise UnsupportedMediaType(
            f"The file was sent as {base_type} but its contents are not {base_type}: "
            "attach it with its real type."
        )


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _max_length(problems: list[str], what: str, value: str, limit: int) -> None:
    if len(value) > limit:
        problems.append(f"{what} has {len(value)} characters; the limit is {limit}")


def _required_text(problems: list[str], what: str, value: Any, limit: int) -> None:
    text = _str(value)
    if not text.strip():
        problems.append(f"{what} is empty")
    else:
        _max_length(problems, what, text, limit)


def _text_problems(problems: list[str], payload: Mapping[str, Any]) -> None:
    _required_text(problems, "text body", payload.get("body"), MAX_TEXT_BODY)


def media_source_problems(what: str, payload: Mapping[str, Any]) -> list[str]:
    """A media object names an uploaded `id` or a hosted `link`, never both."""
    has_id, has_link = bool(_str(payload.get("id"))), bool(_str(payload.get("link")))
    if has_id and has_link:
        return [f"{what} must have a media id or a link, not both"]
    if not has_id and not has_link:
        return [f"{what} needs a media id or a link"]
    return []


def _media_problems(problems: list[str], media_type: str, payload: Mapping[str, Any]) -> None:
    problems.extend(media_source_problems(media_type, payload))
    caption = payload.get("caption")
    if caption is not None:
        if media_type not in CAPTIONED_MEDIA:
            problems.append(f"{media_type} messages cannot have a caption")
        else:
            _max_length(problems, "caption", _str(caption), MAX_CAPTION)


def _interactive_problems(problems: list[str], payload: Mapping[str, Any]) -> None:
    kind = payload.get("type")
    action = payload.get("action")
    action = action if isinstance(action, Mapping) else {}
    body = payload.get("body")
    body_text = body.get("text") if isinstance(body, Mapping) else None
    footer = payload.get("footer")
    if isinstance(footer, Mapping):
        _max_length(problems, "footer", _str(footer.get("text")), MAX_FOOTER_TEXT)
    if kind == "button":
        _required_text(problems, "body", body_text, MAX_BUTTON_BODY)
        _header_problems(problems, payload.get("header"), allow_media=True)
        _button_problems(problems, action.get("buttons"))
    elif kind == "list":
        _required_text(problems, "body", body_text, MAX_LIST_BODY)
        _header_problems(problems, payload.get("header"), allow_media=False)
        _required_text(problems, "list button label", action.get("button"), MAX_LIST_BUTTON_LABEL)
        _section_problems(problems, action.get("sections"))


def _header_problems(problems: list[str], header: Any, *, allow_media: bool) -> None:
    if header is None:
        return
    if not isinstance(header, Mapping):
        problems.append("header must be an object")
        return
    kind = header.get("type")
    if kind == "text":
        _required_text(problems, "header", header.get("text"), MAX_HEADER_TEXT)
    elif allow_media and kind in MEDIA_HEADER_TYPES:
        media = header.get(kind)
        problems.extend(
            media_source_problems(f"{kind} header", media if isinstance(media, Mapping) else {})
        )
    else:
        allowed = "text, image, video or document" if allow_media else "text"
        problems.append(f"header type {kind!r} is not allowed here (use {allowed})")


def _button_problems(problems: list[str], buttons: Any) -> None:
    if not isinstance(buttons, list) or not buttons:
        problems.append("reply buttons message needs at least one button")
        return
    if len(buttons) > MAX_BUTTONS:
        problems.append(f"{len(buttons)} reply buttons; the limit is {MAX_BUTTONS}")
    ids: list[str] = []
    titles: list[str] = []
    for number, button in enumerate(buttons, start=1):
        reply = button.get("reply") if isinstance(button, Mapping) else None
        reply = reply if isinstance(reply, Mapping) else {}
        ids.append(_str(reply.get("id")))
        titles.append(_str(reply.get("title")))
        _required_text(problems, f"button {number} id", reply.get("id"), MAX_BUTTON_ID)
        _required_text(problems, f"button {number} title", reply.get("title"), MAX_BUTTON_TITLE)
    if len(set(ids)) != len(ids):
        problems.append("reply button ids must be unique")
    if len(set(titles)) != len(titles):
        problems.append("reply button titles must be unique")


def _section_problems(problems: list[str], sections: Any) -> None:
    if not isinstance(sections, list) or not sections:
        problems.append("list message needs at least one section")
        return
    if len(sections) > MAX_LIST_SECTIONS:
        problems.append(f"{len(sections)} list sections; the limit is {MAX_LIST_SECTIONS}")
    row_ids: list[str] = []
    for number, section in enumerate(sections, start=1):
        section = section if isinstance(section, Mapping) else {}
        title = section.get("title")
        if title is not None or len(sections) > 1:
            _required_text(problems, f"section {number} title", title, MAX_SECTION_TITLE)
        rows = section.get("rows")
        if not isinstance(rows, list) or not rows:
            problems.append(f"section {number} has no rows")
            continue
        for row in rows:
            row = row if isinstance(row, Mapping) else {}
            row_ids.append(_str(row.get("id")))
            label = f"row {len(row_ids)}"
            _required_text(problems, f"{label} id", row.get("id"), MAX_ROW_ID)
            _required_text(problems, f"{label} title", row.get("title"), MAX_ROW_TITLE)
            if row.get("description") is not None:
                _max_length(
                    problems,
                    f"{label} description",
                    _str(row.get("description")),
                    MAX_ROW_DESCRIPTION,
                )
    if len(row_ids) > MAX_LIST_ROWS:
        problems.append(f"{len(row_ids)} list rows in total; the limit is {MAX_LIST_ROWS}")
    if len(set(row_ids)) != len(row_ids):
        problems.append("list row ids must be unique")


def _template_problems(problems: list[str], payload: Mapping[str, Any]) -> None:
    name = _str(payload.get("name"))
    if not _TEMPLATE_NAME.match(name) or len(name) > MAX_TEMPLATE_NAME:
        problems.append(
            f"template name {name!r} must be 1-{MAX_TEMPLATE_NAME} lowercase letters, digits or _"
        )
    language = payload.get("language")
    if not isinstance(language, Mapping) or not _str(language.get("code")):
        problems.append("template needs a language code")
    components = payload.get("components", [])
    if not isinstance(components, list):
        problems.append("template components must be a list")
