"""Reading a template's components as WhatsApp returns them (CLOUD_API.md §1.3): the text of
each part and the variables a send must fill.

Components come from WhatsApp unchecked, so every reader tolerates missing or odd values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

# The same placeholder syntax the simulator and the inbox preview use: `{{1}}`, `{{first_name}}`.
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")

Components = Sequence[Any]


def find_component(components: Components, kind: str) -> dict[str, Any] | None:
    """The first component of `kind` (`HEADER`, `BODY`, `FOOTER`, `BUTTONS`)."""
    for component in components:
        if isinstance(component, dict) and str(component.get("type", "")).upper() == kind:
            return component
    return None


def component_text(components: Components, kind: str) -> str | None:
    component = find_component(components, kind)
    text = component.get("text") if component is not None else None
    return text if isinstance(text, str) and text else None


def header_format(components: Components) -> str | None:
    """`TEXT`, `IMAGE`, `VIDEO`, `DOCUMENT`, `LOCATION`…; None without a header."""
    header = find_component(components, "HEADER")
    if header is None:
        return None
    return str(header.get("format") or "TEXT").upper()


def header_text(components: Components) -> str | None:
    """A media header has no text: its `example` is a sample file, not what the doctor sees."""
    if header_format(components) != "TEXT":
        return None
    return component_text(components, "HEADER")


def buttons(components: Components) -> list[dict[str, Any]]:
    component = find_component(components, "BUTTONS")
    found = component.get("buttons") if component is not None else None
    return (
        [button for button in found if isinstance(button, dict)] if isinstance(found, list) else []
    )


def button_texts(components: Components) -> list[str]:
    return [str(button.get("text") or "") for button in buttons(components)]


def variables(components: Components, parameter_format: str) -> dict[str, list[str]]:
    """The variables a send must fill, per component, named as the send payload names them:
    `{"header": ["1"], "body": ["1", "2"], "button:1": ["1"]}` for a positional template,
    `{"body": ["first_name", "order_number"]}` for a named one. `button:<index>` is a URL
    button whose link ends in a variable (sent as `sub_type: url` with that `index`).

    Positional values are sent in placeholder order, so positional names come sorted by number;
    named ones keep the order in which the text uses them.
    """
    positional = parameter_format.upper() != "NAMED"
    found: dict[str, list[str]] = {}
    texts: list[tuple[str, str | None]] = [
        ("header", header_text(components)),
        ("body", component_text(components, "BODY")),
    ]
    for index, button in enumerate(buttons(components)):
        if str(button.get("type", "")).upper() == "URL":
            url = button.get("url")
            texts.append((f"button:{index}", url if isinstance(url, str) else None))
    for key, text in texts:
        names = _placeholders(text or "", positional=positional)
        if names:
            found[key] = names
    return found


def _placeholders(text: str, *, positional: bool) -> list[str]:
    names = list(dict.fromkeys(PLACEHOLDER.findall(text)))
    if positional and all(name.isdigit() for name in names):
        names.sort(key=int)
    return names
