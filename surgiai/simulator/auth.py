"""Graph authentication: Bearer tokens per phone number, and the unknown-object error."""

from __future__ import annotations

import hmac

from surgiai.simulator.errors import INVALID_TOKEN_SUBCODE, UNKNOWN_OBJECT_SUBCODE, GraphError
from surgiai.simulator.state import PhoneNumber


def unknown_object(object_id: str, method: str) -> GraphError:
    return GraphError(
        100,
        f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot "
        "be loaded due to missing permissions, or does not support this operation.",
        subcode=UNKNOWN_OBJECT_SUBCODE,
    )


def require_token(token: str | None) -> str:
    if not token:
        raise GraphError(
            190,
            "An access token is required to request this resource.",
            subcode=INVALID_TOKEN_SUBCODE,
            auth=True,
        )
    return token


def token_matches(number: PhoneNumber, token: str) -> bool:
    """A number without an access token accepts any non-empty token."""
    if number.access_token is None:
        return True
    return hmac.compare_digest(token.encode(), number.access_token.encode())


def check_token(number: PhoneNumber, token: str) -> None:
    if not token_matches(number, token):
        raise GraphError(
            190,
            "Invalid OAuth access token - Cannot parse access token",
            subcode=INVALID_TOKEN_SUBCODE,
            auth=True,
        )
