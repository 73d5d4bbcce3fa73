"""What a message will look like and whether it can go, before it goes: built from the same
`OutboundPlan` that `queue_outbound` enforces, so the preview and the send never disagree."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from surgiai.channels.base import OutboundMessage
from surgiai.channels.registry import provider
from surgiai.channels.validation import (
    MAX_BUTTON_BODY,
    MAX_BUTTON_TITLE,
    MAX_CAPTION,
    MAX_FOOTER_TEXT,
    MAX_HEADER_TEXT,
    MAX_LIST_BODY,
    MAX_ROW_TITLE,
    MAX_TEXT_BODY,
)
from surgiai.conversations.formatting import fill_variables, template_parameters, to_html
from surgiai.conversations.schemas import LengthCheck, Preview, Problem, RenderedMessage
from surgiai.conversations.service import OutboundPlan, TemplateRequired, header_media
from surgiai.conversations.views import number_ref
from surgiai.numbers.service import number_service
from surgiai.templates.service import template_service


def build_preview(session: Session, plan: OutboundPlan) -> Preview:
    request = plan.request
    rendered, lengths = _render(session, plan)
    doctor = plan.doctor
    to, recipient = doctor.address
    conversation = plan.conversation
    return Preview(
        can_send=not plan.problems,
        problems=[
            Problem(error=error.public_name, detail=error.detail, status_code=error.status_code)
            for error in plan.problems
        ],
        rendered=rendered,
        number=number_ref(plan.number) if plan.number else None,
        number_can_send=bool(plan.number and number_service.can_send(plan.number)),
        to=to,
        recipient=recipient,
        window_open=plan.window_open,
        window_closes_at=plan.window_closes_at,
        template_required=any(isinstance(error, TemplateRequired) for error in plan.problems),
        lengths=lengths,
        marketing_opted_out=doctor.marketing_opted_out,
        unreachable_reason=doctor.unreachable_reason,
        mode=conversation.mode.value if conversation else None,
        request=(
            provider(plan.number.channel.value).request_body(
                OutboundMessage(
                    to=to,
                    recipient=recipient,
                    type=request.type,
                    payload=plan.payload,
                    context_message_id=request.context_message_id,
                )
            )
            if plan.number is not None
            else None
        ),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _length(field: str, value: str | None, limit: int) -> list[LengthCheck]:
    if value is None:
        return []
    return [LengthCheck(field=field, characters=len(value), limit=limit)]


def _render(session: Session, plan: OutboundPlan) -> tuple[RenderedMessage, list[LengthCheck]]:
    type_ = plan.request.type
    body = plan.request.payload
    if type_ == "text":
        text = _text(body.get("body"))
        return (
            RenderedMessage(type=type_, text=text, html=to_html(text) if text else None),
            _length("text.body", text, MAX_TEXT_BODY),
        )
    if type_ in {"image", "video", "document", "audio", "sticker"}:
        caption = _text(body.get("caption"))
        media = {
            key: body[key]
            for key in ("media_file_id", "id", "link", "filename")
            if key in body and key != "id"
        }
        return (
            RenderedMessage(
                type=type_, text=caption, html=to_html(caption) if caption else None, media=media
            ),
            _length(f"{type_}.caption", caption, MAX_CAPTION),
        )
    if type_ == "interactive":
        return _render_interactive(body)
    if type_ == "template":
        return _render_template(session, plan), []
    if type_ == "reaction":
        emoji = _text(body.get("emoji"))
        return RenderedMessage(type=type_, text=emoji, html=None), []
    if type_ == "location":
        parts = [_text(body.get("name")), _text(body.get("address"))]
        text = " · ".join(part for part in parts if part) or None
        return RenderedMessage(type=type_, text=text, html=None), []
    if type_ == "contacts":
        contacts = body.get("contacts") if isinstance(body.get("contacts"), list) else []
        names = [
            str((contact.get("name") or {}).get("formatted_name", ""))
            for contact in contacts or []
            if isinstance(contact, dict)
        ]
        return RenderedMessage(type=type_, text=", ".join(names) or None, html=None), []
    return RenderedMessage(type=type_, text=None, html=None), []


def _render_interactive(body: dict[str, Any]) -> tuple[RenderedMessage, list[LengthCheck]]:
    kind = body.get("type")
    header = body.get("header") if isinstance(body.get("header"), dict) else {}
    header_text = _text((header or {}).get("text"))
    text = _text((body.get("body") or {}).get("text"))
    footer = _text((body.get("footer") or {}).get("text"))
    action = body.get("action") if isinstance(body.get("action"), dict) else {}
    action = action or {}
    buttons = [
        str((button.get("reply") or {}).get("title", ""))
        for button in action.get("buttons") or []
        if isinstance(button, dict)
    ]
    rows = [
        str(row.get("title", ""))
        for section in action.get("sections") or []
        if isinstance(section, dict)
        for row in section.get("rows") or []
        if isinstance(row, dict)
    ]
    lengths = [
        *_length("interactive.header.text", header_text, MAX_HEADER_TEXT),
        *_length(
            "interactive.body.text", text, MAX_LIST_BODY if kind == "list" else MAX_BUTTON_BODY
        ),
        *_length("interactive.footer.text", footer, MAX_FOOTER_TEXT),
        *[
            check
            for index, title in enumerate(buttons)
            for check in _length(f"button {index + 1} title", title, MAX_BUTTON_TITLE)
        ],
        *[
            check
            for index, title in enumerate(rows)
            for check in _length(f"row {index + 1} title", title, MAX_ROW_TITLE)
        ],
    ]
    return (
        RenderedMessage(
            type="interactive",
            text=text,
            html=to_html(text) if text else None,
            header=header_text,
            footer=footer,
            buttons=buttons,
            list_button=_text(action.get("button")),
            list_rows=rows,
        ),
        lengths,
    )


def _render_template(session: Session, plan: OutboundPlan) -> RenderedMessage:
    """The template's text with its variables filled, when the template is known (synced from
    WhatsApp); otherwise its name and the parameters that will be sent."""
    body = plan.request.payload
    name = str(body.get("name", ""))
    language = str((body.get("language") or {}).get("code", ""))
    parameters = template_parameters(body)
    template = (
        template_service.find(session, plan.number.waba_id, name, language)
        if plan.number is not None
        else None
    )
    summary: dict[str, Any] = {"name": name, "language": language, "parameters": parameters}
    header_file = header_media(body)
    # The header's file, as a media message's: the stored file's id, or a link, and its name.
    media = (
        {
            "type": header_file[0],
            **{
                key: value
                for key, value in header_file[1].items()
                if key in ("media_file_id", "link", "filename")
            },
        }
        if header_file is not None
        else None
    )
    if template is None:
        summary["known"] = False
        return RenderedMessage(type="template", text=None, html=None, media=media, template=summary)
    summary.update(known=True, status=template.status, category=template.category)
    text, missing = fill_variables(template.body_text or "", parameters.get("body", {}))
    summary["missing_parameters"] = missing
    header = template.header_text
    if header:
        header, header_missing = fill_variables(header, parameters.get("header", {}))
        summary["missing_parameters"] = missing + header_missing
    return RenderedMessage(
        type="template",
        text=text or None,
        html=to_html(text) if text else None,
        header=header,
        footer=template.footer_text,
        buttons=template.button_texts,
        media=media,
        template=summary,
    )
