"""The documents API: refusals at upload, who may do what, lists and page previews."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from surgiai.auth.roles import Role
from surgiai.knowledge.pdf import NOT_A_PDF
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.knowledge.conftest import Headers, upload, upload_and_process
from tests.knowledge.pdfs import catalogue_pdf, not_a_pdf, oversized_pdf


def document_count(client: TestClient, headers: Headers) -> int:
    return len(client.get("/api/v1/documents", headers=headers).json()["items"])


class TestRefusedAtOnce:
    def test_an_empty_file(self, client: TestClient, admin: Headers) -> None:
        response = upload(client, admin, b"")
        assert (response.status_code, response.json()["detail"]) == (400, "The file is empty.")
        assert document_count(client, admin) == 0

    def test_a_file_that_is_not_a_pdf_whatever_its_name(
        self, client: TestClient, admin: Headers
    ) -> None:
        response = upload(client, admin, not_a_pdf(), filename="catalogue.pdf")
        assert (response.status_code, response.json()["detail"]) == (415, NOT_A_PDF)
        assert document_count(client, admin) == 0

    def test_a_file_over_the_limit(
        self, client: TestClient, runtime: Runtime, admin: Headers
    ) -> None:
        limit = runtime.settings.document_max_bytes
        response = upload(client, admin, oversized_pdf(limit))
        assert response.status_code == 413
        assert response.json()["detail"].startswith("The file is over 20 MB")
        assert document_count(client, admin) == 0

    def test_a_body_declared_too_large_is_refused_before_it_is_read(
        self, client: TestClient, runtime: Runtime, admin: Headers
    ) -> None:
        declared = runtime.settings.document_max_bytes * 2
        response = client.post(
            "/api/v1/documents",
            headers={
                **admin,
                "Content-Type": "multipart/form-data; boundary=x",
                "Content-Length": str(declared),
            },
            content=b"--x--\r\n",
        )
        assert response.status_code == 413

    def test_replacing_a_document_that_does_not_exist(
        self, client: TestClient, admin: Headers
    ) -> None:
        response = upload(client, admin, catalogue_pdf(), replaces=999)
        assert response.status_code == 404


class TestPermissions:
    @pytest.mark.parametrize("role", [Role.agent, Role.viewer])
    def test_only_settings_managers_upload_and_delete(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: Headers,
        headers_for: Callable[[Role], Headers],
        role: Role,
    ) -> None:
        document = upload_and_process(client, runtime, admin, catalogue_pdf())
        other = headers_for(role)
        assert upload(client, other, catalogue_pdf()).status_code == 403
        assert (
            client.delete(f"/api/v1/documents/{document['id']}", headers=other).status_code == 403
        )
        # Everyone on the team reads them.
        assert client.get("/api/v1/documents", headers=other).status_code == 200
        assert client.get(f"/api/v1/documents/{document['id']}", headers=other).status_code == 200
        chunks = client.get(f"/api/v1/documents/{document['id']}/chunks", headers=other)
        assert chunks.status_code == 200

    def test_nobody_logged_out(self, client: TestClient) -> None:
        assert client.get("/api/v1/documents").status_code == 401
        assert upload(client, {}, catalogue_pdf()).status_code == 401


class TestReading:
    def test_newest_first_with_a_cursor(
        self, client: TestClient, runtime: Runtime, admin: Headers
    ) -> None:
        ids = [
            upload(
                client, admin, catalogue_pdf(title=f"Catalogue {n}"), filename=f"c{n}.pdf"
            ).json()["id"]
            for n in range(3)
        ]
        first = client.get("/api/v1/documents?limit=2", headers=admin).json()
        assert [item["id"] for item in first["items"]] == ids[:0:-1]
        assert first["items"][0]["state"] == "processing"
        rest = client.get(
            f"/api/v1/documents?limit=2&before_id={first['next_cursor']}", headers=admin
        ).json()
        assert [item["id"] for item in rest["items"]] == ids[:1]
        assert rest["next_cursor"] is None

    def test_a_page_of_passages(self, client: TestClient, runtime: Runtime, admin: Headers) -> None:
        document = upload_and_process(client, runtime, admin, catalogue_pdf())
        response = client.get(f"/api/v1/documents/{document['id']}/chunks?page=2", headers=admin)
        body = response.json()
        assert body["page"] == 2
        assert body["pages_with_chunks"] == [1, 2, 3]
        kinds = [item["kind"] for item in body["items"]]
        assert kinds == ["text", "table"]
        assert body["items"][1]["rows"][0] == ["Product", "Code", "Pack Size", "Price (₹)"]
        missing = client.get("/api/v1/documents/999/chunks", headers=admin)
        assert missing.status_code == 404

    def test_delete(self, client: TestClient, runtime: Runtime, admin: Headers) -> None:
        document = upload_and_process(client, runtime, admin, catalogue_pdf())
        assert (
            client.delete(f"/api/v1/documents/{document['id']}", headers=admin).status_code == 204
        )
        assert client.get(f"/api/v1/documents/{document['id']}", headers=admin).status_code == 404
        assert (
            client.delete(f"/api/v1/documents/{document['id']}", headers=admin).status_code == 404
        )
        drain(runtime.queue)
