"""WhatsApp's text formatting, rendered to safe HTML for previews and the inbox.

WhatsApp reads `*bold*`, `_italic_`, `~strike~`, ```` ```monospace``` ````, `` `inline code` ``,
`> quote`, `- ` / `* ` bullets and `1. ` numbered lines. A marker only formats when it hugs the
text (`*bold*`, not `* bold *`) and stands at a word boundary (`2*3*4` stays as typed). Everything
is HTML-escaped first, so a doctor's or an agent's text can never inject markup.
"""

from __future__ import annotations

import html
import re
from typing import Any

_MONO_BLOCK = re.compile(r"```(.+?)```", re.DOTALL)
_INLINE_CODE = re.compile(r"(?<![\w`])`([^`\n]+?)`(?![\w`])")
_PLACEHOLDER = "\x00{}\x00"
_PLACEHOLDER_PATTERN = re.compile("\x00(\\d+)\x00")


def _span(marker: str) -> re.Pattern[str]:
    m = re.escape(marker)
    # Opening marker: at the start or after a non-word character, followed by a non-space.
    # Closing marker: after a non-space, followed by the end or a non-word character.
    return re.compile(rf"(?<![\w{m}]){m}(?=\S)([^\n]*?\S){m}(?![\w{m}])")


_SPANS = (
    (_span("*"), "strong"),
    (_span("_"), "em"),
    (_span("~"), "del"),
)
_BULLET = re.compile(r"^[-*] (.*)$")
_NUMBERED = re.compile(r"^(\d{1,3})\. (.*)$")
_QUOTE = re.compile(r"^&gt; ?(.*)$")


def to_html(text: str) -> str:
    """Render WhatsApp-formatted text as HTML that is safe to insert into a page."""
    protected: list[str] = []

    def protect(fragment: str) -> str:
        protected.append(fragment)
        return _PLACEHOLDER.format(len(protected) - 1)

    # Monospace content is shown exactly as typed: no formatting inside it.
    escaped = html.escape(text.replace("\x00", ""), quote=True)
    escaped = _MONO_BLOCK.sub(lambda m: protect(f"<code>{m.group(1)}</code>"), escaped)
    escaped = _INLINE_CODE.sub(lambda m: protect(f"<code>{m.group(1)}</code>"), escaped)
    for pattern, tag in _SPANS:
        escaped = pattern.sub(rf"<{tag}>\1</{tag}>", escaped)
    lines = [_format_line(line) for line in escaped.split("\n")]
    rendered = "<br>".join(lines)
    return _PLACEHOLDER_PATTERN.sub(lambda m: protected[int(m.group(1))], rendered)


def _format_line(line: str) -> str:
    if match := _QUOTE.match(line):
        return f"<blockquote>{match.group(1)}</blockquote>"
    if match := _BULLET.match(line):
        return f"• {match.group(1)}"
    if match := _NUMBERED.match(line):
        return f"{match.group(1)}. {match.group(2)}"
    return line


_TEMPLATE_VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


def fill_variables(text: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """Fill `{{1}}` / `{{name}}` placeholders; returns the text and the names left unfilled."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        missing.append(name)
        return match.group(0)

    return _TEMPLATE_VARIABLE.sub(replace, text), missing


def template_parameters(payload: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Parameters by component, keyed as the template names them: `{"body": {"1": "Dr Rao"}}`
    for positional, `{"body": {"name": "Dr Rao"}}` for named parameters."""
    found: dict[str, dict[str, str]] = {}
    for component in payload.get("components") or []:
        if not isinstance(component, dict):
            continue
        kind = str(component.get("type", "")).lower()
        values = found.setdefault(kind, {})
        for index, parameter in enumerate(component.get("parameters") or [], start=1):
            if not isinstance(parameter, dict):
                continue
            key = str(parameter.get("parameter_name") or index)
            value = parameter.get(parameter.get("type", "text"))
            if isinstance(value, dict):  # currency, date_time, media: show what WhatsApp shows
                value = value.get("fallback_value") or value.get("link") or value.get("id")
            values[key] = "" if value is None else str(value)
    return found
