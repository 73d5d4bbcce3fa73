"""Campaigns as a test makes them through the API: a segment, a campaign's body, a start."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def segment(
    client: TestClient, headers: dict[str, str], name: str = "Pune doctors", **filters: Any
) -> int:
    response = client.post(
        "/api/v1/segments", json={"name": name, "filters": filters}, headers=headers
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def campaign_body(
    segment_id: int, *, body_values: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """The `cme_invite` template ("Namaste {{1}}, the {{2}} CME in {{3}} opens today.") to a
    segment; `body_values` replaces its variables' sources, `extra` any other field."""
    body: dict[str, Any] = {
        "name": "Laparoscopy CME, Pune",
        "kind": "template",
        "segment_id": segment_id,
        "variants": [
            {
                "key": "A",
                "template_name": "cme_invite",
                "language": "en",
                "parameters": {
                    "body": body_values
                    or {
                        "1": {"field": "name"},
                        "2": {"value": "Advanced Laparoscopy"},
                        "3": {"field": "city", "fallback": "your city"},
                    }
                },
            }
        ],
    }
    body.update(extra)
    return body


def start(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> int:
    created = client.post("/api/v1/campaigns", json=body, headers=headers)
    assert created.status_code == 201, created.text
    campaign_id = int(created.json()["id"])
    started = client.post(f"/api/v1/campaigns/{campaign_id}/start", headers=headers)
    assert started.status_code == 200, started.text
    return campaign_id
