"""Synchronous validation of `POST /{phone-number-id}/messages` bodies (CLOUD_API.md §1).

Structural problems raise `GraphError` with the code Meta uses: 100 for invalid or too long
values, 131008 for missing required parameters, 131009 for invalid combinations (button and
list counts, duplicate ids), 132000/132012 for template parameter mismatches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from surgiai.simulator.errors import GraphError
from surgiai.simulator.identity import is_bsuid
from surgiai.simulator.ids import digits_only
from surgiai.simulator.media import MEDIA_TYPES
from surgiai.simulator.state import Template

TEXT_BODY_MAX = 4096
CAPTION_MAX = 1024
MESSAGE_TYPES = frozenset(
    {
        "text",
        "template",
        "interactive",
        "image",
        "document",
        "audio",
        "video",
        "sticker",
        "reaction",
        "location",
        "contacts",
    }
)
INTERACTIVE_TYPES = frozenset(
    {
        "button",
        "list",
        "cta_url",
        "flow",
        "product",
        "product_list",
        "catalog_message",
        "location_request_message",
        "address_message",
        "voice_call",
    }
)
_PHONE_ALLOWED = re.compile(r"^\+?[0-9\-\s()]+$")
_VERSION = re.compile(r"^v(\d+)\.(\d+)$")


def version_major(api_version: str) -> int:
    """`v25.0` -> 25; any other shape is a Graph error."""
    match = _VERSION.match(api_version)
    if match is None:
        raise GraphError(100, f"Unknown API version {api_version!r}; expected vX.Y.")
    return int(match.group(1))


@dataclass(frozen=True)
class MediaReference:
    kind: str
    media_id: str
    path: str


@dataclass
class SendRequest:
    # What the recipient was given as (`to` verbatim, or the `recipient` BSUID).
    to: str
    # The recipient's phone digits; for a send by BSUID, the BSUID until the simulator finds
    # its user.
    wa_id: str
    by_user_id: bool
    type: str
    content: Any
    biz_opaque_callback_data: str | None
    context_message_id: str | None
    media: list[MediaReference] = field(default_factory=list)

    @property
    def template_name(self) -> str:
        return str(self.content["name"])

    @property
    def template_language(self) -> str:
        return str(self.content["language"]["code"])


def fold_case(value: Any) -> str | None:
    """A component's `type`/`sub_type` as Meta reads it: in any letter case."""
    return value.lower() if isinstance(value, str) else None


def _missing(path: str) -> GraphError:
    return GraphError(131008, f"The parameter {path} is required.")


def _too_long(path: str, limit: int) -> GraphError:
    return GraphError(100, f"Param {path} must be at most {limit} characters long.")


def _require_dict(value: Any, path: str) -> dict[str, Any]:
    if value is None:
        raise _missing(path)
    if not isinstance(value, dict):
        raise GraphError(100, f"Param {path} must be a JSON object.")
    return value


def _string(
    obj: dict[str, Any], key: str, path: str, *, limit: int | None, required: bool = True
) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise _missing(f"{path}['{key}']")
        return None
    if not isinstance(value, str):
        raise GraphError(100, f"Param {path}['{key}'] must be a string.")
    if limit is not None and len(value) > limit:
        raise _too_long(f"{path}['{key}']", limit)
    return value


def normalize_recipient(to: str, *, rewrite_mx_br: bool) -> str:
    if not _PHONE_ALLOWED.match(to):
        raise GraphError(100, "Param to must be a phone number: digits, +, -, (, ) and spaces.")
    wa_id = digits_only(to)
    if not 7 <= len(wa_id) <= 15:
        raise GraphError(100, "Param to is not a valid phone number.")
    if rewrite_mx_br:
        if wa_id.startswith("52") and len(wa_id) == 12:
            wa_id = "521" + wa_id[2:]
        elif wa_id.startswith("55") and len(wa_id) == 13 and wa_id[4] == "9":
            wa_id = wa_id[:4] + wa_id[5:]
    return wa_id


def parse_send(
    payload: dict[str, Any], *, rewrite_mx_br: bool = False, accept_recipient: bool = True
) -> SendRequest:
    """Validate the envelope and the type object; returns the parsed request.

    `recipient` (a BSUID or parent BSUID) may stand in for `to`, which wins when both are
    given; before BSUIDs (`accept_recipient` False) it is an unknown parameter."""
    recipient_type = payload.get("recipient_type", "individual")
    if recipient_type != "individual":
        raise GraphError(100, "Param recipient_type must be 'individual' in this simulator.")
    to = payload.get("to")
    user_id = payload.get("recipient")
    if user_id is not None and not accept_recipient:
        raise GraphError(100, "Param recipient is not a valid parameter.")
    if to is not None:
        if not isinstance(to, str):
            raise GraphError(100, "Param to must be a string.")
        wa_id = normalize_recipient(to, rewrite_mx_br=rewrite_mx_br)
        by_user_id = False
    elif user_id is not None:
        if not isinstance(user_id, str) or not is_bsuid(user_id):
            raise GraphError(
                100,
                "Param recipient must be a business-scoped user ID: a two-letter country code, "
                "a dot and up to 128 letters or digits (IN.1648738043044942), or a parent one "
                "(IN.ENT.11815799212886844830).",
            )
        to, wa_id, by_user_id = user_id, user_id, True
    else:
        raise _missing("to")

    message_type = payload.get("type", "text")
    if message_type not in MESSAGE_TYPES:
        raise GraphError(100, f"Param type must be one of {{{', '.join(sorted(MESSAGE_TYPES))}}}.")
    if message_type not in payload:
        raise _missing(message_type)
    content = payload[message_type]

    context_id: str | None = None
    if "context" in payload:
        context = _require_dict(payload["context"], "context")
        context_id = _string(context, "message_id", "context", limit=None)

    biz_opaque = payload.get("biz_opaque_callback_data")
    if biz_opaque is not None and (not isinstance(biz_opaque, str) or len(biz_opaque) > 512):
        raise GraphError(100, "Param biz_opaque_callback_data must be a string of at most 512.")

    request = SendRequest(
        to=to,
        wa_id=wa_id,
        by_user_id=by_user_id,
        type=message_type,
        content=content,
        biz_opaque_callback_data=biz_opaque,
        context_message_id=context_id,
    )
    _VALIDATORS[message_type](request)
    return request


def _validate_text(request: SendRequest) -> None:
    text = _require_dict(request.content, "text")
    _string(text, "body", "text", limit=TEXT_BODY_MAX)
    if "preview_url" in text and not isinstance(text["preview_url"], bool):
        raise GraphError(100, "Param text['preview_url'] must be a boolean.")


def _media_object(request: SendRequest, kind: str, obj: Any, path: str) -> dict[str, Any]:
    media = _require_dict(obj, path)
    has_id, has_link = bool(media.get("id")), bool(media.get("link"))
    if has_id and has_link:
        raise GraphError(100, f"Param {path} must contain either id or link, not both.")
    if not has_id and not has_link:
        raise GraphError(131008, f"Param {path} must contain either id or link.")
    if has_id:
        if not isinstance(media["id"], str):
            raise GraphError(100, f"Param {path}['id'] must be a string.")
        request.media.append(MediaReference(kind, media["id"], path))
    else:
        link = media["link"]
        if not isinstance(link, str) or not link.startswith(("http://", "https://")):
            raise GraphError(100, f"Param {path}['link'] must be an http(s) URL.")
    return media


def _validate_media(request: SendRequest) -> None:
    kind = request.type
    media = _media_object(request, kind, request.content, kind)
    if "caption" in media:
        if kind in ("audio", "sticker"):
            raise GraphError(100, f"Param {kind}['caption'] is not supported for {kind}.")
        _string(media, "caption", kind, limit=CAPTION_MAX, required=False)
    if "filename" in media and kind != "document":
        raise GraphError(100, f"Param {kind}['filename'] is only supported for documents.")
    if "voice" in media and (kind != "audio" or not isinstance(media["voice"], bool)):
        raise GraphError(100, "Param audio['voice'] must be a boolean on audio messages.")


def _validate_reaction(request: SendRequest) -> None:
    reaction = _require_dict(request.content, "reaction")
    _string(reaction, "message_id", "reaction", limit=None)
    emoji = reaction.get("emoji")
    if emoji is not None and not isinstance(emoji, str):
        raise GraphError(100, "Param reaction['emoji'] must be a string.")


def _validate_location(request: SendRequest) -> None:
    location = _require_dict(request.content, "location")
    for key, bound in (("latitude", 90.0), ("longitude", 180.0)):
        if key not in location:
            raise _missing(f"location['{key}']")
        try:
            value = float(location[key])
        except (TypeError, ValueError):
            raise GraphError(100, f"Param location['{key}'] must be a number.") from None
        if not -bound <= value <= bound:
            raise GraphError(100, f"Param location['{key}'] is out of range.")


def _validate_contacts(request: SendRequest) -> None:
    contacts = request.content
    if not isinstance(contacts, list) or not contacts:
        raise GraphError(100, "Param contacts must be a non-empty array.")
    for index, contact in enumerate(contacts):
        contact_obj = _require_dict(contact, f"contacts[{index}]")
        name = _require_dict(contact_obj.get("name"), f"contacts[{index}]['name']")
        _string(name, "formatted_name", f"contacts[{index}]['name']", limit=None)


def _validate_interactive(request: SendRequest) -> None:
    interactive = _require_dict(request.content, "interactive")
    kind = interactive.get("type")
    if kind not in INTERACTIVE_TYPES:
        raise GraphError(
            100,
            f"Param interactive['type'] must be one of {{{', '.join(sorted(INTERACTIVE_TYPES))}}}.",
        )
    action = _require_dict(interactive.get("action"), "interactive['action']")
    if "footer" in interactive:
        footer = _require_dict(interactive["footer"], "interactive['footer']")
        _string(footer, "text", "interactive['footer']", limit=60)
    if kind == "button":
        body = _require_dict(interactive.get("body"), "interactive['body']")
        _string(body, "text", "interactive['body']", limit=1024)
        _validate_header(request, interactive, media_allowed=True)
        _validate_buttons(action)
    elif kind == "list":
        body = _require_dict(interactive.get("body"), "interactive['body']")
        _string(body, "text", "interactive['body']", limit=TEXT_BODY_MAX)
        _validate_header(request, interactive, media_allowed=False)
        _validate_list(action)
    elif "body" in interactive:
        body = _require_dict(interactive["body"], "interactive['body']")
        _string(body, "text", "interactive['body']", limit=TEXT_BODY_MAX)


def _validate_header(
    request: SendRequest, interactive: dict[str, Any], *, media_allowed: bool
) -> None:
    if "header" not in interactive:
        return
    header = _require_dict(interactive["header"], "interactive['header']")
    kind = header.get("type")
    if kind == "text":
        _string(header, "text", "interactive['header']", limit=60)
    elif media_allowed and kind in ("image", "video", "document"):
        _media_object(request, str(kind), header.get(str(kind)), f"interactive['header']['{kind}']")
    else:
        allowed = "text, image, video or document" if media_allowed else "text"
        raise GraphError(100, f"Param interactive['header']['type'] must be {allowed}.")


def _validate_buttons(action: dict[str, Any]) -> None:
    buttons = action.get("buttons")
    if not isinstance(buttons, list):
        raise _missing("interactive['action']['buttons']")
    if not 1 <= len(buttons) <= 3:
        raise GraphError(131009, f"Buttons count is {len(buttons)}; it must be between 1 and 3.")
    ids: set[str] = set()
    titles: set[str] = set()
    for index, button in enumerate(buttons):
        path = f"interactive['action']['buttons'][{index}]"
        button_obj = _require_dict(button, path)
        if button_obj.get("type") != "reply":
            raise GraphError(100, f"Param {path}['type'] must be 'reply'.")
        reply = _require_dict(button_obj.get("reply"), f"{path}['reply']")
        button_id = _string(reply, "id", f"{path}['reply']", limit=256)
        title = _string(reply, "title", f"{path}['reply']", limit=20)
        if button_id in ids:
            raise GraphError(131009, f"Button ids must be unique; '{button_id}' is repeated.")
        if title in titles:
            raise GraphError(131009, f"Button titles must be unique; '{title}' is repeated.")
        ids.add(str(button_id))
        titles.add(str(title))


def _validate_list(action: dict[str, Any]) -> None:
    _string(action, "button", "interactive['action']", limit=20)
    sections = action.get("sections")
    if not isinstance(sections, list):
        raise _missing("interactive['action']['sections']")
    if not 1 <= len(sections) <= 10:
        raise GraphError(131009, f"Sections count is {len(sections)}; it must be between 1 and 10.")
    row_ids: set[str] = set()
    for index, section in enumerate(sections):
        path = f"interactive['action']['sections'][{index}]"
        section_obj = _require_dict(section, path)
        _string(section_obj, "title", path, limit=24, required=len(sections) > 1)
        rows = section_obj.get("rows")
        if not isinstance(rows, list) or not rows:
            raise GraphError(131009, f"Param {path}['rows'] must hold at least one row.")
        for row_index, row in enumerate(rows):
            row_path = f"{path}['rows'][{row_index}]"
            row_obj = _require_dict(row, row_path)
            row_id = _string(row_obj, "id", row_path, limit=200)
            _string(row_obj, "title", row_path, limit=24)
            _string(row_obj, "description", row_path, limit=72, required=False)
            if row_id in row_ids:
                raise GraphError(131009, f"Row ids must be unique; '{row_id}' is repeated.")
            row_ids.add(str(row_id))
    if len(row_ids) > 10:
        raise GraphError(131009, f"Rows count is {len(row_ids)}; a list holds at most 10 rows.")


def _validate_template(request: SendRequest) -> None:
    template = _require_dict(request.content, "template")
    _string(template, "name", "template", limit=512)
    language = _require_dict(template.get("language"), "template['language']")
    _string(language, "code", "template['language']", limit=None)
    components = template.get("components", [])
    if not isinstance(components, list):
        raise GraphError(100, "Param template['components'] must be an array.")
    for index, component in enumerate(components):
        path = f"template['components'][{index}]"
        component_obj = _require_dict(component, path)
        # Meta reads the component type in any letter case ("BODY" as "body").
        if fold_case(component_obj.get("type")) not in ("header", "body", "button", "footer"):
            raise GraphError(100, f"Param {path}['type'] must be header, body or button.")
        parameters = component_obj.get("parameters", [])
        if not isinstance(parameters, list):
            raise GraphError(100, f"Param {path}['parameters'] must be an array.")
        for param_index, parameter in enumerate(parameters):
            param_path = f"{path}['parameters'][{param_index}]"
            param_obj = _require_dict(parameter, param_path)
            kind = param_obj.get("type")
            if kind in ("image", "video", "document"):
                _media_object(
                    request, str(kind), param_obj.get(str(kind)), f"{param_path}['{kind}']"
                )
            elif kind == "text" and not isinstance(param_obj.get("text"), str):
                raise _missing(f"{param_path}['text']")


_VALIDATORS = {
    "text": _validate_text,
    "template": _validate_template,
    "interactive": _validate_interactive,
    "reaction": _validate_reaction,
    "location": _validate_location,
    "contacts": _validate_contacts,
    **{kind: _validate_media for kind in MEDIA_TYPES},
}


def check_template_parameters(template: Template, components: list[dict[str, Any]]) -> None:
    """Compare the send's parameters with the placeholders of the registered template."""
    expected = template.body_placeholders()
    given: dict[str, list[dict[str, Any]]] = {}
    for component in components:
        kind = fold_case(component.get("type"))
        parameters = [p for p in component.get("parameters", []) if isinstance(p, dict)]
        if kind == "button":
            if fold_case(component.get("sub_type")) == "url":
                given[f"button:{component.get('index', '0')}"] = parameters
        elif kind in ("header", "body"):
            given[kind] = parameters

    header_format = template.header_format()
    if header_format in ("IMAGE", "VIDEO", "DOCUMENT", "LOCATION"):
        header_params = given.pop("header", [])
        if len(header_params) != 1 or header_params[0].get("type") != header_format.lower():
            raise GraphError(
                132000,
                f"The template header expects 1 {header_format.lower()} parameter, "
                f"got {len(header_params)}.",
            )

    for key in sorted(set(expected) | set(given)):
        names = expected.get(key, [])
        parameters = given.get(key, [])
        if len(parameters) != len(names):
            raise GraphError(
                132000,
                f"Number of parameters ({len(parameters)}) does not match the expected number "
                f"of params ({len(names)}) in {key}.",
            )
        if template.parameter_format == "NAMED" and not key.startswith("button:"):
            sent_names = [p.get("parameter_name") for p in parameters]
            if sorted(str(n) for n in sent_names) != sorted(names):
                raise GraphError(
                    132012,
                    f"Named parameters {sent_names} do not match the template's {names} in {key}.",
                )
