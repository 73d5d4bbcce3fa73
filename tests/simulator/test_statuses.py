"""Status webhook lifecycle: order, pricing, conversation, failures and the status knobs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulator.harness import DOCTOR, Harness, HarnessFactory, template_send

pytestmark = pytest.mark.anyio

ERROR_KEYS = ["code", "title", "message", "error_data", "href"]


async def lifecycle(h: Harness, response: Any) -> list[dict[str, Any]]:
    wamid = h.wamid(response)
    await h.drain()
    return h.receiver.statuses(wamid)


def names(statuses: list[dict[str, Any]]) -> list[str]:
    return [status["status"] for status in statuses]


async def set_behaviour(h: Harness, wa_id: str | None = None, **knobs: Any) -> None:
    body: dict[str, Any] = {"behaviour": knobs}
    if wa_id is not None:
        body["wa_id"] = wa_id
    response = await h.client.put("/control/statuses/behaviour", json=body)
    assert response.status_code == 200, response.text


class TestLifecycle:
    async def test_sent_delivered_read_in_order(self, h: Harness) -> None:
        await h.inbound()
        statuses = await lifecycle(h, await h.send_text())
        assert names(statuses) == ["sent", "delivered", "read"]
        timestamps = [int(status["timestamp"]) for status in statuses]
        assert timestamps == sorted(timestamps)
        assert all(isinstance(status["timestamp"], str) for status in statuses)
        assert {status["recipient_id"] for status in statuses} == {DOCTOR}
        assert "conversation" not in statuses[0]

    async def test_voice_note_is_played_after_read(self, h: Harness) -> None:
        await h.inbound()
        audio = {"link": "https://cdn.example/note.ogg", "voice": True}
        statuses = await lifecycle(h, await h.send({"to": DOCTOR, "type": "audio", "audio": audio}))
        assert names(statuses) == ["sent", "delivered", "read", "played"]

    async def test_plain_audio_is_not_played(self, h: Harness) -> None:
        await h.inbound()
        audio = {"link": "https://cdn.example/note.mp3"}
        statuses = await lifecycle(h, await h.send({"to": DOCTOR, "type": "audio", "audio": audio}))
        assert names(statuses) == ["sent", "delivered", "read"]

    async def test_reaction_only_gets_sent(self, h: Harness) -> None:
        inbound = await h.inbound()
        reaction = {"message_id": inbound["wamid"], "emoji": "👍"}
        statuses = await lifecycle(
            h, await h.send({"to": DOCTOR, "type": "reaction", "reaction": reaction})
        )
        assert names(statuses) == ["sent"]

    async def test_reaction_to_unknown_message_fails_131009(self, h: Harness) -> None:
        await h.inbound()
        reaction = {"message_id": "wamid.elsewhere", "emoji": "👍"}
        statuses = await lifecycle(
            h, await h.send({"to": DOCTOR, "type": "reaction", "reaction": reaction})
        )
        assert names(statuses) == ["failed"]
        assert statuses[0]["errors"][0]["code"] == 131009

    async def test_biz_opaque_callback_data_is_echoed(self, h: Harness) -> None:
        await h.inbound()
        statuses = await lifecycle(h, await h.send_text(biz_opaque_callback_data="order-77"))
        assert [s["biz_opaque_callback_data"] for s in statuses] == ["order-77"] * 3

    async def test_received_log_has_request_and_statuses(self, h: Harness) -> None:
        await h.inbound()
        wamid = h.wamid(await h.send_text(to="+52 1 55 1234 5678", body="Precio: $1,200"))
        await h.drain()
        received = (await h.client.get("/control/received", params={"wa_id": DOCTOR})).json()
        message = received["messages"][0]
        assert message["wamid"] == wamid
        assert message["request"] == {
            "messaging_product": "whatsapp",
            "to": "+52 1 55 1234 5678",
            "type": "text",
            "text": {"body": "Precio: $1,200"},
        }
        assert [s["status"] for s in message["statuses"]] == ["sent", "delivered", "read"]
        assert all(s["timestamp"].isdigit() for s in message["statuses"])


class TestPricing:
    async def test_pricing_on_exactly_one_status(self, h: Harness) -> None:
        await h.inbound()
        statuses = await lifecycle(h, await h.send_text())
        priced = [s for s in statuses if "pricing" in s]
        assert names(priced) == ["sent"]
        assert priced[0]["pricing"] == {
            "billable": False,
            "pricing_model": "PMP",
            "type": "free_customer_service",
            "category": "service",
        }

    async def test_pricing_can_ride_on_delivered(self, h: Harness) -> None:
        await h.inbound()
        await set_behaviour(h, pricing_on="delivered")
        statuses = await lifecycle(h, await h.send_text())
        assert names([s for s in statuses if "pricing" in s]) == ["delivered"]

    async def test_marketing_template_is_billable(self, h: Harness) -> None:
        await h.template(name="promo", category="MARKETING", components=[])
        statuses = await lifecycle(h, await h.send(template_send("promo")))
        assert statuses[0]["pricing"] == {
            "billable": True,
            "pricing_model": "PMP",
            "type": "regular",
            "category": "marketing",
        }

    async def test_utility_template_is_free_only_inside_window(self, h: Harness) -> None:
        await h.template()
        outside = await lifecycle(h, await h.send(template_send("order_update", "a", "b")))
        assert outside[0]["pricing"]["type"] == "regular"
        await h.inbound()
        inside = await lifecycle(h, await h.send(template_send("order_update", "a", "b")))
        assert inside[0]["pricing"]["type"] == "free_customer_service"
        assert inside[0]["pricing"]["category"] == "utility"


class TestConversation:
    async def test_included_for_versions_before_v24(self, h: Harness) -> None:
        await h.template()
        statuses = await lifecycle(
            h, await h.send(template_send("order_update", "a", "b"), version="v23.0")
        )
        conversations = [s["conversation"] for s in statuses]
        assert len({c["id"] for c in conversations}) == 1
        assert "expiration_timestamp" in conversations[0]
        assert all("expiration_timestamp" not in c for c in conversations[1:])
        assert conversations[0]["origin"] == {"type": "utility"}

    async def test_can_be_forced_on_for_v24(self, h: Harness) -> None:
        await h.inbound()
        await set_behaviour(h, conversation="always")
        statuses = await lifecycle(h, await h.send_text())
        assert all("conversation" in s for s in statuses)


class TestFailedShape:
    async def test_failed_status_shape(self, h: Harness) -> None:
        statuses = await lifecycle(
            h, await h.send_text(version="v23.0", biz_opaque_callback_data="t-1")
        )
        assert len(statuses) == 1
        failed = statuses[0]
        assert list(failed) == [
            "id",
            "status",
            "timestamp",
            "recipient_id",
            "biz_opaque_callback_data",
            "errors",
        ]
        error = failed["errors"][0]
        assert list(error) == ERROR_KEYS
        assert error["code"] == 131047
        assert error["title"] == "Re-engagement message"
        assert error["message"] == error["title"]
        assert list(error["error_data"]) == ["details"]
        assert error["href"].endswith("/error-codes")


class TestKnobs:
    async def test_skip_delivered(self, h: Harness) -> None:
        await h.inbound()
        await set_behaviour(h, skip_delivered=True)
        assert names(await lifecycle(h, await h.send_text())) == ["sent", "read"]

    async def test_never_delivered_and_never_read(self, h: Harness) -> None:
        await h.inbound()
        await set_behaviour(h, deliver=False)
        assert names(await lifecycle(h, await h.send_text())) == ["sent"]
        await set_behaviour(h, read=False)
        assert names(await lifecycle(h, await h.send_text())) == ["sent", "delivered"]

    async def test_reorder_keeps_true_timestamps(self, h: Harness) -> None:
        await h.inbound()
        await set_behaviour(h, reorder=True, delivered_delay=5, read_delay=5)
        statuses = await lifecycle(h, await h.send_text())
        assert names(statuses) == ["read", "delivered", "sent"]
        stamps = {s["status"]: int(s["timestamp"]) for s in statuses}
        assert stamps["sent"] < stamps["delivered"] < stamps["read"]

    async def test_duplicates(self, h: Harness) -> None:
        await h.inbound()
        await set_behaviour(h, duplicate_probability=1.0)
        statuses = await lifecycle(h, await h.send_text())
        assert sorted(names(statuses)) == sorted(["sent", "delivered", "read"] * 2)

    async def test_per_recipient_behaviour(self, h: Harness) -> None:
        await h.inbound()
        await h.inbound(**{"from": "5215500000002"})
        await set_behaviour(h, wa_id="5215500000002", read=False)
        assert names(await lifecycle(h, await h.send_text())) == ["sent", "delivered", "read"]
        other = await h.send_text(to="5215500000002")
        assert names(await lifecycle(h, other)) == ["sent", "delivered"]

    async def test_forced_statuses(self, h: Harness) -> None:
        await h.inbound()
        await set_behaviour(h, deliver=False)
        wamid = h.wamid(await h.send_text())
        await h.drain()
        body = {"wamid": wamid, "status": "failed", "error_code": 131026}
        assert (await h.client.post("/control/statuses", json=body)).status_code == 200
        await h.drain()
        statuses = h.receiver.statuses(wamid)
        assert names(statuses) == ["sent", "failed"]
        assert statuses[1]["errors"][0]["code"] == 131026
        missing = {"wamid": "wamid.none", "status": "read"}
        assert (await h.client.post("/control/statuses", json=missing)).status_code == 404


class TestHeldTemplates:
    async def test_held_message_is_sent_later(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(held_release_delay=500)
        await h.template(name="promo", category="MARKETING", components=[], paced=True)
        wamid = h.wamid(await h.send(template_send("promo")))
        await h.drain()
        record = h.sim.state.outbound[wamid]
        assert record.statuses[0].timestamp - record.accepted_at >= 500

    async def test_held_message_can_be_dropped_with_132015(self, h: Harness) -> None:
        await h.template(
            name="promo", category="MARKETING", components=[], paced=True, held_outcome="dropped"
        )
        statuses = await lifecycle(h, await h.send(template_send("promo")))
        assert names(statuses) == ["failed"]
        assert statuses[0]["errors"][0]["code"] == 132015
