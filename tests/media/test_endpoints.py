from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from surgiai.auth.roles import Role
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.fixtures import (
    GRAPH,
    create_number,
    create_user,
    graph_error,
    login,
    sign,
    text_message_value,
    webhook_body,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60 + b"\xff\xd9"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
OOXML_WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def ooxml_package(main_part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(main_part, "<document/>")
    return buffer.getvalue()


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

    @pytest.mark.parametrize(
        ("name", "content", "declared"),
        [
            ("photo.png", b"<!doctype html><script>alert(document.cookie)</script>", "image/png"),
            ("scan.jpg", PNG_BYTES, "image/jpeg"),
            ("note.ogg", b"ID3\x04\x00" + b"\x00" * 64, "audio/ogg"),
            ("clip.mp4", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "video/mp4"),
            ("rates.pdf", b"<html><body>price list</body></html>", "application/pdf"),
            ("rates.docx", PDF, OOXML_WORD),
            ("rates.xls", b"PK\x03\x04 not a spreadsheet", "application/vnd.ms-excel"),
            ("notes.txt", PNG_BYTES, "text/plain"),
        ],
    )
    def test_contents_contradicting_the_declared_type_are_refused_with_415(
        self, client: TestClient, runtime: Runtime, name: str, content: bytes, declared: str
    ) -> None:
        create_user(runtime)
        headers = login(client, "owner@example.com")
        response = client.post(
            "/api/v1/media", files={"file": (name, content, declared)}, headers=headers
        )
        assert response.status_code == 415, response.text
        assert response.json()["error"] == "UnsupportedMediaType"
        assert f"its contents are not {declared}" in response.json()["detail"]

    @pytest.mark.parametrize(
        ("name", "content", "declared"),
        [
            ("photo.png", PNG_BYTES, "image/png"),
            ("scan.jpg", JPEG, "image/jpeg"),
            ("sticker.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32, "image/webp"),
            ("voice.ogg", b"OggS\x00\x02" + b"\x00" * 64, "audio/ogg"),
            ("talk.mp3", b"ID3\x04\x00" + b"\x00" * 64, "audio/mpeg"),
            ("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32, "video/mp4"),
            ("rates.pdf", PDF, "application/pdf"),
            ("rates.docx", ooxml_package("word/document.xml"), OOXML_WORD),
            ("notes.txt", b"OT list: Dr. Iyer, 9 am\n", "text/plain"),
        ],
    )
    def test_files_that_are_what_they_say_are_kept(
        self, client: TestClient, runtime: Runtime, name: str, content: bytes, declared: str
    ) -> None:
        create_user(runtime)
        headers = login(client, "owner@example.com")
        response = client.post(
            "/api/v1/media", files={"file": (name, content, declared)}, headers=headers
        )
        assert response.status_code == 201, response.text

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


def doctor_sends_media(
    client: TestClient, kind: str, body: dict[str, object], wamid: str = "wamid.media1"
) -> None:
    value = text_message_value(wamid, "")
    message = value["messages"][0]  # type: ignore[index]
    message["type"] = kind
    message.pop("text")
    message[kind] = body
    raw = webhook_body(value)
    client.post("/webhooks/whatsapp", content=raw, headers=sign(raw)).raise_for_status()


def thread(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    [conversation] = client.get("/api/v1/conversations", headers=headers).json()["items"]
    page = client.get(f"/api/v1/conversations/{conversation['id']}/messages", headers=headers)
    items: list[dict[str, Any]] = page.json()["items"]
    return items


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


class TestInboundMedia:
    def test_a_doctors_image_is_kept_and_shown_inline(
        self, client: TestClient, runtime: Runtime, graph: respx.MockRouter
    ) -> None:
        create_user(runtime)
        create_number(runtime)
        headers = login(client, "owner@example.com")
        graph.get(f"{GRAPH}/media-img-1").mock(
            return_value=httpx.Response(
                200, json={"url": "https://lookaside.test/img1", "mime_type": "image/jpeg"}
            )
        )
        graph.get("https://lookaside.test/img1").mock(
            return_value=httpx.Response(200, content=JPEG, headers={"content-type": "image/jpeg"})
        )
        doctor_sends_media(
            client, "image", {"id": "media-img-1", "mime_type": "image/jpeg", "caption": "Wound"}
        )
        drain(runtime.queue)
        [message] = thread(client, headers)
        media = message["media"]
        assert media["state"] == "ready"
        assert (media["mime_type"], media["size"]) == ("image/jpeg", len(JPEG))
        assert media["filename"].endswith(".jpg")
        shown = client.get(media["url"], headers=headers)
        assert shown.status_code == 200
        assert shown.headers["content-type"] == "image/jpeg"
        assert shown.headers["content-disposition"].startswith("inline;")
        assert shown.headers["x-content-type-options"] == "nosniff"
        assert shown.content == JPEG

    def test_a_document_downloads_as_an_attachment_by_its_name(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime)
        headers = login(client, "owner@example.com")
        uploaded = client.post(
            "/api/v1/media",
            files={"file": ("OT list.pdf", PDF, "application/pdf")},
            headers=headers,
        ).json()
        download = client.get(f"/api/v1/media/{uploaded['id']}", headers=headers)
        assert download.headers["content-disposition"].startswith("attachment;")
        assert "OT%20list.pdf" in download.headers["content-disposition"]
        # The same file sent under another name downloads under that name.
        renamed = client.get(
            f"/api/v1/media/{uploaded['id']}", params={"name": "../Consent.pdf"}, headers=headers
        )
        assert 'filename="Consent.pdf"' in renamed.headers["content-disposition"]

    def test_media_whatsapp_will_not_give_says_why(
        self, client: TestClient, runtime: Runtime, graph: respx.MockRouter
    ) -> None:
        create_user(runtime)
        create_number(runtime)
        headers = login(client, "owner@example.com")
        graph.get(f"{GRAPH}/media-gone").mock(
            return_value=httpx.Response(400, json=graph_error(131052, "Media download error"))
        )
        doctor_sends_media(client, "audio", {"id": "media-gone", "mime_type": "audio/ogg"})
        drain(runtime.queue)
        [message] = thread(client, headers)
        assert message["media"]["state"] == "failed"
        assert "could not download the media" in message["media"]["error"]
        assert "131052" in message["media"]["error"]

    def test_only_signed_in_users_get_files(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime)
        headers = login(client, "owner@example.com")
        uploaded = client.post(
            "/api/v1/media", files={"file": ("p.pdf", PDF, "application/pdf")}, headers=headers
        ).json()
        client.cookies.clear()
        assert client.get(f"/api/v1/media/{uploaded['id']}").status_code == 401

    def test_a_file_gone_from_the_disk_is_a_clear_404(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime)
        headers = login(client, "owner@example.com")
        uploaded = client.post(
            "/api/v1/media", files={"file": ("p.pdf", PDF, "application/pdf")}, headers=headers
        ).json()
        digest = uploaded["sha256"]
        (runtime.settings.data_dir / "media" / digest[:2] / digest).unlink()
        gone = client.get(f"/api/v1/media/{uploaded['id']}", headers=headers)
        assert gone.status_code == 404
        assert "no longer kept" in gone.json()["detail"]
