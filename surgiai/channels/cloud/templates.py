"""Graph's template list (`GET /{waba-id}/message_templates`) read into neutral `TemplateInfo`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from surgiai.channels.base import TemplateInfo


def template_info(item: Mapping[str, Any]) -> TemplateInfo | None:
    """One entry of the list; None without a name or language (nothing to key it on)."""
    name = _text(item.get("name"))
    language = _text(item.get("language"))
    if name is None or language is None:
        return None
    components = item.get("components")
    quality = item.get("quality_score")
    score = quality.get("score") if isinstance(quality, Mapping) else quality
    return TemplateInfo(
        name=name,
        language=language,
        status=(_text(item.get("status")) or "UNKNOWN").upper(),
        category=_upper(item.get("category")),
        # WhatsApp's default when a template was created without one.
        parameter_format=_upper(item.get("parameter_format")) or "POSITIONAL",
        components=(
            [c for c in components if isinstance(c, dict)] if isinstance(components, list) else []
        ),
        template_id=_text(item.get("id")),
        rejected_reason=_rejected_reason(item.get("rejected_reason")),
        quality=_upper(score),
    )


def _rejected_reason(value: Any) -> str | None:
    """Graph says `NONE` for templates that were not rejected."""
    reason = _text(value)
    return None if reason is None or reason.upper() == "NONE" else reason


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    return str(value) or None


def _upper(value: Any) -> str | None:
    text = _text(value)
    return text.upper() if text is not None else None
