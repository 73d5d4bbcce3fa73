"""Media: upload rules, media URLs on the simulator's own host, download auth and expiry."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

from tests.simulator.harness import AUTH, DOCTOR, PNID, Harness, HarnessFactory

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def upload(
    h: Harness,
    data: bytes = PNG,
    mime: str = "image/png",
    *,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    fields = {"messaging_product": "whatsapp", "type": mime} if form is None else form
    return await h.client.post(
        f"/graph/v25.0/{PNID}/media",
        data=fields,
        files={"file": ("photo.png", data, mime)},
        headers=AUTH if headers is None else headers,
    )


async def media_info(h: Harness, media_id: str, **params: str) -> httpx.Response:
    return await h.client.get(f"/graph/v25.0/{media_id}", params=params, headers=AUTH)


class TestUpload:
    async def test_upload_returns_id(self, h: Harness) -> None:
        response = await upload(h)
        assert response.status_code == 200
        assert list(response.json()) == ["id"]
        assert response.json()["id"].isdigit()

    @pytest.mark.parametrize(("mime", "code"), [("image/gif", 131053), ("application/zip", 131053)])
    async def test_unsupported_mime_is_131053(self, h: Harness, mime: str, code: int) -> None:
        response = await upload(h, mime=mime)
        assert response.json()["error"]["code"] == code

    async def test_size_limit_per_type(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(media_size_limits={"image": 100, "document": 1000})
        assert (await upload(h, data=b"x" * 100)).status_code == 200
        response = await upload(h, data=b"x" * 101)
        assert response.json()["error"]["code"] == 131053
        pdf = await upload(h, data=b"%PDF" + b"x" * 500, mime="application/pdf")
        assert pdf.status_code == 200

    async def test_upload_needs_messaging_product_and_token(self, h: Harness) -> None:
        response = await upload(h, form={"type": "image/png"})
        assert response.json()["error"]["code"] == 100
        response = await upload(h, headers={})
        assert response.status_code == 401

    async def test_real_default_image_limit_is_5_mb(self, h: Harness) -> None:
        too_big = await upload(h, data=b"\x00" * (5 * 1024 * 1024 + 1))
        assert too_big.json()["error"]["code"] == 131053


class TestMediaUrl:
    async def test_info_and_download(self, h: Harness) -> None:
        media_id = (await upload(h)).json()["id"]
        info = (await media_info(h, media_id)).json()
        assert list(info) == ["messaging_product", "url", "mime_type", "sha256", "file_size", "id"]
        assert info["mime_type"] == "image/png"
        assert info["file_size"] == str(len(PNG))
        assert info["id"] == media_id
        assert info["url"].startswith("http://sim/whatsapp_business/attachments/?mid=")
        download = await h.client.get(info["url"], headers=AUTH)
        assert download.status_code == 200
        assert download.content == PNG
        assert download.headers["content-type"] == "image/png"
        assert info["sha256"] == hashlib.sha256(PNG).hexdigest()

    async def test_download_needs_the_token(self, h: Harness) -> None:
        media_id = (await upload(h)).json()["id"]
        url = (await media_info(h, media_id)).json()["url"]
        assert (await h.client.get(url)).status_code == 401
        wrong = await h.client.get(url, headers={"Authorization": "Bearer other"})
        assert wrong.status_code == 403

    async def test_url_expires_after_5_minutes(self, h: Harness) -> None:
        media_id = (await upload(h)).json()["id"]
        url = (await media_info(h, media_id)).json()["url"]
        h.clock.advance(299)
        assert (await h.client.get(url, headers=AUTH)).status_code == 200
        h.clock.advance(2)
        assert (await h.client.get(url, headers=AUTH)).status_code == 404
        fresh = (await media_info(h, media_id)).json()["url"]
        assert (await h.client.get(fresh, headers=AUTH)).status_code == 200

    async def test_unknown_url_is_404(self, h: Harness) -> None:
        url = "/whatsapp_business/attachments/?mid=1&ext=1&hash=nope"
        assert (await h.client.get(url, headers=AUTH)).status_code == 404

    async def test_media_ids_expire_after_30_days(self, h: Harness) -> None:
        media_id = (await upload(h)).json()["id"]
        h.clock.advance(30 * 86400 + 1)
        assert (await media_info(h, media_id)).json()["error"]["code"] == 100

    async def test_phone_number_id_must_match(self, h: Harness) -> None:
        media_id = (await upload(h)).json()["id"]
        assert (await media_info(h, media_id, phone_number_id=PNID)).status_code == 200
        other = await media_info(h, media_id, phone_number_id="42")
        assert other.json()["error"]["code"] == 100

    async def test_delete(self, h: Harness) -> None:
        media_id = (await upload(h)).json()["id"]
        url = (await media_info(h, media_id)).json()["url"]
        deleted = await h.client.delete(f"/graph/v25.0/{media_id}", headers=AUTH)
        assert deleted.json() == {"success": True}
        assert (await media_info(h, media_id)).json()["error"]["code"] == 100
        assert (await h.client.get(url, headers=AUTH)).status_code == 404


class TestSendingMedia:
    async def test_send_uploaded_image_by_id(self, h: Harness) -> None:
        await h.inbound()
        media_id = (await upload(h)).json()["id"]
        payload: dict[str, Any] = {"to": DOCTOR, "type": "image", "image": {"id": media_id}}
        assert (await h.send(payload)).status_code == 200

    async def test_mime_mismatch_is_131053(self, h: Harness) -> None:
        media_id = (await upload(h)).json()["id"]
        payload = {"to": DOCTOR, "type": "audio", "audio": {"id": media_id}}
        assert (await h.send(payload)).json()["error"]["code"] == 131053

    async def test_document_accepts_any_supported_file(self, h: Harness) -> None:
        await h.inbound()
        media_id = (await upload(h)).json()["id"]
        document = {"id": media_id, "filename": "catalogo.png", "caption": "Catálogo"}
        payload = {"to": DOCTOR, "type": "document", "document": document}
        assert (await h.send(payload)).status_code == 200


class TestInboundMedia:
    async def test_inbound_image_is_downloadable(self, h: Harness) -> None:
        sent = await h.inbound(type="image", image={"caption": "Foto del instrumental"})
        image = sent["message"]["image"]
        assert image["mime_type"] == "image/jpeg" and image["caption"] == "Foto del instrumental"
        info = (await media_info(h, image["id"])).json()
        download = await h.client.get(info["url"], headers=AUTH)
        assert download.content[:3] == b"\xff\xd8\xff"

    async def test_inbound_voice_note_and_url(self, h: Harness) -> None:
        sent = await h.inbound(type="audio", audio={"voice": True}, with_url=True)
        audio = sent["message"]["audio"]
        assert audio["voice"] is True
        assert audio["mime_type"] == "audio/ogg; codecs=opus"
        download = await h.client.get(audio["url"], headers=AUTH)
        assert download.content.startswith(b"OggS")

    async def test_inbound_media_from_base64(self, h: Harness) -> None:
        body = {"data_base64": "JVBERi0xLjQK", "mime_type": "application/pdf", "filename": "a.pdf"}
        sent = await h.inbound(type="document", document=body)
        document = sent["message"]["document"]
        assert document["filename"] == "a.pdf"
        info = (await media_info(h, document["id"])).json()
        assert (await h.client.get(info["url"], headers=AUTH)).content == b"%PDF-1.4\n"
