"""Graph API errors and what to do about each code (CLOUD_API.md §2).

Meta says to key behaviour on `code` (plus `error_data.details`), not on HTTP status, subcodes or
titles. `classify` gives the neutral `ErrorReaction` the domains act on; `plain_reason` gives the
sentence an admin sees. The same codes arrive synchronously (HTTP error body) and asynchronously
(failed status webhooks), so both paths use this one table. Outside this package a code is only
ever displayed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from surgiai.channels.base import RETRYABLE_REACTIONS, ChannelError, ErrorDetail, ErrorReaction


@dataclass(frozen=True)
class _Rule:
    reaction: ErrorReaction
    reason: str
    max_retries: int = 0
    first_delay: float = 0.0
    max_delay: float = 0.0
    growth: float = 2.0


_PERMISSION = (
    "A permission this action needs was not granted or was removed. An admin must grant it "
    "again in Meta Business Manager."
)
_REGISTRATION = (
    "The phone number's WhatsApp registration is incomplete or failed (registration, PIN or "
    "deregistration). An admin must finish registering the number."
)

# The registration family comes first so that explicit entries (retryable 133004) override it.
_RULES: dict[int, _Rule] = {
    **{
        code: _Rule(ErrorReaction.config, _REGISTRATION)
        for code in (*range(133000, 133011), 133015)
    },
    0: _Rule(
        ErrorReaction.auth_failed,
        "WhatsApp could not authenticate SurgiAI: the access token expired or was revoked, or "
        "the app was blocked. An admin must reconnect the number.",
    ),
    1: _Rule(
        ErrorReaction.bug,
        "WhatsApp reported an unknown or invalid request. A developer must inspect it.",
    ),
    2: _Rule(
        ErrorReaction.retry_transient,
        "WhatsApp was temporarily down or overloaded. The message will be retried.",
        max_retries=5,
        first_delay=5,
        max_delay=300,
    ),
    3: _Rule(
        ErrorReaction.config,
        "The Meta app lacks a capability or permission for this action. An admin must check "
        "the app's WhatsApp permissions.",
    ),
    4: _Rule(
        ErrorReaction.throttled,
        "SurgiAI made too many calls to Meta's API. Requests slow down and retry automatically.",
        max_retries=5,
        first_delay=60,
        max_delay=3600,
    ),
    10: _Rule(ErrorReaction.config, _PERMISSION),
    33: _Rule(
        ErrorReaction.config,
        "This business phone number was deleted from WhatsApp. Reconnect it or remove it.",
    ),
    100: _Rule(
        ErrorReaction.bug,
        "WhatsApp rejected a value in the message (wrong, unsupported or too long). It will not "
        "be retried; a developer must fix it.",
    ),
    190: _Rule(
        ErrorReaction.auth_failed,
        "The WhatsApp access token expired or is invalid. An admin must reconnect the number "
        "with a new token.",
    ),
    368: _Rule(
        ErrorReaction.pause_number,
        "The WhatsApp Business Account is restricted or disabled for a policy violation. Sending "
        "on this number is paused until an admin resolves it with Meta.",
    ),
    80007: _Rule(
        ErrorReaction.throttled,
        "The WhatsApp Business Account hit Meta's API rate limit. Retrying later.",
        max_retries=5,
        first_delay=60,
        max_delay=3600,
    ),
    130403: _Rule(
        ErrorReaction.drop,
        "This doctor is blocked by our WhatsApp business account, so nothing is sent to them.",
    ),
    130429: _Rule(
        ErrorReaction.throttled,
        "This number is sending faster than WhatsApp allows. Messages are slowed down and retried.",
        max_retries=8,
        first_delay=1,
        max_delay=60,
    ),
    130472: _Rule(
        ErrorReaction.drop,
        "WhatsApp did not send this message because the doctor's number is part of a Meta "
        "experiment. It was not billed; do not resend soon.",
    ),
    130497: _Rule(
        ErrorReaction.drop,
        "This WhatsApp account may not message users in the doctor's country.",
    ),
    131000: _Rule(
        ErrorReaction.retry_transient,
        "WhatsApp failed with an unknown error. It is retried a few times; if it keeps "
        "happening, raise a ticket with Meta.",
        max_retries=3,
        first_delay=5,
        max_delay=60,
    ),
    131005: _Rule(
        ErrorReaction.config,
        "Access denied: the Meta app lacks permission for this action. An admin must check "
        "the permissions.",
    ),
    131008: _Rule(
        ErrorReaction.bug,
        "A required value was missing from the message. A developer must fix it.",
    ),
    131009: _Rule(
        ErrorReaction.bug,
        "A value in the message was invalid (for example a reaction to a message that is older "
        "than 30 days or deleted). A developer must fix it.",
    ),
    131016: _Rule(
        ErrorReaction.retry_transient,
        "WhatsApp is temporarily unavailable. The message will be retried.",
        max_retries=5,
        first_delay=5,
        max_delay=300,
    ),
    131021: _Rule(
        ErrorReaction.drop,
        "The sender and the recipient are the same number, so the message was dropped.",
    ),
    131026: _Rule(
        ErrorReaction.recipient_unreachable,
        "The message could not be delivered: the number may not be on WhatsApp, the doctor may "
        "not have accepted WhatsApp's latest terms, or their app is too old. The doctor is "
        "marked unreachable.",
    ),
    131031: _Rule(
        ErrorReaction.pause_number,
        "The WhatsApp account is locked (policy violation, or a check such as the two-step PIN "
        "failed). Sending on this number is paused.",
    ),
    131037: _Rule(
        ErrorReaction.config,
        "This number has no approved display name yet. An admin must get the name approved.",
    ),
    131042: _Rule(
        ErrorReaction.pause_number,
        "The WhatsApp Business Account has a payment method problem. Sending on this number is "
        "paused until billing is fixed.",
    ),
    131045: _Rule(
        ErrorReaction.config,
        "The phone number is not registered with the WhatsApp Cloud API. An admin must "
        "register it.",
    ),
    131047: _Rule(
        ErrorReaction.template_required,
        "More than 24 hours since the doctor last wrote; only an approved template can be sent.",
    ),
    131048: _Rule(
        ErrorReaction.pause_number,
        "WhatsApp limited this number because recent messages were blocked or reported as "
        "spam. Campaigns on it are paused; check its quality rating.",
    ),
    131049: _Rule(
        ErrorReaction.marketing_capped,
        "WhatsApp held back this marketing message to keep the doctor's inbox healthy (per-user "
        "marketing limit). Do not resend it for at least 24 hours.",
    ),
    131050: _Rule(
        ErrorReaction.marketing_opted_out,
        "The doctor has stopped marketing messages from us. Marketing to them is suppressed.",
    ),
    131051: _Rule(
        ErrorReaction.bug,
        "WhatsApp does not support this message type.",
    ),
    131052: _Rule(
        ErrorReaction.drop,
        "WhatsApp could not download the media the doctor sent (for example it is over "
        "100 MB). Ask the doctor to send it another way.",
    ),
    131053: _Rule(
        ErrorReaction.bug,
        "WhatsApp could not upload or fetch our media (unsupported or mismatched file type, or "
        "a bad link). Fix the file before sending again.",
    ),
    131056: _Rule(
        ErrorReaction.retry_later_pair,
        "Too many messages went to this doctor in a short time. Messages to them are delayed "
        "and retried; other doctors are not affected.",
        max_retries=6,
        first_delay=1,
        max_delay=1024,
        growth=4,
    ),
    131057: _Rule(
        ErrorReaction.retry_transient,
        "The WhatsApp account is in maintenance (for example a throughput upgrade). The message "
        "will be retried shortly.",
        max_retries=5,
        first_delay=10,
        max_delay=120,
    ),
    131063: _Rule(
        ErrorReaction.config,
        "Marketing templates are turned off on the Cloud API for this account. An admin must "
        "change the setting or use the Marketing Messages API.",
    ),
    131064: _Rule(
        ErrorReaction.pause_number,
        "WhatsApp limited messaging because templates were put in the wrong category. Sending "
        "is paused until the enforcement period ends.",
    ),
    132000: _Rule(
        ErrorReaction.bug,
        "The number of template values does not match the approved template. A developer must "
        "fix it.",
    ),
    132001: _Rule(
        ErrorReaction.config,
        "The template does not exist in this language or is not approved yet.",
    ),
    132005: _Rule(
        ErrorReaction.config,
        "The template text is too long once the values are filled in. Shorten the values or "
        "the template.",
    ),
    132007: _Rule(
        ErrorReaction.config,
        "The template content breaks a WhatsApp policy. Edit the template.",
    ),
    132012: _Rule(
        ErrorReaction.bug,
        "A template value has the wrong format. A developer must fix it.",
    ),
    132015: _Rule(
        ErrorReaction.config,
        "The template is paused for low quality. Use another template or wait until it is "
        "reinstated.",
    ),
    132016: _Rule(
        ErrorReaction.config,
        "The template was disabled for good because of low quality. Create a new template.",
    ),
    132068: _Rule(
        ErrorReaction.config,
        "The WhatsApp Flow is blocked. Fix the Flow before sending it.",
    ),
    132069: _Rule(
        ErrorReaction.config,
        "The WhatsApp Flow is throttled (at most 10 messages an hour). Send it later.",
    ),
    133004: _Rule(
        ErrorReaction.retry_transient,
        "The WhatsApp registration service is temporarily unavailable. Retrying later.",
        max_retries=5,
        first_delay=30,
        max_delay=600,
    ),
    133016: _Rule(
        ErrorReaction.config,
        "Too many registration attempts for this number. Wait before trying again.",
    ),
    135000: _Rule(
        ErrorReaction.bug,
        "WhatsApp rejected the request's values (generic user error). A developer must "
        "inspect the request.",
    ),
    137000: _Rule(
        ErrorReaction.recipient_unreachable,
        "The doctor's WhatsApp identity changed since it was last checked. Verify the doctor "
        "again before sending.",
    ),
}
_PERMISSION_RULE = _Rule(ErrorReaction.config, _PERMISSION)
_UNKNOWN_RULE = _Rule(ErrorReaction.unknown, "")


def _rule(code: int | None) -> _Rule:
    if code is None:
        return _UNKNOWN_RULE
    if 200 <= code <= 299:
        return _PERMISSION_RULE
    return _RULES.get(code, _UNKNOWN_RULE)


def classify(code: int | None) -> ErrorReaction:
    """What the sender should do about a Graph error code (sync or from a failed status)."""
    return _rule(code).reaction


def is_retryable(code: int | None) -> bool:
    """{2, 4, 80007, 130429, 131000, 131016, 131056, 131057, 133004}: retry with backoff (131056
    only for that recipient, 131000 only a few times). Everything else is terminal."""
    return classify(code) in RETRYABLE_REACTIONS


def retry_delay(code: int | None, retries_done: int) -> float | None:
    """Seconds to wait before the next attempt, or None when the error is terminal or the
    retries for it are used up. Callers add jitter. 131056 follows Meta's 4^X seconds."""
    rule = _rule(code)
    if rule.reaction not in RETRYABLE_REACTIONS or retries_done >= rule.max_retries:
        return None
    return float(min(rule.first_delay * rule.growth**retries_done, rule.max_delay))


def plain_reason(code: int | None, details: str | None = None) -> str:
    """One sentence an admin understands. Meta's `details` are added where they tell the admin
    or developer what exactly to fix (and for codes this table does not know)."""
    rule = _rule(code)
    if rule.reaction is ErrorReaction.unknown:
        label = f"WhatsApp error {code}" if code is not None else "WhatsApp error"
        return f"{label}: {details}" if details else f"{label} (not in our error table)."
    if details and rule.reaction in {ErrorReaction.bug, ErrorReaction.config}:
        return f"{rule.reason} Meta says: {details}"
    return rule.reason


# ---------------------------------------------------------------------------------------------
# Exceptions


def error_detail(
    code: int | None,
    *,
    title: str | None = None,
    message: str | None = None,
    details: str | None = None,
    href: str | None = None,
) -> ErrorDetail:
    """A Graph error as the domains see it: Meta's fields for display, our reaction and
    sentence to act on."""
    return ErrorDetail(
        code=code,
        title=title,
        message=message,
        details=details,
        href=href,
        reaction=classify(code),
        reason=plain_reason(code, details),
    )


# Seconds before resending after no answer at all (or one that was no Graph error): doubling
# from 2 s up to a minute.
_TRANSPORT_FIRST_DELAY = 2.0
_TRANSPORT_MAX_DELAY = 60.0


class CloudApiError(ChannelError):
    """Base for everything the Graph client raises."""

    @property
    def retryable(self) -> bool:
        """Whether trying the same call again may succeed; subclasses decide."""
        return False

    def retry_delay(self, retries_done: int) -> float | None:
        return min(_TRANSPORT_FIRST_DELAY * 2.0**retries_done, _TRANSPORT_MAX_DELAY)


class GraphTransportError(CloudApiError):
    """No Graph answer: connection failure, timeout or protocol error. Always retryable."""

    @property
    def retryable(self) -> bool:
        return True

    @property
    def error(self) -> ErrorDetail:
        return ErrorDetail(
            title="WhatsApp unreachable",
            details=str(self),
            reaction=ErrorReaction.retry_transient,
            reason=f"WhatsApp unreachable: {self}",
        )


class GraphApiError(CloudApiError):
    """An error answer from the Graph API (CLOUD_API.md §2.1).

    `code` is None when the answer was not a Graph error body (for example an HTML page from a
    proxy); then only the HTTP status tells anything.
    """

    def __init__(
        self,
        *,
        code: int | None,
        message: str,
        title: str | None = None,
        details: str | None = None,
        http_status: int | None = None,
        error_type: str | None = None,
        error_subcode: int | None = None,
        fbtrace_id: str | None = None,
        is_transient: bool = False,
        href: str | None = None,
        user_message: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.title = title
        self.details = details
        self.http_status = http_status
        self.error_type = error_type
        self.error_subcode = error_subcode
        self.fbtrace_id = fbtrace_id
        self.is_transient = is_transient
        self.href = href
        self.user_message = user_message
        super().__init__(self._summary())

    def _summary(self) -> str:
        parts = [f"Graph API error {self.code}" if self.code is not None else "Graph API error"]
        if self.http_status is not None:
            parts.append(f"(HTTP {self.http_status})")
        text = f"{' '.join(parts)}: {self.message}"
        if self.details:
            text += f" [{self.details}]"
        if self.fbtrace_id:
            text += f" fbtrace_id={self.fbtrace_id}"
        return text

    @property
    def reaction(self) -> ErrorReaction:
        return classify(self.code)

    @property
    def error(self) -> ErrorDetail:
        if self.code is None:
            # Not a Graph answer (an HTML page from a proxy): as good as no answer.
            return ErrorDetail(
                title=self.title or "WhatsApp unreachable",
                details=self.message,
                reaction=ErrorReaction.retry_transient,
                reason=f"WhatsApp unreachable: {self.details or self.message}",
            )
        return error_detail(
            self.code,
            title=self.title,
            message=self.message,
            details=self.details,
            href=self.href,
        )

    def retry_delay(self, retries_done: int) -> float | None:
        if self.code is None:
            return super().retry_delay(retries_done)
        return retry_delay(self.code, retries_done)

    @property
    def retryable(self) -> bool:
        if self.code is None:
            return self.http_status is not None and (
                self.http_status == 429 or self.http_status >= 500
            )
        if self.reaction is ErrorReaction.unknown:
            return self.is_transient
        return is_retryable(self.code)

    @property
    def plain_reason(self) -> str:
        return plain_reason(self.code, self.details)

    @classmethod
    def from_body(cls, body: Any, http_status: int | None = None) -> GraphApiError:
        """Read `{"error": {...}}`. Anything else becomes an error with `code=None`."""
        error = body.get("error") if isinstance(body, Mapping) else None
        if not isinstance(error, Mapping):
            return cls(
                code=None, message="Unexpected response from the Graph API", http_status=http_status
            )
        error_data = error.get("error_data")
        details = error_data.get("details") if isinstance(error_data, Mapping) else None
        message = _text(error.get("message")) or "Graph API error"
        return cls(
            code=_int(error.get("code")),
            message=message,
            title=_text(error.get("error_user_title"))
            or _text(error.get("title"))
            or _title_from_message(message),
            details=_text(details),
            http_status=http_status,
            error_type=_text(error.get("type")),
            error_subcode=_int(error.get("error_subcode")),
            fbtrace_id=_text(error.get("fbtrace_id")),
            is_transient=error.get("is_transient") is True,
            href=_text(error.get("href")),
            user_message=_text(error.get("error_user_msg")),
        )

    @classmethod
    def from_response(cls, response: httpx.Response) -> GraphApiError:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        return cls.from_body(body, http_status=response.status_code)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value) or None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _title_from_message(message: str) -> str | None:
    """`"(#130429) Rate limit hit"` → `"Rate limit hit"`, for display only: never branch on it."""
    if message.startswith("(#") and ") " in message:
        return message.split(") ", 1)[1] or None
    return None
