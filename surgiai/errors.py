"""One error family, rendered as `{"error": "<Class>", "detail": "..."}`."""

from __future__ import annotations

from typing import Any


class SurgiAIError(Exception):
    status_code = 500
    # True for refusals whose bookkeeping must survive the error response (a failed login is
    # counted and audited even though the request fails).
    keep_changes = False

    def __init__(
        self, detail: str, *, status_code: int | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code
        self.headers = headers

    def to_body(self) -> dict[str, Any]:
        return {"error": self.public_name, "detail": self.detail}

    @property
    def public_name(self) -> str:
        """The class clients see: internal refinements show as their public parent."""
        return type(self).__name__


class BadRequest(SurgiAIError):
    status_code = 400


class NotAuthenticated(SurgiAIError):
    status_code = 401


class LoginRejected(NotAuthenticated):
    keep_changes = True

    @property
    def public_name(self) -> str:
        return "NotAuthenticated"


class PasswordRejected(BadRequest):
    """A wrong current password: counted and audited like a failed login."""

    keep_changes = True

    @property
    def public_name(self) -> str:
        return "BadRequest"


class InvalidSignature(SurgiAIError):
    status_code = 403


class Forbidden(SurgiAIError):
    status_code = 403


class NotFound(SurgiAIError):
    status_code = 404


class RequestTimeout(SurgiAIError):
    status_code = 408


class Conflict(SurgiAIError):
    status_code = 409


class PayloadTooLarge(SurgiAIError):
    status_code = 413


class UnsupportedMediaType(SurgiAIError):
    status_code = 415


class Unprocessable(SurgiAIError):
    status_code = 422


class TooManyRequests(SurgiAIError):
    status_code = 429


class ServiceUnavailable(SurgiAIError):
    status_code = 503
