"""Helpers for the documents tests: users by role, uploads through the API, the queue run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from surgiai.auth.roles import Role
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.fixtures import create_user, login

Headers = dict[str, str]


@pytest.fixture
def headers_for(client: TestClient, runtime: Runtime) -> Callable[[Role], Headers]:
    """Bearer headers of a fresh user with `role`."""

    def make(role: Role) -> Headers:
        email = f"{role.value}@example.com"
        create_user(runtime, email=email, role=role)
        return login(client, email)

    return make


@pytest.fixture
def admin(headers_for: Callable[[Role], Headers]) -> Headers:
    return headers_for(Role.admin)


def upload(
    client: TestClient,
    headers: Headers,
    data: bytes,
    *,
    filename: str = "Catalogue 2026.pdf",
    title: str | None = None,
    replaces: int | None = None,
) -> httpx.Response:
    form: dict[str, str] = {}
    if title is not None:
        form["title"] = title
    if replaces is not None:
        form["replaces_document_id"] = str(replaces)
    response: httpx.Response = client.post(
        "/api/v1/documents",
        headers=headers,
        files={"file": (filename, data, "application/pdf")},
        data=form,
    )
    return response


def upload_and_process(
    client: TestClient, runtime: Runtime, headers: Headers, data: bytes, **options: Any
) -> dict[str, Any]:
    """Upload, run the queue as a worker would, and return the document as the API shows it."""
    response = upload(client, headers, data, **options)
    assert response.status_code == 202, response.text
    drain(runtime.queue)
    document = client.get(f"/api/v1/documents/{response.json()['id']}", headers=headers)
    assert document.status_code == 200
    result: dict[str, Any] = document.json()
    return result
