"""The OpenAPI document against the API it describes: every integer a client sends is bounded,
every PATCH refuses null where null means nothing, every error is the one error body, and each
operation documents the errors it can answer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from surgiai.kit.schemas import MAX_ID
from surgiai.runtime import Runtime
from surgiai.web.contract import openapi_spec
from tests.fixtures import create_user, login

WRITES = ("post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return openapi_spec()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def unbounded_integers(
    spec: dict[str, Any], schema: dict[str, Any], where: str, seen: set[str]
) -> Iterator[str]:
    """Every place in `schema` where an integer has no lower or no upper bound."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return
        seen.add(name)
        yield from unbounded_integers(spec, resolve(spec, schema), f"{where}<{name}>", seen)
        return
    if schema.get("type") == "integer":
        low = "minimum" in schema or "exclusiveMinimum" in schema
        high = "maximum" in schema or "exclusiveMaximum" in schema
        # A float bound past 2**53 is not the bound: 2**63 - 1 would read as 2**63.
        exact = all(isinstance(schema.get(key, 0), int) for key in ("minimum", "maximum"))
        if not (low and high and exact):
            yield where
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from unbounded_integers(spec, option, where, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from unbounded_integers(spec, schema[key], f"{where}[]", seen)
    for name, prop in schema.get("properties", {}).items():
        yield from unbounded_integers(spec, prop, f"{where}.{name}", seen)


class TestIntegers:
    def test_every_integer_a_client_sends_is_bounded(self, spec: dict[str, Any]) -> None:
        unbounded: list[str] = []
        for path, method, operation in operations(spec):
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                unbounded += unbounded_integers(
                    spec, parameter["schema"], f"{where} {parameter['name']}", set()
                )
            for content in operation.get("requestBody", {}).get("content", {}).values():
                unbounded += unbounded_integers(spec, content["schema"], f"{where} body", set())
        assert unbounded == []

    def test_ids_stop_at_64_bits(self, spec: dict[str, Any]) -> None:
        user_id = spec["paths"]["/api/v1/users/{user_id}"]["get"]["parameters"][0]["schema"]
        assert (user_id["minimum"], user_id["maximum"]) == (1, MAX_ID)
        doctor_id = spec["components"]["schemas"]["MessageCreate"]["properties"]["doctor_id"]
        assert doctor_id["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": MAX_ID}

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/audit?before_id=18446744073709551616",
            "/api/v1/users/18446744073709551616",
            "/api/v1/numbers/9223372036854775808",
            "/api/v1/conversations?number_id=18446744073709551616",
            "/api/v1/conversations?assigned=18446744073709551616",
            "/api/v1/drafts?conversation_id=18446744073709551616",
            "/api/v1/media/18446744073709551616",
            "/api/v1/documents/1/chunks?page=18446744073709551616",
            "/api/v1/stats/traffic?number_id=18446744073709551616",
            "/api/v1/webhook-events?before_id=18446744073709551616",
        ],
    )
    def test_an_integer_past_64_bits_is_a_422(
        self, client: TestClient, runtime: Runtime, path: str
    ) -> None:
        create_user(runtime)
        response = client.get(path, headers=login(client, "owner@example.com"))
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "ValidationError"

    def test_body_ids_past_64_bits_are_a_422(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime)
        headers = login(client, "owner@example.com")
        too_big = 2**64
        response = client.post(
            "/api/v1/messages",
            json={"doctor_id": 1, "number_id": too_big, "type": "text", "text": {"body": "Hi"}},
            headers=headers,
        )
        assert response.status_code == 422, response.text
        assert "number_id" in response.json()["detail"]
        response = client.patch(
            "/api/v1/conversations/1", json={"assigned_user_id": too_big}, headers=headers
        )
        assert response.status_code == 422, response.text

    def test_a_cursor_naming_an_id_past_64_bits_is_a_400(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime)
        headers = login(client, "owner@example.com")
        import base64
        import json

        raw = json.dumps(["2026-01-01T00:00:00+00:00", 2**64]).encode()
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        response = client.get(f"/api/v1/conversations?cursor={cursor}", headers=headers)
        assert response.status_code == 400, response.text


def patch_operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, method, operation in operations(spec):
        if method == "patch":
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            found.append((path, resolve(spec, body)))
    return found


def nullable(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or any(
        option.get("type") == "null" for option in schema.get("anyOf", [])
    )


class TestPatchNulls:
    def test_every_patch_route_refuses_null_where_its_schema_does(
        self, client: TestClient, runtime: Runtime, spec: dict[str, Any]
    ) -> None:
        """Null for a field the spec does not let be null is a 422 naming the field, on every
        PATCH route, before anything is looked up."""
        create_user(runtime)
        headers = login(client, "owner@example.com")
        checked = 0
        for path, body in patch_operations(spec):
            url = re.sub(r"\{[^}]+\}", "1", path)
            for name, prop in body["properties"].items():
                if nullable(prop):
                    continue
                response = client.patch(url, json={name: None}, headers=headers)
                assert response.status_code == 422, (path, name, response.text)
                assert name in response.json()["detail"], (path, name, response.text)
                checked += 1
        assert checked > 30

    @pytest.mark.parametrize("field", ["role", "is_active", "name", "password"])
    def test_user_fields_may_not_be_null(
        self, client: TestClient, runtime: Runtime, field: str
    ) -> None:
        create_user(runtime)
        colleague = create_user(runtime, email="dr.meera.iyer@example.com")
        headers = login(client, "owner@example.com")
        response = client.patch(
            f"/api/v1/users/{colleague.id}", json={field: None}, headers=headers
        )
        assert response.status_code == 422, response.text
        assert response.json() == {
            "error": "ValidationError",
            "detail": f"{field}: must have a value (leave the field out to keep it)",
        }
        audit = client.get("/api/v1/audit", headers=headers).json()
        assert [e for e in audit["items"] if e["action"] == "user.updated"] == []

    def test_a_phone_may_be_removed_with_null(
        self, client: TestClient, runtime: Runtime, spec: dict[str, Any]
    ) -> None:
        create_user(runtime)
        colleague = create_user(runtime, email="dr.meera.iyer@example.com")
        headers = login(client, "owner@example.com")
        url = f"/api/v1/users/{colleague.id}"
        assert client.patch(url, json={"phone": "+91 98450 12345"}, headers=headers).is_success
        response = client.patch(url, json={"phone": None}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["phone"] is None
        assert nullable(
            resolve(spec, {"$ref": "#/components/schemas/UserUpdate"})["properties"]["phone"]
        )


class TestErrorResponses:
    def test_every_error_response_is_the_error_body(self, spec: dict[str, Any]) -> None:
        assert "HTTPValidationError" not in spec["components"]["schemas"]
        assert spec["components"]["schemas"]["ErrorBody"]["required"] == ["error", "detail"]
        for path, _method, operation in operations(spec):
            for code, response in operation["responses"].items():
                if code[0] in "45" and path != "/readyz":
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, code)

    def test_operations_document_the_errors_they_can_answer(self, spec: dict[str, Any]) -> None:
        for path, method, operation in operations(spec):
            codes = set(operation["responses"])
            if operation.get("security"):
                assert {"401", "403"} <= codes, (method, path)
                if method in WRITES:
                    assert "409" in codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if "requestBody" in operation:
                assert {"400", "422"} <= codes, (method, path)
        login_responses = spec["paths"]["/api/v1/auth/login"]["post"]["responses"]
        assert {"401", "429"} <= set(login_responses)

    def test_logged_in_routes_name_how_to_log_in(self, spec: dict[str, Any]) -> None:
        schemes = spec["components"]["securitySchemes"]
        assert schemes["HTTPBearer"]["scheme"] == "bearer"
        assert schemes["APIKeyCookie"] == {
            "type": "apiKey",
            "in": "cookie",
            "name": "surgiai_session",
            "description": schemes["APIKeyCookie"]["description"],
        }
        assert spec["paths"]["/api/v1/users"]["get"]["security"]
        assert "security" not in spec["paths"]["/api/v1/auth/login"]["post"]

    def test_metrics_are_documented_as_the_text_they_are(
        self, client: TestClient, spec: dict[str, Any]
    ) -> None:
        content = spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
        assert list(content) == ["text/plain"]
        response = client.get("/metrics")
        assert response.headers["content-type"].startswith("text/plain")

    def test_a_method_the_route_lacks_is_a_405_in_the_error_format(
        self, client: TestClient
    ) -> None:
        response = client.put("/api/v1/auth/login", json={})
        assert response.status_code == 405
        assert response.json() == {"error": "MethodNotAllowed", "detail": "Method Not Allowed"}
        assert response.headers["allow"] == "POST"

    def test_an_unknown_api_path_is_a_404_in_the_error_format(self, client: TestClient) -> None:
        response = client.get("/api/v1/no-such-thing")
        assert response.status_code == 404
        assert response.json() == {"error": "NotFound", "detail": "Not Found"}

    def test_allow_names_every_method_of_the_path(self, client: TestClient) -> None:
        response = client.request("OPTIONS", "/api/v1/auth/me")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, PATCH"

    def test_a_literal_path_is_no_id_for_its_neighbour(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        """PATCH /conversations/assignees found /conversations/{conversation_id} (422)."""
        create_user(runtime)
        headers = login(client, "owner@example.com")
        response = client.patch("/api/v1/conversations/assignees", json={}, headers=headers)
        assert response.status_code == 405
        assert response.json()["error"] == "MethodNotAllowed"
        assert response.headers["allow"] == "GET"


class TestJsonBodies:
    """What the fuzzer found accepted against the spec: 0 for false, false for a number, a
    number of seconds for a date."""

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("PATCH", "/api/v1/numbers/1", {"paused": 0}),
            ("PATCH", "/api/v1/settings", {"ai_replies_enabled": 1}),
            ("PATCH", "/api/v1/faqs/1", {"needs_review": 0}),
            ("PATCH", "/api/v1/courses/1", {"seats": False}),
            ("POST", "/api/v1/commands", {"confirm": 0, "text": "pause agent greeting"}),
            ("POST", "/api/v1/segments/count", {"score_max": False}),
            ("POST", "/api/v1/segments/count", {"last_outbound_before": 0}),
        ],
    )
    def test_a_value_of_another_json_type_is_a_422(
        self,
        client: TestClient,
        runtime: Runtime,
        method: str,
        path: str,
        body: dict[str, object],
    ) -> None:
        create_user(runtime)
        response = client.request(
            method, path, json=body, headers=login(client, "owner@example.com")
        )
        assert response.status_code == 422, response.text
        assert next(iter(body)) in response.json()["detail"]

    def test_a_time_in_a_query_is_iso_text(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime)
        headers = login(client, "owner@example.com")
        refused = client.get("/api/v1/doctors/export?last_outbound_before=0.5", headers=headers)
        assert refused.status_code == 422, refused.text
        iso = "/api/v1/doctors/export?last_outbound_before=2026-01-31T00:00:00Z"
        assert client.get(iso, headers=headers).status_code == 200
