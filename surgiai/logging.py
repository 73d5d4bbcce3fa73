"""structlog set-up: event names, a correlation id, secrets and phone numbers masked.

Every log line goes through one masking pipeline, whoever writes it: our structlog events and
the standard library's records (uvicorn, Huey, SQLAlchemy, httpx) alike. Values are masked by
their key (a `password`, a `to`) and, because exceptions and third-party messages are free text,
by what they look like: phone numbers (E.164 and Indian mobile formats, never any long digit
run, so request ids, wamids and timestamps survive), password hashes, bearer tokens,
`token=`-style assignments (query strings included) and quoted message bodies.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, MutableMapping
from typing import Any, TextIO

import phonenumbers
import structlog

from surgiai.kit.phone import mask_number

MASK = "***"

SECRET_KEYS = re.compile(
    r"(password|passwd|secret|token|authorization|api_?key|cookie|credential|signature|hash)",
    re.I,
)
# Keys whose value is a phone number or WhatsApp id, whatever its digits look like.
PHONE_KEYS = frozenset(
    {"to", "from", "wa_id", "phone", "msisdn", "recipient", "display_phone_number", "e164"}
)
# Keys whose value is what a doctor or the team wrote.
BODY_KEYS = frozenset({"body", "text", "caption", "content", "message_body"})
# Log plumbing, never personal data.
STRUCTURAL_KEYS = frozenset({"timestamp", "level", "logger", "correlation_id", "task"})

_PHONE_KEY_ALTERNATIVES = "|".join(sorted(PHONE_KEYS))
_BODY_KEY_ALTERNATIVES = "|".join(sorted(BODY_KEYS))

# argon2 (what we store) and bcrypt hashes, wherever they appear.
_HASH = re.compile(r"\$argon2(?:id|i|d)\$[A-Za-z0-9+/=$,]+|\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}")
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.I)
# Meta access tokens start with EAA; they can appear bare in a vendor's error text.
_META_TOKEN = re.compile(r"\bEAA[A-Za-z0-9]{20,}")
# `token=…`, `hub.verify_token=…`, `'password_hash': '…'`, `access_token="…"`, `Cookie: …`.
_SECRET_ASSIGNMENT = re.compile(
    r"""(?P<key>[\w.-]*(?:password|passwd|secret|token|authorization|api[_-]?key|cookie
         |credential|signature|_hash)[\w.-]*)
        (?P<sep>['"]?\s*[:=]\s*)
        (?P<value>'[^']*'|"[^"]*"|[^\s&,;'"<>)}\]]+)""",
    re.I | re.X,
)
# A quoted body in a dict or JSON text: `'body': 'I need 20 staplers'`.
_BODY_ASSIGNMENT = re.compile(
    rf"""(?P<key>['"](?:{_BODY_KEY_ALTERNATIVES})['"]\s*:\s*)
        (?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""",
    re.X,
)
# `'wa_id': '16505551234'`, `to=16505551234`: any digits under a phone key.
_PHONE_ASSIGNMENT = re.compile(
    rf"""(?P<key>\b(?:{_PHONE_KEY_ALTERNATIVES})['"]?\s*[:=]\s*['"]?)
        (?P<value>\+?\d[\d -]{{6,}}\d)""",
    re.X,
)
# Phone numbers in free text, bounded on both sides so that a digit run inside a hex id, a
# wamid, a timestamp or a longer number is left alone: E.164 (`+91 98765 43210`,
# `+16505551234`) and Indian mobiles as people write them (`9876543210`, `98765-43210`,
# `919876543210`, `0091 98765 43210`, `098765 43210`).
PHONE_PATTERN = re.compile(
    r"""(?<![\w.+-])
        (?:\+[1-9](?:[ -]?\d){7,14}
          |(?:(?:0091|91)[ -]?|0)?[6-9]\d{4}[ -]?\d{5})
        (?![\w+]|[.-]\d)""",
    re.X,
)


# A bare run of 11 to 15 digits, as WhatsApp writes ids (`16505551234`): a phone number only
# if it is a valid one with its country code (Meta's object ids and epoch times are not).
_WA_ID_CANDIDATE = re.compile(r"(?<![\w.+-])[1-9]\d{10,14}(?![\w+]|[.-]\d)")


def _mask_if_wa_id(match: re.Match[str]) -> str:
    try:
        number = phonenumbers.parse("+" + match.group(0))
    except phonenumbers.NumberParseException:
        return match.group(0)
    return mask_number(match.group(0)) if phonenumbers.is_valid_number(number) else match.group(0)


def mask_phone(text: str) -> str:
    """Mask every phone number inside `text`."""
    text = PHONE_PATTERN.sub(lambda match: mask_number(match.group(0)), text)
    return _WA_ID_CANDIDATE.sub(_mask_if_wa_id, text)


def scrub_text(text: str) -> str:
    """`text` with hashes, tokens, secrets, quoted bodies and phone numbers masked."""
    text = _HASH.sub(MASK, text)
    text = _BEARER.sub(lambda match: f"{match.group(1)} {MASK}", text)
    text = _META_TOKEN.sub(MASK, text)
    text = _SECRET_ASSIGNMENT.sub(lambda match: match["key"] + match["sep"] + MASK, text)
    text = _BODY_ASSIGNMENT.sub(lambda match: match["key"] + repr(MASK), text)
    text = _PHONE_ASSIGNMENT.sub(lambda match: match["key"] + mask_number(match["value"]), text)
    return mask_phone(text)


def _mask_value(key: str, value: Any) -> Any:
    if SECRET_KEYS.search(key):
        return MASK
    if key in BODY_KEYS and isinstance(value, str):
        return MASK
    if key in PHONE_KEYS and isinstance(value, str | int):
        return mask_number(str(value))
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(key, v) for v in value]
    if isinstance(value, BaseException):
        return scrub_text(repr(value))
    return value


def mask_sensitive(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key in STRUCTURAL_KEYS or key.startswith("_"):
            continue
        event_dict[key] = _mask_value(key, event_dict[key])
    return event_dict


LOGGED_MARK = "_surgiai_logged"


def mark_logged(error: BaseException) -> None:
    """Note that `error` has been logged, so that a server re-raising it (uvicorn logs what
    an application raises) does not log it a second time."""
    setattr(error, LOGGED_MARK, True)


class _OnceFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not getattr(error, LOGGED_MARK, False)


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is when a record comes (test captures replace it)."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(_OnceFilter())

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    processors: list[Callable[..., Any]] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        # Tracebacks become plain text here, before masking: never a renderer's own traceback
        # (rich shows local variables).
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
    handler = _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *processors],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Third-party loggers: keep them quieter than our own events.
    for noisy in ("huey", "huey.consumer", "uvicorn.access", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
