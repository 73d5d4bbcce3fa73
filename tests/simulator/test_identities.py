"""Business-scoped user IDs and usernames (CLOUD_API.md §3.6): today's webhook shapes, sends by
`recipient`, the legacy shape, the users' control plane and their identity changes."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import pytest

from surgiai.simulator.identity import country_of, derive_parent_user_id, derive_user_id
from tests.simulator.harness import (
    DOCTOR,
    PNID,
    Harness,
    HarnessFactory,
    template_send,
)

pytestmark = pytest.mark.anyio

OTHER_DOCTOR = "919812345678"
USER_ID = re.compile(r"^MX\.[1-9][0-9]{15}$")
PARENT_USER_ID = re.compile(r"^MX\.ENT\.[1-9][0-9]{19}$")


def status_values(h: Harness, wamid: str) -> list[dict[str, Any]]:
    """The webhook values that carry `wamid`'s statuses, in arrival order."""
    return [
        value
        for value in h.receiver.values()
        if any(status["id"] == wamid for status in value.get("statuses", []))
    ]


async def statuses_of(h: Harness, response: httpx.Response) -> dict[str, dict[str, Any]]:
    """Each status of a send, with its value's `contacts` (if any) as `"_contacts"`."""
    wamid = h.wamid(response)
    await h.drain()
    found: dict[str, dict[str, Any]] = {}
    for value in status_values(h, wamid):
        (status,) = value["statuses"]
        found[status["status"]] = {**status, "_contacts": value.get("contacts")}
    return found


async def send_to_user(h: Harness, recipient: str, **payload: Any) -> httpx.Response:
    body = {"recipient": recipient, "type": "text", "text": {"body": "Namaste doctor"}, **payload}
    return await h.send(body)


def last_value(h: Harness) -> dict[str, Any]:
    value: dict[str, Any] = h.receiver.values()[-1]
    return value


def system_values(h: Harness) -> list[dict[str, Any]]:
    return [
        value
        for value in h.receiver.values()
        if any(message["type"] == "system" for message in value.get("messages", []))
    ]


class TestInboundShape:
    async def test_phone_user_is_named_by_phone_and_bsuid(self, h: Harness) -> None:
        await h.inbound()
        await h.drain()
        user_id = (await h.user())["user_id"]
        assert USER_ID.match(user_id)
        value = last_value(h)
        assert value["contacts"] == [
            {"profile": {"name": "Dr. Ana Ruiz"}, "wa_id": DOCTOR, "user_id": user_id}
        ]
        message = value["messages"][0]
        assert (message["from"], message["from_user_id"]) == (DOCTOR, user_id)

    async def test_username_rides_in_the_profile(self, h: Harness) -> None:
        await h.inbound(username="dr.ana.gynae")
        await h.drain()
        (contact,) = last_value(h)["contacts"]
        assert contact["profile"] == {"name": "Dr. Ana Ruiz", "username": "dr.ana.gynae"}
        assert contact["wa_id"] == DOCTOR

    async def test_a_hidden_phone_appears_nowhere(self, h: Harness) -> None:
        sent = await h.inbound(username="dr.ana.gynae", phone_shared=False)
        await h.drain()
        user_id = (await h.user())["user_id"]
        value = last_value(h)
        assert value["contacts"] == [
            {"profile": {"name": "Dr. Ana Ruiz", "username": "dr.ana.gynae"}, "user_id": user_id}
        ]
        message = value["messages"][0]
        assert "from" not in message and message["from_user_id"] == user_id
        # Not even inside the wamid, which encodes the sender's address.
        assert DOCTOR.encode() not in base64.b64decode(sent["wamid"].removeprefix("wamid."))
        assert DOCTOR not in h.receiver.posts[-1].body.decode()

    async def test_a_user_can_write_by_their_bsuid(self, h: Harness) -> None:
        await h.inbound(phone_shared=False)
        user_id = (await h.user())["user_id"]
        await h.inbound(**{"from": user_id})
        received = (await h.client.get("/control/received", params={"wa_id": DOCTOR})).json()
        assert len(received["sent"]) == 2

    async def test_parent_bsuids_when_enabled(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(parent_bsuids=True)
        await h.inbound()
        await h.drain()
        record = await h.user()
        assert PARENT_USER_ID.match(record["parent_user_id"])
        (contact,) = last_value(h)["contacts"]
        assert contact["parent_user_id"] == record["parent_user_id"]
        message = last_value(h)["messages"][0]
        assert message["from_parent_user_id"] == record["parent_user_id"]

    async def test_no_parent_bsuids_by_default(self, h: Harness) -> None:
        await h.inbound()
        await h.drain()
        assert (await h.user())["parent_user_id"] is None
        assert "parent_user_id" not in last_value(h)["contacts"][0]
        assert "from_parent_user_id" not in last_value(h)["messages"][0]


class TestBsuids:
    async def test_a_bsuid_per_portfolio_and_one_parent(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(parent_bsuids=True)
        await h.register("777", business_portfolio_id="bp-2", display_phone_number="15550000777")
        here = await h.user()
        there = (
            await h.client.get(f"/control/users/{DOCTOR}", params={"phone_number_id": "777"})
        ).json()
        assert (here["business_portfolio_id"], there["business_portfolio_id"]) == ("bp-1", "bp-2")
        assert here["user_id"] != there["user_id"]
        assert here["parent_user_id"] == there["parent_user_id"]

    async def test_the_seed_makes_them_reproducible(self, make_harness: HarnessFactory) -> None:
        first: Harness = await make_harness(seed=11)
        second: Harness = await make_harness(seed=11)
        other: Harness = await make_harness(seed=12)
        ids = [(await h.user())["user_id"] for h in (first, second, other)]
        assert ids[0] == ids[1] != ids[2]

    @pytest.mark.parametrize(
        ("phone", "country"),
        [
            ("919812345678", "IN"),
            ("16505551234", "US"),
            ("5215512345678", "MX"),
            ("447700900123", "GB"),
            ("97150123456", "AE"),
            ("8613800138000", "ZZ"),
        ],
    )
    def test_country_from_the_dialling_prefix(self, phone: str, country: str) -> None:
        assert country_of(phone) == country
        assert derive_user_id("s", "bp", phone, 0).startswith(f"{country}.")
        assert derive_parent_user_id("s", phone, 0).startswith(f"{country}.ENT.")

    def test_a_new_holder_of_a_number_gets_new_bsuids(self) -> None:
        assert derive_user_id("s", "bp", DOCTOR, 0) != derive_user_id("s", "bp", DOCTOR, 1)


class TestStatusShape:
    async def test_lifecycle_names_the_user(self, h: Harness) -> None:
        await h.inbound(username="dr.ana.gynae")
        user_id = (await h.user())["user_id"]
        statuses = await statuses_of(h, await h.send_text())
        assert list(statuses) == ["sent", "delivered", "read"]
        for name, status in statuses.items():
            assert status["recipient_id"] == DOCTOR
            assert status["recipient_user_id"] == user_id
            contact: dict[str, Any] = {"wa_id": DOCTOR, "user_id": user_id}
            if name != "sent":
                contact["profile"] = {"username": "dr.ana.gynae"}
            assert status["_contacts"] == [contact]
        assert list(statuses["sent"])[:5] == [
            "id",
            "status",
            "timestamp",
            "recipient_id",
            "recipient_user_id",
        ]

    async def test_played_has_no_username(self, h: Harness) -> None:
        await h.inbound(username="dr.ana.gynae")
        audio = {"link": "https://cdn.example/note.ogg", "voice": True}
        statuses = await statuses_of(
            h, await h.send({"to": DOCTOR, "type": "audio", "audio": audio})
        )
        assert "profile" not in statuses["played"]["_contacts"][0]

    async def test_failed_sent_to_a_phone_has_no_contacts_nor_user_id(self, h: Harness) -> None:
        statuses = await statuses_of(h, await h.send_text())
        failed = statuses["failed"]
        assert failed["_contacts"] is None
        assert failed["recipient_id"] == DOCTOR
        assert "recipient_user_id" not in failed
        assert failed["errors"][0]["code"] == 131047

    async def test_failed_sent_by_bsuid_keeps_the_user_id(self, h: Harness) -> None:
        user_id = (await h.user())["user_id"]
        statuses = await statuses_of(h, await send_to_user(h, user_id))
        failed = statuses["failed"]
        assert failed["_contacts"] is None
        assert (failed["recipient_id"], failed["recipient_user_id"]) == (DOCTOR, user_id)

    async def test_hidden_phone_sent_by_bsuid(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(parent_bsuids=True)
        await h.inbound(username="dr.ana.gynae", phone_shared=False)
        record = await h.user()
        user_id, parent = record["user_id"], record["parent_user_id"]
        statuses = await statuses_of(h, await send_to_user(h, user_id))
        delivered = statuses["delivered"]
        assert delivered["recipient_id"] == user_id
        assert delivered["recipient_user_id"] == user_id
        assert delivered["recipient_parent_user_id"] == parent
        assert delivered["_contacts"] == [
            {
                "user_id": user_id,
                "parent_user_id": parent,
                "profile": {"username": "dr.ana.gynae"},
            }
        ]

    async def test_hidden_phone_sent_to_the_phone_shows_it(self, h: Harness) -> None:
        await h.inbound(phone_shared=False)
        statuses = await statuses_of(h, await h.send_text())
        assert statuses["sent"]["recipient_id"] == DOCTOR
        assert statuses["sent"]["_contacts"][0]["wa_id"] == DOCTOR


class TestSendByRecipient:
    async def test_by_bsuid_reaches_the_same_user(self, h: Harness) -> None:
        await h.inbound()
        user_id = (await h.user())["user_id"]
        response = await send_to_user(h, user_id)
        assert response.json()["contacts"] == [
            {"input": user_id, "wa_id": DOCTOR, "user_id": user_id}
        ]
        statuses = await statuses_of(h, response)
        # The window opened by the phone's message covers the send by BSUID.
        assert list(statuses) == ["sent", "delivered", "read"]
        received = (await h.client.get("/control/received", params={"wa_id": user_id})).json()
        assert received["wa_id"] == DOCTOR
        assert [m["to"] for m in received["messages"]] == [user_id]

    async def test_hidden_phone_is_not_in_the_response(self, h: Harness) -> None:
        await h.inbound(phone_shared=False)
        user_id = (await h.user())["user_id"]
        response = await send_to_user(h, user_id)
        assert response.json()["contacts"] == [{"input": user_id, "user_id": user_id}]

    async def test_by_parent_bsuid(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(parent_bsuids=True)
        await h.inbound()
        record = await h.user()
        response = await send_to_user(h, record["parent_user_id"])
        assert response.json()["contacts"] == [
            {"input": record["parent_user_id"], "wa_id": DOCTOR, "user_id": record["user_id"]}
        ]
        assert "delivered" in await statuses_of(h, response)

    async def test_to_wins_over_recipient(self, h: Harness) -> None:
        await h.inbound()
        other = (await h.user(OTHER_DOCTOR))["user_id"]
        response = await send_to_user(h, other, to=DOCTOR)
        (contact,) = response.json()["contacts"]
        assert (contact["input"], contact["wa_id"]) == (DOCTOR, DOCTOR)
        assert list(await statuses_of(h, response)) == ["sent", "delivered", "read"]

    @pytest.mark.parametrize(
        "recipient", ["5215512345678", "IN-123", "in.123", "IN." + "1" * 129, 7]
    )
    async def test_malformed_recipient_is_100(self, h: Harness, recipient: object) -> None:
        response = await send_to_user(h, recipient)  # type: ignore[arg-type]
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == 100
        assert "business-scoped user ID" in error["error_data"]["details"]

    async def test_unknown_bsuid_is_undeliverable(self, h: Harness) -> None:
        stranger = "IN.1648738043044942"
        response = await send_to_user(h, stranger)
        assert response.json()["contacts"] == [{"input": stranger, "user_id": stranger}]
        statuses = await statuses_of(h, response)
        failed = statuses["failed"]
        assert failed["errors"][0]["code"] == 131026
        assert (failed["recipient_id"], failed["recipient_user_id"]) == (stranger, stranger)
        assert failed["_contacts"] is None

    async def test_unknown_bsuid_can_fail_synchronously(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(recipient_errors_sync=True)
        response = await send_to_user(h, "IN.1648738043044942")
        assert response.json()["error"]["code"] == 131026

    async def test_parent_bsuid_needs_parent_bsuids(self, h: Harness) -> None:
        await h.inbound()
        parent = derive_parent_user_id("seed:7", DOCTOR, 0)
        statuses = await statuses_of(h, await send_to_user(h, parent))
        assert statuses["failed"]["errors"][0]["code"] == 131026

    async def test_a_bsuid_of_another_portfolio_is_unknown(self, h: Harness) -> None:
        await h.register("777", business_portfolio_id="bp-2", display_phone_number="15550000777")
        await h.inbound()
        there = await h.client.get(f"/control/users/{DOCTOR}", params={"phone_number_id": "777"})
        statuses = await statuses_of(h, await send_to_user(h, there.json()["user_id"]))
        assert statuses["failed"]["errors"][0]["code"] == 131026

    async def test_phone_and_bsuid_share_the_pair_rate(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(pair_burst=1)
        await h.inbound()
        assert (await h.send_text()).status_code == 200
        refused = await send_to_user(h, (await h.user())["user_id"])
        assert refused.json()["error"]["code"] == 131056


class TestLegacyShape:
    async def test_phone_numbers_only(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(identity_shape="legacy", parent_bsuids=True)
        await h.inbound(username="dr.ana.gynae", phone_shared=False)
        response = await h.send_text()
        assert response.json()["contacts"] == [{"input": DOCTOR, "wa_id": DOCTOR}]
        statuses = await statuses_of(h, response)
        inbound = h.receiver.values()[0]
        assert inbound["contacts"] == [{"profile": {"name": "Dr. Ana Ruiz"}, "wa_id": DOCTOR}]
        assert set(inbound["messages"][0]) == {"from", "id", "timestamp", "type", "text"}
        for status in statuses.values():
            assert status["_contacts"] is None
            assert status["recipient_id"] == DOCTOR
            assert not any(key.startswith("recipient_") and key != "recipient_id" for key in status)
        assert "user_id" not in h.receiver.posts[-1].body.decode()

    async def test_recipient_is_an_unknown_parameter(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(identity_shape="legacy")
        for payload in ({}, {"to": DOCTOR}):
            response = await send_to_user(h, "IN.1648738043044942", **payload)
            assert response.status_code == 400
            assert response.json()["error"]["code"] == 100
            assert "recipient" in response.json()["error"]["error_data"]["details"]

    async def test_switched_per_test_through_the_config(self, h: Harness) -> None:
        patched = await h.client.patch("/control/config", json={"identity_shape": "legacy"})
        assert patched.json()["identity_shape"] == "legacy"
        await h.inbound()
        await h.drain()
        assert "from_user_id" not in last_value(h)["messages"][0]
        await h.client.patch("/control/config", json={"identity_shape": "bsuid"})
        await h.inbound()
        await h.drain()
        assert "from_user_id" in last_value(h)["messages"][0]
        bad = await h.client.patch("/control/config", json={"identity_shape": "v2"})
        assert bad.status_code == 422


class TestUsersControl:
    async def test_read_and_update(self, h: Harness) -> None:
        record = await h.user()
        assert record == {
            "wa_id": DOCTOR,
            "business_portfolio_id": "bp-1",
            "user_id": record["user_id"],
            "parent_user_id": None,
            "username": None,
            "phone_shared": True,
            "name": None,
        }
        updated = await h.user(username="dr.ana.gynae", phone_shared=False)
        assert (updated["username"], updated["phone_shared"]) == ("dr.ana.gynae", False)
        assert updated["user_id"] == record["user_id"]
        cleared = await h.user(username=None)
        assert (cleared["username"], cleared["phone_shared"]) == (None, False)

    async def test_read_by_bsuid_and_formatted_phone(self, h: Harness) -> None:
        user_id = (await h.user())["user_id"]
        by_bsuid = await h.client.get(f"/control/users/{user_id}")
        assert by_bsuid.json()["wa_id"] == DOCTOR
        formatted = await h.client.get("/control/users/+52 1 55 1234 5678")
        assert formatted.json()["user_id"] == user_id

    async def test_invalid_requests(self, h: Harness) -> None:
        bad_name = await h.client.put(f"/control/users/{DOCTOR}", json={"username": "Dr Ana!"})
        assert bad_name.status_code == 422
        assert (await h.client.get("/control/users/12")).status_code == 422
        assert (await h.client.get("/control/users/IN.1648738043044942")).status_code == 404
        unknown = await h.client.get(f"/control/users/{DOCTOR}", params={"phone_number_id": "0"})
        assert unknown.status_code == 404


class TestChangeNumber:
    NEW = "5215598765432"

    async def change(self, h: Harness, wa_id: str = DOCTOR, **body: Any) -> httpx.Response:
        payload = {"new_wa_id": self.NEW, **body}
        return await h.client.post(f"/control/users/{wa_id}/change-number", json=payload)

    async def test_shared_phone_is_user_changed_number(self, h: Harness) -> None:
        await h.inbound()
        wamid = h.wamid(await h.send_text())
        old = await h.user()
        response = await self.change(h)
        assert response.status_code == 200, response.text
        new = response.json()
        assert new["wa_id"] == self.NEW and new["name"] == "Dr. Ana Ruiz"
        assert USER_ID.match(new["user_id"]) and new["user_id"] != old["user_id"]
        await h.drain()
        value = system_values(h)[-1]
        assert "contacts" not in value
        message = value["messages"][0]
        assert list(message) == ["from", "from_user_id", "id", "timestamp", "type", "system"]
        assert (message["from"], message["from_user_id"]) == (DOCTOR, old["user_id"])
        assert message["system"] == {
            "body": f"User Dr. Ana Ruiz changed from {DOCTOR} to {self.NEW}",
            "type": "user_changed_number",
            "wa_id": self.NEW,
            "user_id": new["user_id"],
            "previous_user_id": old["user_id"],
        }
        # History and the open window moved with the user.
        received = (await h.client.get("/control/received", params={"wa_id": self.NEW})).json()
        assert [m["wamid"] for m in received["messages"]] == [wamid]
        assert [m["message"]["type"] for m in received["sent"]] == ["text", "system"]
        assert h.sim.window_open(PNID, self.NEW) and not h.sim.window_open(PNID, DOCTOR)
        assert list(await statuses_of(h, await h.send_text(to=self.NEW))) == [
            "sent",
            "delivered",
            "read",
        ]
        # The old BSUID names no one now.
        gone = await statuses_of(h, await send_to_user(h, old["user_id"]))
        assert gone["failed"]["errors"][0]["code"] == 131026

    async def test_hidden_phone_is_user_changed_user_id(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(parent_bsuids=True)
        await h.inbound(phone_shared=False)
        old = await h.user()
        new = (await self.change(h)).json()
        await h.drain()
        message = system_values(h)[-1]["messages"][0]
        assert "from" not in message
        assert message["from_user_id"] == old["user_id"]
        assert message["from_parent_user_id"] == old["parent_user_id"]
        assert message["system"] == {
            "body": "User Dr. Ana Ruiz changed their WhatsApp account",
            "type": "user_changed_user_id",
            "user_id": new["user_id"],
            "previous_user_id": old["user_id"],
            "parent_user_id": new["parent_user_id"],
            "previous_parent_user_id": old["parent_user_id"],
        }
        assert self.NEW not in h.receiver.posts[-1].body.decode()

    async def test_legacy_shape(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(identity_shape="legacy")
        await h.inbound(phone_shared=False)
        await self.change(h)
        await h.drain()
        message = system_values(h)[-1]["messages"][0]
        assert message["from"] == DOCTOR and "from_user_id" not in message
        assert message["system"] == {
            "body": f"User Dr. Ana Ruiz changed from {DOCTOR} to {self.NEW}",
            "type": "user_changed_number",
            "wa_id": self.NEW,
        }

    async def test_only_numbers_the_user_talked_with_are_told(self, h: Harness) -> None:
        await h.register("777", display_phone_number="15550000777")
        await h.inbound()
        await self.change(h)
        await h.drain()
        assert [v["metadata"]["phone_number_id"] for v in system_values(h)] == [PNID]
        await self.change(h, self.NEW, new_wa_id=DOCTOR, phone_number_id="777")
        await h.drain()
        assert system_values(h)[-1]["metadata"]["phone_number_id"] == "777"

    async def test_a_recycled_number_is_a_new_user(self, h: Harness) -> None:
        await h.inbound()
        old = await h.user()
        await self.change(h)
        newcomer = await h.user()
        assert newcomer["wa_id"] == DOCTOR and newcomer["name"] is None
        assert newcomer["user_id"] not in (old["user_id"], (await h.user(self.NEW))["user_id"])

    async def test_refusals(self, h: Harness) -> None:
        await h.inbound()
        await h.user(OTHER_DOCTOR)
        assert (await self.change(h, new_wa_id=OTHER_DOCTOR)).status_code == 409
        assert (await self.change(h, new_wa_id=DOCTOR)).status_code == 422
        assert (await self.change(h, new_wa_id="not a phone")).status_code == 422

    async def test_a_persona_keeps_being_one(self, h: Harness) -> None:
        personas = (await h.client.post("/control/personas", json={"count": 1})).json()
        doctor = personas["personas"][0]["wa_id"]
        await self.change(h, doctor)
        assert h.sim.personas.is_persona(self.NEW) and not h.sim.personas.is_persona(doctor)


class TestIdentityChanged:
    async def test_security_code_change(self, h: Harness) -> None:
        await h.inbound()
        user_id = (await h.user())["user_id"]
        response = await h.client.post(f"/control/users/{DOCTOR}/identity-changed")
        assert response.status_code == 200, response.text
        key_hash = response.json()["hash"]
        base64.b64decode(key_hash, validate=True)
        await h.drain()
        value = last_value(h)
        assert "contacts" not in value
        message = value["messages"][0]
        assert message == {
            "from": DOCTOR,
            "from_user_id": user_id,
            "id": message["id"],
            "timestamp": message["timestamp"],
            "type": "system",
            "identity": {
                "acknowledged": True,
                "created_timestamp": int(message["timestamp"]),
                "hash": key_hash,
            },
            "system": {
                "body": "User Dr. Ana Ruiz's security code changed",
                "customer": DOCTOR,
                "type": "customer_identity_changed",
            },
        }
        assert response.json()["messages"] == [{"phone_number_id": PNID, "message": message}]

    async def test_needs_a_number_to_tell(self, h: Harness) -> None:
        url = f"/control/users/{DOCTOR}/identity-changed"
        assert (await h.client.post(url)).status_code == 422
        told = await h.client.post(url, json={"phone_number_id": PNID})
        assert told.status_code == 200


class TestUserPreferences:
    async def test_hidden_phone_opt_out_by_bsuid(self, h: Harness) -> None:
        await h.template(name="promo", category="MARKETING", components=[])
        await h.inbound(phone_shared=False)
        user_id = (await h.user())["user_id"]
        preference = {"category": "marketing_messages", "value": "stop", "timestamp": 1751247548}
        event = {
            "field": "user_preferences",
            "phone_number_id": PNID,
            "value": {"user_preferences": [{"user_id": user_id, **preference}]},
        }
        assert (await h.client.post("/control/management", json=event)).status_code == 200
        await h.drain()
        assert last_value(h)["user_preferences"] == [{"user_id": user_id, **preference}]
        payload = template_send("promo")
        del payload["to"]
        statuses = await statuses_of(h, await h.send({**payload, "recipient": user_id}))
        assert statuses["failed"]["errors"][0]["code"] == 131050
