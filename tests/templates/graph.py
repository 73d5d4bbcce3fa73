"""Templates as the Graph API lists them (`GET /{waba-id}/message_templates`), in Meta's own
shape: one positional and one named template, and the two pages a sync reads."""

from __future__ import annotations

import json
from typing import Any

from tests.fixtures import GRAPH, WABA_ID

TEMPLATES_URL = f"{GRAPH}/{WABA_ID}/message_templates"

COURSE_REMINDER: dict[str, Any] = {
    "name": "course_reminder",
    "parameter_format": "POSITIONAL",
    "components": [
        {
            "type": "HEADER",
            "format": "TEXT",
            "text": "{{1}} starts soon",
            "example": {"header_text": ["Laparoscopy basics"]},
        },
        {
            "type": "BODY",
            "text": "Dear Dr. {{1}}, {{2}} starts on {{3}}. Reply to book a seat, Dr. {{1}}.",
            "example": {"body_text": [["Rao", "Laparoscopy basics", "12 March"]]},
        },
        {"type": "FOOTER", "text": "SurgiAI CME"},
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "QUICK_REPLY", "text": "Book a seat"},
                {
                    "type": "URL",
                    "text": "Course page",
                    "url": "https://cme.example.com/courses/{{1}}",
                    "example": ["https://cme.example.com/courses/lap-101"],
                },
            ],
        },
    ],
    "language": "en",
    "status": "APPROVED",
    "category": "MARKETING",
    "quality_score": {"score": "GREEN", "date": 1751247548},
    "rejected_reason": "NONE",
    "id": "806312974732579",
}

ORDER_CONFIRMATION: dict[str, Any] = {
    "name": "order_confirmation",
    "parameter_format": "NAMED",
    "components": [
        {
            "type": "HEADER",
            "format": "IMAGE",
            "example": {"header_handle": ["4::aW1hZ2UvanBlZw==:ARb..."]},
        },
        {
            "type": "BODY",
            "text": "Thank you, {{first_name}}! Order {{order_number}} is confirmed.",
            "example": {
                "body_text_named_params": [
                    {"param_name": "first_name", "example": "Asha"},
                    {"param_name": "order_number", "example": "SKBUP2-4CPIG9"},
                ]
            },
        },
    ],
    "language": "en_US",
    "status": "PENDING",
    "category": "UTILITY",
    "rejected_reason": "NONE",
    "id": "1689556908129832",
}


def page(templates: list[dict[str, Any]], *, after: str, last: bool) -> dict[str, Any]:
    """One page of the list; Graph leaves `next` out on the last page."""
    paging: dict[str, Any] = {"cursors": {"before": "QVFIUmJl", "after": after}}
    if not last:
        paging["next"] = f"{TEMPLATES_URL}?limit=1&after={after}"
    return {"data": templates, "paging": paging}


FIRST_PAGE = page([COURSE_REMINDER], after="QVFIUk1PX2", last=False)
LAST_PAGE = page([ORDER_CONFIRMATION], after="QVFIUk1PX3", last=True)


def management_webhook(field: str, value: dict[str, Any], *, time: int) -> bytes:
    """A management delivery (`message_template_status_update`, …) as Meta serialises it:
    `entry[].time`, no metadata."""
    envelope = {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "time": time, "changes": [{"field": field, "value": value}]}],
    }
    return json.dumps(envelope, ensure_ascii=True, separators=(",", ":")).encode()
