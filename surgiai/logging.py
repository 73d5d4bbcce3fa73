"""structlog set-up: event names, a correlation id, secrets and phone numbers masked."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from surgiai.kit.phone import mask_number

SECRET_KEYS = re.compile(
    r"(password|passwd|secret|token|authorization|api_key|apikey|cookie|credential)", re.I
)
# Runs of 8 or more digits (optionally led by +): phone numbers, WhatsApp ids.
PHONE_PATTERN = re.compile(r"\+?\d[\d\s\-]{6,}\d")


def mask_phone(text: str) -> str:
    """Mask every phone number inside `text`."""

    def _mask(match: re.Match[str]) -> str:
        if len(re.sub(r"\D", "", match.group(0))) < 8:
            return match.group(0)
        return mask_number(match.group(0))

    return PHONE_PATTERN.sub(_mask, text)


def _mask_value(key: str, value: Any) -> Any:
    if SECRET_KEYS.search(key):
        return "***"
    if isinstance(value, str):
        return mask_phone(value)
    if isinstance(value, dict):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(key, v) for v in value]
    return value


def mask_sensitive(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key in {"timestamp", "level", "logger"}:
            continue
        event_dict[key] = _mask_value(key, event_dict[key])
    return event_dict


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        mask_sensitive,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    # Third-party loggers: keep them quieter than our own events.
    for noisy in ("huey", "huey.consumer", "uvicorn.access", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
