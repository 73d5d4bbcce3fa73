"""Graph API errors: the code table, the synchronous error body and webhook `errors[]` items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERROR_DOCS_HREF = (
    "https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes"
)
# Meta's own example carries this subcode although subcodes are documented as deprecated.
DEFAULT_SUBCODE = 2494055
UNKNOWN_OBJECT_SUBCODE = 33
INVALID_TOKEN_SUBCODE = 467


@dataclass(frozen=True)
class ErrorSpec:
    code: int
    title: str
    details: str
    # From an older Meta table (transcribed by a public Go client); used only when
    # `SimulatorConfig.meta_http_statuses` is on.
    meta_http_status: int = 400


_SPECS = [
    ErrorSpec(0, "AuthException", "Unable to authenticate the app user.", 401),
    ErrorSpec(1, "API Unknown", "Invalid request or possible server error.", 400),
    ErrorSpec(2, "API Service", "Temporary due to downtime or due to being overloaded.", 503),
    ErrorSpec(3, "API Method", "Capability or permissions issue.", 500),
    ErrorSpec(4, "API Too Many Calls", "The app has reached its API call rate limit.", 429),
    ErrorSpec(
        10, "Permission Denied", "Permission is either not granted or has been removed.", 403
    ),
    ErrorSpec(33, "Parameter value is not valid", "The business phone number has been deleted."),
    ErrorSpec(100, "Invalid parameter", "Invalid parameter.", 400),
    ErrorSpec(190, "Access token has expired", "Invalid OAuth access token.", 401),
    ErrorSpec(368, "Temporarily blocked for policies violations", "Account restricted.", 403),
    ErrorSpec(80007, "Rate limit issues", "The WhatsApp Business Account rate limit was hit.", 429),
    ErrorSpec(130403, "Recipient blocked", "The business has blocked this user."),
    ErrorSpec(130429, "Rate limit hit", "Cloud API message throughput has been reached.", 429),
    ErrorSpec(
        130472,
        "User's number is part of an experiment",
        "Message was not sent as part of an experiment.",
    ),
    ErrorSpec(130497, "Business account is restricted from messaging users in this country", ""),
    ErrorSpec(
        131000, "Something went wrong", "Message failed to send due to an unknown error.", 500
    ),
    ErrorSpec(
        131005, "Access denied", "Permission is either not granted or has been removed.", 403
    ),
    ErrorSpec(131008, "Required parameter is missing", "The request is missing a parameter."),
    ErrorSpec(131009, "Parameter value is not valid", "One or more parameter values are invalid."),
    ErrorSpec(131016, "Service unavailable", "A service is temporarily unavailable.", 503),
    ErrorSpec(131021, "Recipient cannot be sender", "Sender and recipient are the same number."),
    ErrorSpec(
        131026,
        "Message undeliverable",
        "Unable to deliver message. The recipient may not be a WhatsApp user, may not have "
        "accepted the terms of service, or may be using an old WhatsApp version.",
    ),
    ErrorSpec(
        131031,
        "Business Account locked",
        "The business account has been locked for a policy violation.",
        403,
    ),
    ErrorSpec(
        131042,
        "Business eligibility payment issue",
        "There was an error related to your payment method.",
    ),
    ErrorSpec(131045, "Incorrect certificate", "Phone number registration error."),
    ErrorSpec(
        131047,
        "Re-engagement message",
        "More than 24 hours have passed since the recipient last replied to the sender number.",
    ),
    ErrorSpec(
        131048,
        "Spam rate limit hit",
        "Message failed to send because there are restrictions on how many messages can be sent "
        "from this phone number.",
        429,
    ),
    ErrorSpec(
        131049,
        "This message was not delivered to maintain healthy ecosystem engagement.",
        "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
    ),
    ErrorSpec(
        131050,
        "Unable to deliver the message. This recipient has chosen to stop receiving marketing "
        "messages on WhatsApp from your business.",
        "The recipient has stopped marketing messages from this business.",
    ),
    ErrorSpec(131051, "Unsupported message type", "Message type is not currently supported."),
    ErrorSpec(131052, "Media download error", "Unable to download the media sent by the user."),
    ErrorSpec(131053, "Media upload error", "Unable to upload the media used in the message."),
    ErrorSpec(
        131056,
        "(Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent from the sender phone number to the same recipient phone "
        "number in a short period of time.",
        429,
    ),
    ErrorSpec(
        131057,
        "Account in maintenance mode",
        "Business Account is in maintenance mode (throughput upgrade).",
    ),
    ErrorSpec(131064, "Messaging limit hit", "The messaging limit of this business was reached."),
    ErrorSpec(
        132000,
        "Number of parameters does not match the expected number of params",
        "The number of variable parameter values does not match the template.",
    ),
    ErrorSpec(
        132001,
        "Template name does not exist in the translation",
        "The template does not exist in the specified language or was not approved.",
    ),
    ErrorSpec(
        132012,
        "Parameter format does not match format in the created template",
        "Variable parameter values formatted incorrectly.",
    ),
    ErrorSpec(132015, "Template is Paused", "Template is paused due to low quality."),
    ErrorSpec(132016, "Template is Disabled", "Template has been permanently disabled."),
    ErrorSpec(133010, "Phone number Not Registered", "The phone number is not registered."),
    ErrorSpec(135000, "Generic user error", "Message failed to send because of an unknown error."),
]

ERRORS: dict[int, ErrorSpec] = {spec.code: spec for spec in _SPECS}


def spec_for(code: int) -> ErrorSpec:
    return ERRORS.get(code, ErrorSpec(code, "Unknown error", "An unknown error occurred."))


class GraphError(Exception):
    """An error the Graph API answers synchronously, rendered in the §2.1 shape."""

    def __init__(
        self,
        code: int,
        details: str | None = None,
        *,
        subcode: int | None = None,
        http_status: int | None = None,
        auth: bool = False,
    ) -> None:
        spec = spec_for(code)
        super().__init__(f"({code}) {spec.title}")
        self.code = code
        self.title = spec.title
        self.details = details if details is not None else spec.details
        self.subcode = subcode
        self.http_status = http_status
        self.auth = auth


def error_body(error: GraphError, *, fbtrace_id: str, include_subcode: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message": f"(#{error.code}) {error.title}",
        "type": "OAuthException",
        "code": error.code,
        "error_data": {"messaging_product": "whatsapp", "details": error.details},
    }
    if include_subcode:
        body["error_subcode"] = error.subcode if error.subcode is not None else DEFAULT_SUBCODE
    body["fbtrace_id"] = fbtrace_id
    return {"error": body}


def status_error(code: int, details: str | None = None) -> dict[str, Any]:
    """One item of `statuses[].errors` in a failed status webhook."""
    spec = spec_for(code)
    return {
        "code": code,
        "title": spec.title,
        "message": spec.title,
        "error_data": {"details": details if details is not None else spec.details},
        "href": ERROR_DOCS_HREF,
    }
