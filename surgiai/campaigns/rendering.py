"""Each recipient's message, rendered once when the campaign starts and kept on their row: a
campaign resumed after a crash, a pause or a retry sends exactly what the first pass would have,
even if the doctor's profile or the campaign's template changed since.

A start renders 100,000 messages from a handful of (variant, template) pairs, so each pair is
prepared once (its variables, their sources, its texts split at their placeholders) and a
recipient's message is then a few lookups and joins."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, get_args

from surgiai.campaigns.schemas import DoctorField, ValueSource, VariantIn
from surgiai.doctors.models import Doctor
from surgiai.templates.components import PLACEHOLDER
from surgiai.templates.models import MessageTemplate

# WhatsApp refuses a template parameter that is empty, or has a newline, a tab or more than
# four spaces in a row (132000/131008): values are flattened to one line.
_LINE_BREAKS = re.compile(r"[\r\n\t]+")
_LONG_SPACES = re.compile(r" {4,}")
# {name}-style fields in free-form text; anything else in braces is left as typed.
_TEXT_FIELD = re.compile(r"\{(" + "|".join(get_args(DoctorField)) + r")\}")
# Written in a message when a doctor lacks the field and no fallback was given.
DEFAULT_FALLBACK = {"name": "Doctor", "first_name": "Doctor"}
_TITLES = frozenset({"dr", "doctor", "prof", "mr", "mrs", "ms"})
# Values repeat across an audience (cities, specialties, common names): the recent ones are
# flattened once. Bounded: a long-lived process renders many campaigns.
_CACHED_VALUES = 4096


@dataclass(frozen=True)
class Rendered:
    message_type: str
    payload: dict[str, Any]
    # What the doctor will read (template body with their values, or the text).
    text: str
    # Variables left without a value: the recipient cannot be sent this message.
    missing: tuple[str, ...] = ()


# A variant's message for one doctor; one is prepared per (variant, template).
Renderer = Callable[[Doctor], Rendered]


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
    return _first_word(name) if name else None


@lru_cache(maxsize=_CACHED_VALUES)
def _first_word(name: str) -> str | None:
    words = [w for w in name.replace(".", ". ").split() if w.strip(".").lower() not in _TITLES]
    return words[0] if words else None


@lru_cache(maxsize=_CACHED_VALUES)
def _flatten(raw: str) -> str | None:
    flat = _LONG_SPACES.sub("   ", _LINE_BREAKS.sub(" ", raw)).strip()
    return flat or None


@dataclass(frozen=True)
class _Variable:
    """One variable of a component and where its value comes from."""

    name: str
    # How a recipient's missing value is reported: "body {{1}}".
    label: str
    # A doctor's field, and what stands in when they lack it; or None with `constant`.
    field: str | None
    fallback: str | None
    # The same value for everyone (None with a field, or when nothing gives a value).
    constant: str | None

    @classmethod
    def of(cls, component: str, name: str, source: ValueSource | None) -> _Variable:
        label = f"{component} {{{{{name}}}}}"
        if source is None:
            return cls(name, label, None, None, None)
        if source.field is None:
            assert source.value is not None
            return cls(name, label, None, None, _flatten(source.value))
        fallback = source.fallback or DEFAULT_FALLBACK.get(source.field)
        return cls(name, label, source.field, fallback, None)

    def value(self, doctor: Doctor) -> str | None:
        if self.field is None:
            return self.constant
        raw = doctor_field(doctor, self.field) or self.fallback
        return None if raw is None else _flatten(raw)


@dataclass(frozen=True)
class _Component:
    kind: str  # header, body or button
    # A URL button's index, as the send payload names it.
    button_index: str | None
    variables: tuple[_Variable, ...]


@dataclass(frozen=True)
class _SplitText:
    """A text cut at its placeholders (`{{1}}` in a template, `{name}` in free text): the
    literal before the first, then (name, as typed, literal after it) for each."""

    first: str
    rest: tuple[tuple[str, str, str], ...]

    @classmethod
    def of(cls, text: str, placeholder: re.Pattern[str]) -> _SplitText:
        matches = list(placeholder.finditer(text))
        if not matches:
            return cls(text, ())
        ends = [m.start() for m in matches[1:]] + [len(text)]
        return cls(
            text[: matches[0].start()],
            tuple(
                (m.group(1), m.group(0), text[m.end() : end])
                for m, end in zip(matches, ends, strict=True)
            ),
        )

    def fill(self, values: dict[str, str]) -> str:
        """A placeholder without a value is left as typed."""
        if not self.rest:
            return self.first
        pieces = [self.first]
        for name, typed, literal in self.rest:
            pieces.append(values.get(name, typed))
            pieces.append(literal)
        return "".join(pieces)


class TemplateRenderer:
    """A variant's template, prepared for rendering many doctors' messages: the template
    object as WhatsApp takes it, with each doctor's values. A media header names our stored
    file (`media_file_id`): the executor puts the media id of the sending number's upload in
    its place."""

    def __init__(
        self, variant: VariantIn, template: MessageTemplate, header_media_file_id: int | None
    ) -> None:
        self._name = template.name
        self._language = template.language
        self._named = template.parameter_format.upper() == "NAMED"
        components: list[_Component] = []
        for component, names in template.variables.items():
            kind, _, button_index = component.partition(":")
            sources = variant.parameters.get(kind, {})  # type: ignore[call-overload]
            components.append(
                _Component(
                    kind,
                    button_index if kind == "button" else None,
                    tuple(_Variable.of(component, name, sources.get(name)) for name in names),
                )
            )
        self._components = tuple(components)
        media_format = (template.header_format or "").upper()
        # The header's media type and file, or what is missing for it.
        self._media: tuple[str, int] | None = None
        self._media_missing: str | None = None
        if media_format in {"IMAGE", "VIDEO", "DOCUMENT"}:
            if header_media_file_id is None:
                self._media_missing = f"header {media_format.lower()} file"
            else:
                self._media = (media_format.lower(), header_media_file_id)
        self._body = _SplitText.of(template.body_text or "", PLACEHOLDER)
        header = template.header_text
        self._header = _SplitText.of(header, PLACEHOLDER) if header else None

    def __call__(self, doctor: Doctor) -> Rendered:
        values: dict[str, dict[str, str]] = {}
        missing: list[str] = []
        components: list[dict[str, Any]] = []
        for component in self._components:
            parameters: list[dict[str, Any]] = []
            for variable in component.variables:
                value = variable.value(doctor)
                if value is None:
                    missing.append(variable.label)
                    continue
                values.setdefault(component.kind, {})[variable.name] = value
                parameter: dict[str, Any] = {"type": "text", "text": value}
                if self._named:
                    parameter["parameter_name"] = variable.name
                parameters.append(parameter)
            if not parameters:
                continue
            if component.button_index is not None:
                components.append(
                    {
                        "type": "button",
                        "sub_type": "url",
                        "index": component.button_index,
                        "parameters": parameters,
                    }
                )
            else:
                components.append({"type": component.kind, "parameters": parameters})
        if self._media_missing is not None:
            missing.append(self._media_missing)
        elif self._media is not None:
            kind, file_id = self._media
            media = {"media_file_id": file_id}
            components.insert(0, {"type": "header", "parameters": [{"type": kind, kind: media}]})
        payload: dict[str, Any] = {"name": self._name, "language": {"code": self._language}}
        if components:
            payload["components"] = components
        body = self._body.fill(values.get("body", {}))
        if self._header is not None:
            body = f"*{self._header.fill(values.get('header', {}))}*\n{body}"
        return Rendered("template", payload, body, tuple(missing))


class TextRenderer:
    """Free-form text with each doctor's {field} values (a missing one reads as its default, or
    nothing)."""

    def __init__(self, variant: VariantIn) -> None:
        assert variant.text is not None
        self._text = _SplitText.of(variant.text, _TEXT_FIELD)

    def __call__(self, doctor: Doctor) -> Rendered:
        pieces = [self._text.first]
        for field, _, literal in self._text.rest:
            pieces.append(doctor_field(doctor, field) or DEFAULT_FALLBACK.get(field, ""))
            pieces.append(literal)
        text = "".join(pieces).strip()
        return Rendered("text", {"body": text, "preview_url": True}, text)
