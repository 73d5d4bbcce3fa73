"""The failures a retry can help, by the reason the results group them under. The others (opted
out, not on WhatsApp, a template WhatsApp refused) would be skipped or fail the same way: the
dashboard offers no retry for them and the API refuses one."""

from __future__ import annotations

NOT_REACHED = "WhatsApp was not reached"
RATE_LIMITED = "Rate limited"
MARKETING_LIMIT = "Meta's marketing limit for this doctor"
TEMPORARY = "Temporary WhatsApp error"
RETRYABLE = (NOT_REACHED, RATE_LIMITED, MARKETING_LIMIT, TEMPORARY)


def retryable(reason: str) -> bool:
    """Whether sending again may succeed for recipients that failed for `reason`."""
    return reason in RETRYABLE
