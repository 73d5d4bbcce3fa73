"""The OpenAPI document says what the API answers when it refuses, not only when it succeeds.

Every error is `ErrorBody` (`{"error", "detail"}`, also for 422: FastAPI would describe a list
of problems). Each operation documents the errors it can meet, from what the document already
says about it: a login (401, 403), a path parameter (404), a body (400 for one that is not
JSON, 422), a write by a logged-in user (409: it may clash with what is stored), an upload (413,
415). A route declares any other with `responses=error_responses(...)`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from surgiai.external_events.receiver import CLOUD_PATH as WEBHOOK_PATH
from surgiai.kit.schemas import DESCRIPTIONS, MAX_ID, ErrorBody

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
# Served ahead of the framework (`external_events.receiver`), so described here.
WEBHOOK_DELIVERY: dict[str, Any] = {
    "tags": ["webhooks"],
    "summary": "A WhatsApp Cloud API delivery",
    "description": "Meta's POST: stored as received once its signature checks out, then "
    "processed in the background.",
    "operationId": "receive_webhook",
    "parameters": [
        {
            "name": "X-Hub-Signature-256",
            "in": "header",
            "required": True,
            "description": "sha256= and the HMAC of the body with the app secret",
            "schema": {"type": "string"},
        }
    ],
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    "responses": {
        "200": {
            "description": "Stored",
            "content": {"text/plain": {"schema": {"type": "string", "const": "OK"}}},
        },
        **{str(code): {"description": DESCRIPTIONS[code]} for code in (400, 413, 503)},
        "403": {"description": "A missing, malformed or wrong signature"},
        "408": {"description": "The body did not arrive in time"},
    },
}
_WRITES = frozenset({"post", "put", "patch", "delete"})


def document_responses(app: FastAPI) -> None:
    """Make `app.openapi()` describe the error responses (see the module's docstring)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = generate()
            _integral_bounds(spec)
            _describe_errors(spec)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _integral_bounds(node: Any) -> None:
    """FastAPI's OpenAPI model holds the bounds of the schemas in `components` as floats: 2**63 - 1
    would read 9.223372036854776e18, which is 2**63, past what the API accepts. The integers'
    bounds are given back as integers (the only one beyond a float's 2**53 is `MAX_ID`)."""
    if isinstance(node, list):
        for item in node:
            _integral_bounds(item)
    if not isinstance(node, dict):
        return
    if node.get("type") == "integer":
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            value = node.get(key)
            if isinstance(value, float):
                exact = abs(value) < 2**53
                node[key] = int(value) if exact else (MAX_ID if value > 0 else -MAX_ID - 1)
    for value in node.values():
        if isinstance(value, dict | list):
            _integral_bounds(value)


def _describe_errors(spec: dict[str, Any]) -> None:
    spec["paths"].setdefault(WEBHOOK_PATH, {})["post"] = WEBHOOK_DELIVERY
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorBody"] = ErrorBody.model_json_schema()
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for operations in spec["paths"].values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in sorted(_expected_errors(method, operation)):
                responses.setdefault(str(code), {"description": DESCRIPTIONS[code]})
            for code, response in responses.items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if code[0] in "45" and (schema is None or "HTTPValidationError" in str(schema)):
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
                    if response.get("description") == "Validation Error":
                        response["description"] = DESCRIPTIONS[422]


def _expected_errors(method: str, operation: dict[str, Any]) -> set[int]:
    expected: set[int] = set()
    parameters = operation.get("parameters", [])
    body = operation.get("requestBody")
    if operation.get("security"):
        expected |= {401, 403}
        if method in _WRITES:
            expected.add(409)
    if any(parameter["in"] == "path" for parameter in parameters):
        expected.add(404)
    if parameters or body:
        # A value the schema allows but the service refuses: a cursor it did not return, a
        # body that is not JSON, a phone number that is none.
        expected |= {400, 422}
    if any(parameter["name"].endswith("_id") for parameter in parameters):
        expected.add(404)
    if body is not None and "multipart/form-data" in body.get("content", {}):
        expected |= {413, 415}
    return expected
