"""Simulated doctors react to what they receive and start conversations."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from surgiai.simulator.personas import DOCTORS, QUESTION_BANK
from tests.services import wait_until
from tests.simulator.harness import Harness, HarnessFactory, template_send

pytestmark = pytest.mark.anyio
MOBILE = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
# Words that would give a Spanish demo away (the simulator's doctors were once Spanish).
SPANISH = re.compile(
    r"[¿¡ñáéíóú]|\b(hola|gracias|precio|curso|necesito|por favor|buenos|cuánto|señor|doctora)\b",
    re.IGNORECASE,
)
HINGLISH = re.compile(r"\b(kya|hai|mein|chahiye|kitne|milega|batao|hoga|kar|ka|ki)\b")


async def start(h: Harness, **settings: Any) -> str:
    body = {
        "count": 2,
        "read_probability": 1.0,
        "tap_probability": 0.0,
        "reply_probability": 0.0,
        "initiate_per_minute": 0.0,
        "think_seconds_min": 1.0,
        "think_seconds_max": 2.0,
        **settings,
    }
    response = await h.client.post("/control/personas", json=body)
    assert response.status_code == 200, response.text
    personas = response.json()["personas"]
    assert len(personas) == body["count"]
    wa_id: str = personas[0]["wa_id"]
    return wa_id


def buttons_to(wa_id: str) -> dict[str, Any]:
    return {
        "to": wa_id,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Interested in the Laparoscopic Suturing Masterclass?"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "yes", "title": "Haan, details bhejo"}},
                    {"type": "reply", "reply": {"id": "no", "title": "No"}},
                ]
            },
        },
    }


async def stats(h: Harness) -> dict[str, int]:
    described = (await h.client.get("/control/personas")).json()
    result: dict[str, int] = described["stats"]
    return result


class TestReactions:
    async def test_reads_and_taps_a_button(self, h: Harness) -> None:
        doctor = await start(h, tap_probability=1.0)
        await h.inbound(**{"from": doctor})
        wamid = h.wamid(await h.send(buttons_to(doctor)))
        await h.drain()
        assert [s["status"] for s in h.receiver.statuses(wamid)] == ["sent", "delivered", "read"]
        (tap,) = [m for m in h.receiver.messages() if m["type"] == "interactive"]
        assert tap["from"] == doctor
        assert tap["context"]["id"] == wamid
        assert tap["interactive"]["type"] == "button_reply"
        assert tap["interactive"]["button_reply"] in [
            {"id": "yes", "title": "Haan, details bhejo"},
            {"id": "no", "title": "No"},
        ]
        assert await stats(h) == {
            "initiated": 0,
            "reads": 1,
            "ignored": 0,
            "replies": 0,
            "taps": 1,
        }

    @pytest.mark.parametrize(
        ("type_", "sub_type"), [("button", "quick_reply"), ("BUTTON", "QUICK_REPLY")]
    )
    async def test_taps_template_quick_reply(self, h: Harness, type_: str, sub_type: str) -> None:
        """Meta reads component types in any letter case; so do the simulated doctors."""
        doctor = await start(h, tap_probability=1.0)
        await h.template(
            name="cme_invite",
            components=[
                {"type": "BODY", "text": "New CME course"},
                {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Enrol"}]},
            ],
        )
        payload = template_send("cme_invite", to=doctor)
        payload["template"]["components"] = [
            {
                "type": type_,
                "sub_type": sub_type,
                "index": "0",
                "parameters": [{"type": "payload", "payload": "ENROL-42"}],
            }
        ]
        wamid = h.wamid(await h.send(payload))
        await h.drain()
        (tap,) = [m for m in h.receiver.messages() if m["type"] == "button"]
        assert tap["button"] == {"payload": "ENROL-42", "text": "Enrol"}
        assert tap["context"]["id"] == wamid

    async def test_replies_with_a_question(self, h: Harness) -> None:
        doctor = await start(h, reply_probability=1.0)
        await h.inbound(**{"from": doctor})
        await h.send_text(to=doctor, body="Gracias por escribir")
        await h.drain()
        replies = [m for m in h.receiver.messages() if m["from"] == doctor][1:]
        assert len(replies) == 1
        assert replies[0]["text"]["body"] in QUESTION_BANK
        assert replies[0]["timestamp"].isdigit()

    async def test_unread_messages_get_no_read_status(self, h: Harness) -> None:
        doctor = await start(h, read_probability=0.0)
        await h.inbound(**{"from": doctor})
        wamid = h.wamid(await h.send_text(to=doctor))
        await h.drain()
        assert [s["status"] for s in h.receiver.statuses(wamid)] == ["sent", "delivered"]
        assert (await stats(h))["ignored"] == 1


class TestConversations:
    async def test_personas_start_conversations_until_stopped(self, h: Harness) -> None:
        await start(h, count=3, initiate_per_minute=600.0)
        assert initiating()
        initiated = await wait_until(lambda: h.sim.personas.describe()["stats"]["initiated"])
        stopped = (await h.client.delete("/control/personas")).json()
        assert stopped["stopped"] is True and stopped["stats"]["initiated"] >= initiated
        # Stopped means ended, not asked to end: no task is left that could start another.
        assert not initiating()
        await h.drain()
        inbound = h.receiver.messages()
        assert len(inbound) >= initiated
        assert all(m["text"]["body"] in QUESTION_BANK for m in inbound)
        assert (await h.client.get("/control/personas")).json()["personas"] == []


class TestDemoScripts:
    def test_indian_surgeons_and_gynaecologists_in_english_and_hinglish(self) -> None:
        for text in [*QUESTION_BANK, *(doctor.name for doctor in DOCTORS)]:
            assert not SPANISH.search(text), text
        assert all(doctor.name.startswith("Dr. ") for doctor in DOCTORS)
        assert len({doctor.name for doctor in DOCTORS}) == len(DOCTORS)
        hinglish = [text for text in QUESTION_BANK if HINGLISH.search(text)]
        assert len(hinglish) >= 5
        english = [text for text in QUESTION_BANK if not HINGLISH.search(text)]
        assert len(english) >= 5
        topics = " ".join(QUESTION_BANK).lower()
        for product in ("trocar", "stapler", "suture", "mesh", "cme", "course", "workshop"):
            assert product in topics, product


class TestIdentities:
    async def test_indian_doctors_and_a_few_from_abroad_with_real_mobile_numbers(
        self, h: Harness
    ) -> None:
        body = {"count": 200, "initiate_per_minute": 0.0}
        personas = (await h.client.post("/control/personas", json=body)).json()["personas"]
        region_of = {doctor.name: doctor.region for doctor in DOCTORS}
        assert {p["name"] for p in personas} <= set(region_of)
        for persona in personas:
            number = phonenumbers.parse(f"+{persona['wa_id']}")
            region = region_of[persona["name"]]
            assert phonenumbers.is_valid_number(number), persona
            assert phonenumbers.region_code_for_number(number) == region, persona
            assert phonenumbers.number_type(number) in MOBILE, persona
            if region == "IN":
                assert re.fullmatch(r"91[6-9][0-9]{9}", persona["wa_id"]), persona
        regions = [region_of[p["name"]] for p in personas]
        assert regions.count("IN") > len(regions) * 3 // 4
        assert {"AE", "GB", "NP"} <= set(regions)
        assert all(p["username"] is None and p["phone_shared"] for p in personas)

    async def test_a_prefix_numbers_indian_doctors_as_a_test_chooses(self, h: Harness) -> None:
        body = {"count": 20, "initiate_per_minute": 0.0, "wa_id_prefix": "9198"}
        personas = (await h.client.post("/control/personas", json=body)).json()["personas"]
        assert all(re.fullmatch(r"9198[0-9]{8}", p["wa_id"]) for p in personas)
        india = {doctor.name for doctor in DOCTORS if doctor.region == "IN"}
        assert {p["name"] for p in personas} <= india

    async def test_usernames_and_hidden_phones(self, h: Harness) -> None:
        await start(h, count=3, username_share=1.0, hidden_phone_share=1.0, reply_probability=1.0)
        personas = h.sim.personas.describe()["personas"]
        usernames = [p["username"] for p in personas]
        assert len(set(usernames)) == 3
        assert all(re.fullmatch(r"[a-z0-9._]{3,35}", u) for u in usernames)
        assert not any(p["phone_shared"] for p in personas)
        doctor = personas[0]
        record = await h.user(doctor["wa_id"])
        assert (record["username"], record["phone_shared"]) == (doctor["username"], False)
        # The doctor writes without their phone number, and is answered by BSUID.
        await h.inbound(**{"from": doctor["wa_id"], "name": doctor["name"]})
        await h.send({"recipient": record["user_id"], "type": "text", "text": {"body": "Ji"}})
        await h.drain()
        replies = [m for m in h.receiver.messages() if m.get("from_user_id") == record["user_id"]]
        assert len(replies) == 2
        assert all("from" not in m for m in replies)

    async def test_shares_are_reproducible_with_a_seed(self, make_harness: HarnessFactory) -> None:
        settings = {"count": 30, "username_share": 0.5, "hidden_phone_share": 0.5}
        runs = []
        for _ in range(2):
            h: Harness = await make_harness(seed=3)
            runs.append((await h.client.post("/control/personas", json=settings)).json())
        assert runs[0] == runs[1]
        personas = runs[0]["personas"]
        with_username = [p for p in personas if p["username"]]
        assert 0 < len(with_username) < len(personas)
        hidden = [p for p in personas if not p["phone_shared"]]
        assert 0 < len(hidden) < len(with_username)
        assert all(p["username"] for p in hidden)

    async def test_prefix_must_fit_the_length(self, h: Harness) -> None:
        body = {"wa_id_prefix": "9198123", "wa_id_length": 7}
        assert (await h.client.post("/control/personas", json=body)).status_code == 422


def initiating() -> list[asyncio.Task[object]]:
    """The tasks of this loop that start conversations (the simulator names them)."""
    return [task for task in asyncio.all_tasks() if task.get_name() == "simulator-personas"]
