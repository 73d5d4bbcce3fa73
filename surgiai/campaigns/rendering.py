"""Each recipient's message, rendered once when the campaign starts and kept on their row: a
campaign resumed after a crash, a pause or a retry sends exactly what the first pass would have,
even if the doctor's profile or the campaign's template changed since."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, get_args

from surgiai.campaigns.schemas import DoctorField, ValueSource, VariantIn
from surgiai.conversations.formatting import fill_variables
from surgiai.doctors.models import Doctor
from surgiai.templates.models import MessageTemplate

# WhatsApp refuses a template parameter that is empty, or has a newline, a tab or more than
# four spaces in a row (132000/131008): values are flattened to one line.
_LINE_BREAKS = re.compile(r"[\r\n\t]+")
_LONG_SPACES = re.compile(r" {4,}")
# {name}-style fields in free-form text; anything else in braces is left as typed.
_TEXT_FIELD = re.compile(r"\{(" + "|".join(get_args(DoctorField)) + r")\}")
# Written in a message when a doctor lacks the field and no fallback was given.
DEFAULT_FALLBACK = {"name": "Doctor", "first_name": "Doctor"}


@dataclass(frozen=True)
class Rendered:
    message_type: str
    payload: dict[str, Any]
    # What the doctor will read (template body with their values, or the text).
    text: str
    # Variables left without a value: the recipient cannot be sent this message.
    missing: tuple[str, ...] = ()


def doctor_field(doctor: Doctor, field: str) -> str | None:
    if field == "first_name":
        return first_name(doctor)
    if field == "name":
        return doctor.name or doctor.profile_name
    value = getattr(doctor, field, None)
    return str(value) if value else None


def first_name(doctor: Doctor) -> str | None:
    """ "Dr. Asha Rao" → "Asha"; a title alone is not a first name."""
    name = doctor.name or doctor.profile_name
    if not name:
        return None
    words = [
        w
        for w in name.replace(".", ". ").split()
        if w.strip(".").lower() not in {"dr", "doctor", "prof", "mr", "mrs", "ms"}
    ]
    return words[0] if words else None


def value_of(source: ValueSource, doctor: Doctor) -> str | None:
    if source.value is not None:
        raw: str | None = source.value
    else:
        assert source.field is not None
        raw = (
            doctor_field(doctor, source.field)
            or source.fallback
            or DEFAULT_FALLBACK.get(source.field)
        )
    if raw is None:
        return None
    flat = _LONG_SPACES.sub("   ", _LINE_BREAKS.sub(" ", raw)).strip()
    return flat or None


def render_template(
    variant: VariantIn, template: MessageTemplate, doctor: Doctor, header_media_file_id: int | None
) -> Rendered:
    """The template object as WhatsApp takes it, with this doctor's values. A media header
    names our stored file (`media_file_id`): the executor puts the media id of the sending
    number's upload in its place."""
    named = template.parameter_format.upper() == "NAMED"
    values: dict[str, dict[str, str]] = {}
    missing: list[str] = []
    components: list[dict[str, Any]] = []
    for component, names in template.variables.items():
        kind = component.split(":")[0]
        sources = variant.parameters.get(kind, {})  # type: ignore[call-overload]
        parameters: list[dict[str, Any]] = []
        for name in names:
            source = sources.get(name)
            value = value_of(source, doctor) if source is not None else None
            if value is None:
                missing.append(f"{component} {{{{{name}}}}}")
                continue
            values.setdefault(kind, {})[name] = value
            parameter: dict[str, Any] = {"type": "text", "text": value}
            if named:
                parameter["parameter_name"] = name
            parameters.append(parameter)
        if not parameters:
            continue
        if kind == "button":
            index = component.split(":")[1]
            components.append(
                {"type": "button", "sub_type": "url", "index": index, "parameters": parameters}
            )
        else:
            components.append({"type": kind, "parameters": parameters})
    media_format = (template.header_format or "").upper()
    if media_format in {"IMAGE", "VIDEO", "DOCUMENT"}:
        if header_media_file_id is None:
            missing.append(f"header {media_format.lower()} file")
        else:
            kind = media_format.lower()
            media = {"media_file_id": header_media_file_id}
            components.insert(0, {"type": "header", "parameters": [{"type": kind, kind: media}]})
    payload: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
    if components:
        payload["components"] = components
    body, _ = fill_variables(template.body_text or "", values.get("body", {}))
    header = template.header_text
    if header:
        header, _ = fill_variables(header, values.get("header", {}))
        body = f"*{header}*\n{body}"
    return Rendered("template", payload, body, tuple(missing))


def render_text(variant: VariantIn, doctor: Doctor) -> Rendered:
    assert variant.text is not None

    def fill(match: re.Match[str]) -> str:
        field = match.group(1)
        return doctor_field(doctor, field) or DEFAULT_FALLBACK.get(field, "")

    text = _TEXT_FIELD.sub(fill, variant.text).strip()
    return Rendered("text", {"body": text, "preview_url": True}, text)
