from __future__ import annotations

from fastapi.testclient import TestClient

from surgiai.auth.roles import Role
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.fixtures import create_number, create_user, login, sign, text_message_value, webhook_body

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class TestUpload:
    def test_upload_then_download(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime)
        headers = login(client, "owner@example.com")
        uploaded = client.post(
            "/api/v1/media",
            files={"file": ("price-list.pdf", PDF, "application/pdf")},
            headers=headers,
        )
        assert uploaded.status_code == 201
        body = uploaded.json()
        assert (body["mime_type"], body["size"], body["filename"]) == (
            "application/pdf",
            len(PDF),
            "price-list.pdf",
        )
        again = client.post(
            "/api/v1/media", files={"file": ("copy.pdf", PDF, "application/pdf")}, headers=headers
        )
        assert again.json()["id"] == body["id"]  # same content is kept once
        download = client.get(f"/api/v1/media/{body['id']}", headers=headers)
        assert download.content == PDF

    def test_files_whatsapp_would_refuse_are_refused_here(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime)
        headers = login(client, "owner@example.com")
        exe = client.post(
            "/api/v1/media",
            files={"file": ("x.exe", b"MZ...", "application/x-msdownload")},
            headers=headers,
        )
        assert exe.status_code == 400
        assert "does not accept" in exe.json()["detail"]
        empty = client.post(
            "/api/v1/media", files={"file": ("e.pdf", b"", "application/pdf")}, headers=headers
        )
        assert empty.status_code == 400
        big_image = client.post(
            "/api/v1/media",
            files={"file": ("big.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 1), "image/png")},
            headers=headers,
        )
        assert big_image.status_code == 400
        assert "limited" in big_image.json()["detail"]

    def test_viewer_cannot_upload(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime, email="viewer@example.com", role=Role.viewer)
        headers = login(client, "viewer@example.com")
        response = client.post(
            "/api/v1/media", files={"file": ("p.pdf", PDF, "application/pdf")}, headers=headers
        )
        assert response.status_code == 403

    def test_a_pdf_cannot_be_sent_as_an_image(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime)
        create_number(runtime)
        headers = login(client, "owner@example.com")
        body = webhook_body(text_message_value("wamid.1", "hi"))
        client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        drain(runtime.queue)
        media_id = client.post(
            "/api/v1/media", files={"file": ("p.pdf", PDF, "application/pdf")}, headers=headers
        ).json()["id"]
        response = client.post(
            "/api/v1/messages",
            json={"to": "919876543210", "type": "image", "image": {"media_file_id": media_id}},
            headers=headers,
        )
        assert response.status_code == 400
        assert "cannot be sent as image" in response.json()["detail"]
        document = client.post(
            "/api/v1/messages",
            json={
                "to": "919876543210",
                "type": "document",
                "document": {"media_file_id": media_id, "filename": "price-list.pdf"},
            },
            headers=headers,
        )
        assert document.status_code == 202
