"""Doctors without phone numbers, end to end: `surgiai run --demo` against the simulator in
today's webhook shapes (business-scoped user ids, usernames, hidden phones) and in the older
shape, through real HTTP and real signed webhooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from surgiai.demo import DEMO_NUMBERS
from tests.services import Service, StartService, base_env, wait_for

PNID = DEMO_NUMBERS[0].phone_number_id
Demo = tuple[Service, dict[str, str]]


@pytest.fixture
def demo(database_url: str, tmp_path: Path, start_service: StartService) -> Demo:
    # `database_url` first: its teardown (emptying PostgreSQL) runs after the service stopped.
    env = base_env(tmp_path, database_url)
    env["SURGIAI_ADMIN_PASSWORD"] = "demo password"
    service = start_service("run", env, ["--demo"])
    login = httpx.post(
        service.url + "/api/v1/auth/login",
        json={"email": "owner@surgiai.local", "password": "demo password"},
    )
    return service, {"Authorization": f"Bearer {login.json()['access_token']}"}


def control(service: Service, method: str, path: str, **json: Any) -> dict[str, Any]:
    response = httpx.request(method, f"{service.url}/simulator/control/{path}", json=json or None)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def writes(service: Service, wa_id: str, text: str) -> None:
    control(
        service,
        "POST",
        "inbound",
        phone_number_id=PNID,
        **{"from": wa_id},
        type="text",
        text={"body": text},
    )


def conversations_of(service: Service, headers: dict[str, str], q: str) -> list[dict[str, Any]]:
    page = httpx.get(f"{service.url}/api/v1/conversations", params={"q": q}, headers=headers)
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    return items


def thread(service: Service, headers: dict[str, str], conversation_id: int) -> list[dict[str, Any]]:
    page = httpx.get(
        f"{service.url}/api/v1/conversations/{conversation_id}/messages", headers=headers
    )
    assert page.status_code == 200, (page.status_code, page.text)
    items: list[dict[str, Any]] = page.json()["items"]
    return items


def received_requests(service: Service, wa_id: str) -> list[dict[str, Any]]:
    seen = httpx.get(f"{service.url}/simulator/control/received", params={"wa_id": wa_id})
    return [item["request"] for item in seen.json()["messages"]]


class TestDemoIdentities:
    def test_a_username_only_doctor_is_answered_by_user_id_then_shares_the_phone(
        self, demo: Demo
    ) -> None:
        service, headers = demo
        phone = "919800011122"
        user = control(
            service,
            "PUT",
            f"users/{phone}",
            username="dr.kavya.gyn",
            phone_shared=False,
            name="Kavya",
        )
        writes(service, phone, "Laparoscopy CME Pune mein kab hai?")
        [conversation] = wait_for(lambda: conversations_of(service, headers, "kavya.gyn"))
        doctor = conversation["doctor"]
        assert (doctor["wa_id"], doctor["user_id"], doctor["username"]) == (
            None,
            user["user_id"],
            "dr.kavya.gyn",
        )

        reply = httpx.post(
            f"{service.url}/api/v1/messages",
            json={"doctor_id": doctor["id"], "type": "text", "text": {"body": "14 March, Pune."}},
            headers=headers,
        )
        assert reply.status_code == 202, reply.text
        # Receipts name the recipient by user id only; they still reach `read`.
        wait_for(
            lambda: (
                httpx.get(
                    f"{service.url}/api/v1/messages/{reply.json()['id']}", headers=headers
                ).json()["status"]
                == "read"
            )
        )
        sent = [r for r in received_requests(service, phone) if r["type"] == "text"]
        assert sent and all("to" not in r and r["recipient"] == user["user_id"] for r in sent)

        control(service, "PUT", f"users/{phone}", phone_shared=True)
        writes(service, phone, "ok, fees kitni hai?")
        wait_for(
            lambda: conversations_of(service, headers, "kavya.gyn")[0]["doctor"]["wa_id"] == phone
        )
        [conversation] = conversations_of(service, headers, "kavya.gyn")
        assert conversation["doctor"]["id"] == doctor["id"]
        inbound = [
            m for m in thread(service, headers, conversation["id"]) if m["direction"] == "in"
        ]
        assert len(inbound) == 2

    def test_a_phone_change_keeps_the_doctor_and_the_history(self, demo: Demo) -> None:
        service, headers = demo
        old, new = "919800022233", "919800099988"
        control(service, "PUT", f"users/{old}", name="Dr. Suresh Menon")
        writes(service, old, "Hernia mesh 15x15 ka rate?")
        [conversation] = wait_for(lambda: conversations_of(service, headers, "Suresh Menon"))
        control(service, "POST", f"users/{old}/change-number", new_wa_id=new)
        wait_for(
            lambda: conversations_of(service, headers, "Suresh Menon")[0]["doctor"]["wa_id"] == new
        )
        writes(service, new, "naya number hai, save kar lo")
        wait_for(
            lambda: (
                len(
                    [
                        m
                        for m in thread(service, headers, conversation["id"])
                        if m["type"] == "text" and m["direction"] == "in"
                    ]
                )
                == 2
            ),
            # A poll every 20 ms would meet the API's per-user rate limit.
            interval=0.25,
        )
        [after] = conversations_of(service, headers, "Suresh Menon")
        assert after["id"] == conversation["id"]
        assert after["doctor"]["id"] == conversation["doctor"]["id"]

    def test_webhooks_in_the_older_shape_still_work(self, demo: Demo) -> None:
        service, headers = demo
        control(service, "PATCH", "config", identity_shape="legacy")
        phone = "919800033344"
        control(service, "PUT", f"users/{phone}", name="Dr. Farah Khan")
        writes(service, phone, "Do you have 45 mm stapler reloads?")
        [conversation] = wait_for(lambda: conversations_of(service, headers, "Farah Khan"))
        assert (conversation["doctor"]["wa_id"], conversation["doctor"]["user_id"]) == (phone, None)
        # The Master Agent answers by phone, as before.
        wait_for(lambda: any(r.get("to") == phone for r in received_requests(service, phone)))
