"""Tests' builders of valid `OutboundMessage`s in the canonical (Cloud API) shape (CLOUD_API.md
§1.2-1.6). Each checks the limits (`surgiai.channels.validation`) and raises
`OutboundValidationError` with every problem found."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple

from surgiai.channels.base import OutboundMessage
from surgiai.channels.validation import (
    OutboundValidationError,
    media_source_problems,
    validate_outbound,
)

MediaHeaderType = Literal["image", "video", "document"]
TemplateButtonType = Literal["quick_reply", "url", "copy_code"]


class ReplyButton(NamedTuple):
    id: str
    title: str


class ListRow(NamedTuple):
    id: str
    title: str
    description: str | None = None


class ListSection(NamedTuple):
    title: str | None
    rows: Sequence[ListRow]


class MediaHeader(NamedTuple):
    """A media header for templates and reply-button messages: an uploaded id or a link."""

    type: MediaHeaderType
    id: str | None = None
    link: str | None = None
    filename: str | None = None


class TemplateButton(NamedTuple):
    """A value for one template button: the `payload` of a quick reply, the suffix of a dynamic
    URL, or a coupon code. `position` is the button's index in the template (0-based)."""

    sub_type: TemplateButtonType
    position: int
    value: str


def _message(
    to: str,
    type_: str,
    payload: dict[str, Any],
    context_message_id: str | None,
    biz_opaque_callback_data: str | None,
) -> OutboundMessage:
    message = OutboundMessage(
        to=to,
        type=type_,
        payload=payload,
        context_message_id=context_message_id,
        biz_opaque_callback_data=biz_opaque_callback_data,
    )
    validate_outbound(message)
    return message


def text_message(
    to: str,
    body: str,
    *,
    preview_url: bool = False,
    context_message_id: str | None = None,
    biz_opaque_callback_data: str | None = None,
) -> OutboundMessage:
    return _message(
        to,
        "text",
        {"preview_url": preview_url, "body": body},
        context_message_id,
        biz_opaque_callback_data,
    )


def _media_object(
    *, media_id: str | None, link: str | None, **extra: str | bool | None
) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": media_id} if media_id else {}
    if link:
        obj["link"] = link
    obj.update({key: value for key, value in extra.items() if value is not None})
    return obj


def image_message(
    to: str,
    *,
    media_id: str | None = None,
    link: str | None = None,
    caption: str | None = None,
    context_message_id: str | None = None,
    biz_opaque_callback_data: str | None = None,
) -> OutboundMessage:
    payload = _media_object(media_id=media_id, link=link, caption=caption)
    return _message(to, "image", payload, context_message_id, biz_opaque_callback_data)


def video_message(
    to: str,
    *,
    media_id: str | None = None,
    link: str | None = None,
    caption: str | None = None,
    context_message_id: str | None = None,
    biz_opaque_callback_data: str | None = None,
) -> OutboundMessage:
    payload = _media_object(media_id=media_id, link=link, caption=caption)
    return _message(to, "video", payload, context_message_id, biz_opaque_callback_data)


def document_message(
    to: str,
    *,
    media_id: str | None = None,
    link: str | None = None,
    filename: str | None = None,
    caption: str | None = None,
    context_message_id: str | None = None,
    biz_opaque_callback_data: str | None = None,
) -> OutboundMessage:
    payload = _media_object(media_id=media_id, link=link, filename=filename, caption=caption)
    return _message(to, "document", payload, context_message_id, biz_opaque_callback_data)


def audio_message(
    to: str,
    *,
    media_id: str | None = None,
    link: str | None = None,
    voice: bool = False,
    context_message_id: str | None = None,
    biz_opaque_callback_data: str | None = None,
) -> OutboundMessage:
    """`voice=True` sends a voice note; the file must be OGG/OPUS mono (CLOUD_API.md §1.5)."""
    payload = _media_object(media_id=media_id, link=link, voice=True if voice else None)
    return _message(to, "audio", payload, context_message_id, biz_opaque_callback_data)


def sticker_message(
    to: str,
    *,
    media_id: str | None = None,
    link: str | None = None,
    context_message_id: str | None = None,
    biz_opaque_callback_data: str | None = None,
) -> OutboundMessage:
    payload = _media_object(media_id=media_id, link=link)
    return _message(to, "sticker", payload, context_message_id, biz_opaque_callback_data)


def reaction_message(
    to: str, message_id: str, emoji: str, *, biz_opaque_callback_data: str | None = None
) -> OutboundMessage:
    """React to `message_id`; `emoji=""` removes our reaction. Reactions only ever get `sent`."""
    return _message(
        to,
        "reaction",
        {"message_id": message_id, "emoji": emoji},
        None,
        biz_opaque_callback_data,
    )


def _header(header_text: str | None, header_media: MediaHeader | None) -> dict[str, Any] | None:
    if header_text is not None and header_media is not None:
        raise OutboundValidationError(["a header is either text or media, not both"])
    if header_text is not None:
        return {"type": "text", "text": header_text}
    if header_media is not None:
        media = _media_object(
            media_id=header_media.id, link=header_media.link, filename=header_media.filename
        )
        return {"type": header_media.type, header_media.type: media}
    return None


def _body_footer(
    interactive: dict[str, Any], body: str, header: dict[str, Any] | None, footer: str | None
) -> dict[str, Any]:
    if header is not None:
        interactive["header"] = header
    interactive["body"] = {"text": body}
    if footer is not None:
        interactive["footer"] = {"text": footer}
    return interactive


def buttons_message(
    to: str,
    body: str,
    buttons: Sequence[ReplyButton | tuple[str, str]],
    *,
    header_text: str | None = None,
    header_media: MediaHeader | None = None,
    footer: str | None = None,
    context_message_id: str | None = None,
    biz_opaque_callback_data: str | None = None,
) -> OutboundMessage:
    """Up to 3 reply buttons (title ≤ 20 characters, ids unique)."""
    interactive = _body_footer({"type": "button"}, body, _header(header_text, header_media), footer)
    interactive["action"] = {
        "buttons": [
            {"type": "reply", "reply": {"id": button_id, "title": title}}
            for button_id, title in buttons
        ]
    }
    return _message(to, "interactive", interactive, context_message_id, biz_opaque_callback_data)


def list_message(
    to: str,
    body: str,
    button_label: str,
    sections: Sequence[ListSection],
    *,
    header_text: str | None = None,
    footer: str | None = None,
    context_message_id: str | None = None,
    biz_opaque_callback_data: str | None = None,
) -> OutboundMessage:
    """A list: ≤ 10 sections, ≤ 10 rows in total; a section title is needed with 2+ sections."""
    interactive = _body_footer({"type": "list"}, body, _header(header_text, None), footer)
    interactive["action"] = {
        "button": button_label,
        "sections": [_section(section) for section in sections],
    }
    return _message(to, "interactive", interactive, context_message_id, biz_opaque_callback_data)


def _section(section: ListSection) -> dict[str, Any]:
    out: dict[str, Any] = {} if section.title is None else {"title": section.title}
    out["rows"] = [
        {"id": row.id, "title": row.title}
        | ({} if row.description is None else {"description": row.description})
        for row in section.rows
    ]
    return out


def _text_parameters(values: Sequence[str] | Mapping[str, str]) -> list[dict[str, str]]:
    """Named templates (`{{first_name}}`) take a mapping and send `parameter_name`; positional
    ones (`{{1}}`) take a sequence in placeholder order."""
    if isinstance(values, Mapping):
        return [
            {"type": "text", "parameter_name": name, "text": text} for name, text in values.items()
        ]
    return [{"type": "text", "text": text} for text in values]


_BUTTON_PARAMETER = {"quick_reply": "payload", "url": "text", "copy_code": "coupon_code"}


def template_message(
    to: str,
    name: str,
    language: str,
    *,
    body_params: Sequence[str] | Mapping[str, str] | None = None,
    header_params: Sequence[str] | Mapping[str, str] | None = None,
    header_media: MediaHeader | None = None,
    buttons: Sequence[TemplateButton] = (),
    context_message_id: str | None = None,
    biz_opaque_callback_data: str | None = None,
) -> OutboundMessage:
    """An approved template with its variable values filled in (CLOUD_API.md §1.3)."""
    if isinstance(body_params, str) or isinstance(header_params, str):
        raise OutboundValidationError(["template parameters must be a list or a mapping"])
    problems: list[str] = []
    components: list[dict[str, Any]] = []
    if header_params and header_media is not None:
        problems.append("a template header is either text or media, not both")
    if header_params:
        components.append({"type": "header", "parameters": _text_parameters(header_params)})
    if header_media is not None:
        problems.extend(media_source_problems("header", header_media._asdict()))
        media = _media_object(
            media_id=header_media.id, link=header_media.link, filename=header_media.filename
        )
        components.append(
            {
                "type": "header",
                "parameters": [{"type": header_media.type, header_media.type: media}],
            }
        )
    if body_params:
        components.append({"type": "body", "parameters": _text_parameters(body_params)})
    for button in sorted(buttons, key=lambda b: b.position):
        key = _BUTTON_PARAMETER[button.sub_type]
        components.append(
            {
                "type": "button",
                "sub_type": button.sub_type,
                "index": str(button.position),
                "parameters": [{"type": key, key: button.value}],
            }
        )
    if problems:
        raise OutboundValidationError(problems)
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if components:
        template["components"] = components
    return _message(to, "template", template, context_message_id, biz_opaque_callback_data)
