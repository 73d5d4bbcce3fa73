"""`surgiai run --demo` end to end: real HTTP to the built-in Cloud API simulator and real
signed webhooks back, as a newcomer would see it."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest

from surgiai.demo import DEMO_NUMBERS
from tests.services import Service, StartService, base_env, wait_for

DOCTOR = "919811122233"
PNID = DEMO_NUMBERS[0].phone_number_id
# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


@pytest.fixture
def demo(
    database_url: str, tmp_path: Path, start_service: StartService
) -> tuple[Service, dict[str, str]]:
    # `database_url` first: its teardown (emptying PostgreSQL) runs after the service stopped.
    env = base_env(tmp_path, database_url)
    env["SURGIAI_ADMIN_PASSWORD"] = "demo password"
    service = start_service("run", env, ["--demo"])
    login = httpx.post(
        service.url + "/api/v1/auth/login",
        json={"email": "owner@surgiai.local", "password": "demo password"},
    )
    return service, {"Authorization": f"Bearer {login.json()['access_token']}"}


def messages(
    service: Service, headers: dict[str, str], direction: str = "in"
) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{service.url}/api/v1/messages?wa_id={DOCTOR}&direction={direction}", headers=headers
    )
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestDemo:
    def test_doctor_writes_admin_answers_and_the_ticks_go_to_read(
        self, demo: tuple[Service, dict[str, str]]
    ) -> None:
        service, headers = demo
        numbers = httpx.get(service.url + "/api/v1/numbers", headers=headers).json()
        assert [n["label"] for n in numbers] == [n.label for n in DEMO_NUMBERS]
        wait_for(
            lambda: all(
                n["health"]["status"] == "CONNECTED"
                for n in httpx.get(service.url + "/api/v1/numbers", headers=headers).json()
            )
        )

        inbound = httpx.post(
            service.url + "/simulator/control/inbound",
            json={
                "phone_number_id": PNID,
                "from": DOCTOR,
                "name": "Dr. Müller",
                "type": "text",
                "text": {"body": "Disposable trocar 5mm ka price kya hai?"},
            },
        )
        assert inbound.status_code == 200
        [received] = wait_for(lambda: messages(service, headers))
        assert received["text"] == "Disposable trocar 5mm ka price kya hai?"
        assert received["wamid"] == inbound.json()["wamid"]
        # The Master Agent answers from the demo's catalogue at once, quoting the question.
        [acknowledged] = wait_for(lambda: messages(service, headers, "out"))
        assert acknowledged["sender"]["label"] == "AI · smart_reply"
        assert "₹2,450" in acknowledged["text"]
        assert acknowledged["context_wamid"] == received["wamid"]

        reply = httpx.post(
            service.url + "/api/v1/messages",
            json={"to": DOCTOR, "type": "text", "text": {"body": "*₹4,500* per box of 10"}},
            headers=headers,
        )
        assert reply.status_code == 202
        message_id = reply.json()["id"]
        final = wait_for(
            lambda: (
                (
                    m := httpx.get(
                        f"{service.url}/api/v1/messages/{message_id}", headers=headers
                    ).json()
                )["status"]
                == "read"
                and m
            )
        )
        assert final["sent_at"] and final["read_at"]

        seen = httpx.get(service.url + f"/simulator/control/received?wa_id={DOCTOR}").json()
        [request] = [
            item["request"]
            for item in seen["messages"]
            if item["request"].get("biz_opaque_callback_data") == f"surgiai:{message_id}"
        ]
        assert request == {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": DOCTOR,
            "type": "text",
            "text": {"body": "*₹4,500* per box of 10"},
            "biz_opaque_callback_data": f"surgiai:{message_id}",
        }

    def test_a_doctors_photo_is_downloaded_and_kept(
        self, demo: tuple[Service, dict[str, str]]
    ) -> None:
        service, headers = demo
        httpx.post(
            service.url + "/simulator/control/inbound",
            json={
                "phone_number_id": PNID,
                "from": DOCTOR,
                "name": "Dr. Rao",
                "type": "image",
                "image": {
                    "data_base64": base64.b64encode(PNG).decode(),
                    "mime_type": "image/png",
                    "caption": "This stapler jammed",
                },
            },
        )
        try:
            [image] = wait_for(
                lambda: [m for m in messages(service, headers) if m["media_file_id"]] or None
            )
        except AssertionError:
            print(service.output())  # what the service did, for whoever reads the failure
            raise
        assert image["text"] == "This stapler jammed"
        kept = httpx.get(f"{service.url}/api/v1/media/{image['media_file_id']}", headers=headers)
        assert kept.status_code == 200
        assert kept.headers["content-type"] == "image/png"
        assert kept.content == PNG

    def test_an_uploaded_file_is_sent_as_an_image(
        self, demo: tuple[Service, dict[str, str]]
    ) -> None:
        service, headers = demo
        httpx.post(
            service.url + "/simulator/control/inbound",
            json={"phone_number_id": PNID, "from": DOCTOR, "type": "text", "text": {"body": "hi"}},
        )
        wait_for(lambda: messages(service, headers))
        uploaded = httpx.post(
            service.url + "/api/v1/media",
            files={"file": ("catalogue.png", PNG, "image/png")},
            headers=headers,
        ).json()
        sent = httpx.post(
            service.url + "/api/v1/messages",
            json={
                "to": DOCTOR,
                "type": "image",
                "image": {"media_file_id": uploaded["id"], "caption": "Our catalogue"},
            },
            headers=headers,
        )
        assert sent.status_code == 202, sent.text
        wait_for(
            lambda: (
                httpx.get(
                    f"{service.url}/api/v1/messages/{sent.json()['id']}", headers=headers
                ).json()["status"]
                in {"sent", "delivered", "read"}
            )
        )
        seen = httpx.get(service.url + f"/simulator/control/received?wa_id={DOCTOR}").json()
        [request] = [
            item["request"]
            for item in seen["messages"]
            if item["request"].get("biz_opaque_callback_data") == f"surgiai:{sent.json()['id']}"
        ]
        media_id = request["image"]["id"]
        assert request["image"] == {"id": media_id, "caption": "Our catalogue"}
        info = httpx.get(
            f"{service.url}/simulator/graph/v25.0/{media_id}",
            headers={"Authorization": f"Bearer {DEMO_NUMBERS[0].access_token}"},
        ).json()
        assert info["mime_type"] == "image/png"
