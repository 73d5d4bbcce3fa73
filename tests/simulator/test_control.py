"""Control plane: numbers, inbound message types, config, clock, reset and the control token."""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulator.harness import DOCTOR, PNID, Harness, HarnessFactory

pytestmark = pytest.mark.anyio


class TestControlToken:
    async def test_token_is_required_when_configured(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(register=False, control_token="ctl")
        refused = await h.client.get("/control/numbers")
        assert refused.status_code == 401
        assert refused.json()["error"] == "NotAuthenticated"
        allowed = await h.client.get("/control/numbers", headers={"X-Control-Token": "ctl"})
        assert allowed.status_code == 200


class TestNumbers:
    async def test_register_update_and_list(self, h: Harness) -> None:
        updated = await h.register(quality_rating="YELLOW", tier="TIER_100K")
        assert updated["quality_rating"] == "YELLOW"
        assert updated["tier"] == "TIER_100K"
        assert updated["display_phone_number"] == "+1 555-078-3881"
        listed = (await h.client.get("/control/numbers")).json()["data"]
        assert [n["phone_number_id"] for n in listed] == [PNID]
        assert "access_token" not in listed[0] and "app_secret" not in listed[0]

    async def test_defaults_for_a_bare_registration(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(register=False)
        response = await h.client.post("/control/numbers/555", json={})
        body = response.json()
        assert body["status"] == "CONNECTED" and body["throughput_level"] == "STANDARD"

    async def test_unknown_fields_are_rejected(self, h: Harness) -> None:
        response = await h.client.post(f"/control/numbers/{PNID}", json={"colour": "red"})
        assert response.status_code == 422


class TestInboundTypes:
    async def value(self, h: Harness) -> dict[str, Any]:
        await h.drain()
        value: dict[str, Any] = h.receiver.values()[-1]
        return value

    async def test_reply_with_context(self, h: Harness) -> None:
        await h.inbound()
        wamid = h.wamid(await h.send_text(body="¿Qué curso le interesa?"))
        reply = {"type": "button_reply", "button_reply": {"id": "cme-1", "title": "Laparoscopía"}}
        await h.inbound(type="interactive", interactive=reply, context={"id": wamid})
        await h.drain()
        message = h.receiver.messages()[-1]
        assert message["context"] == {"from": "15550783881", "id": wamid}
        assert message["interactive"] == reply

    async def test_forwarded_flags(self, h: Harness) -> None:
        await h.inbound(context={"forwarded": True, "frequently_forwarded": True})
        message = (await self.value(h))["messages"][0]
        assert message["context"] == {"forwarded": True, "frequently_forwarded": True}

    @pytest.mark.parametrize(
        ("kind", "body"),
        [
            ("button", {"payload": "YES", "text": "Sí, me interesa"}),
            ("interactive", {"type": "list_reply", "list_reply": {"id": "r1", "title": "Kit"}}),
            (
                "interactive",
                {"type": "nfm_reply", "nfm_reply": {"response_json": "{}", "name": "flow"}},
            ),
            ("location", {"latitude": 19.4, "longitude": -99.1, "name": "Hospital"}),
            ("order", {"catalog_id": "c1", "text": "", "product_items": []}),
            ("revoke", {"original_message_id": "wamid.X"}),
            ("edit", {"original_message_id": "wamid.X", "message": {"type": "text"}}),
        ],
    )
    async def test_pass_through_types(self, h: Harness, kind: str, body: dict[str, Any]) -> None:
        await h.inbound(type=kind, **{kind: body})
        message = (await self.value(h))["messages"][0]
        assert message["type"] == kind and message[kind] == body

    async def test_contacts_type(self, h: Harness) -> None:
        contacts = [{"name": {"formatted_name": "Dr. Luis"}, "phones": [{"phone": "+5255"}]}]
        await h.inbound(type="contacts", contacts=contacts)
        assert (await self.value(h))["messages"][0]["contacts"] == contacts

    async def test_reaction_and_removal(self, h: Harness) -> None:
        await h.inbound()
        wamid = h.wamid(await h.send_text())
        await h.inbound(type="reaction", reaction={"message_id": wamid, "emoji": "😮"})
        await h.inbound(type="reaction", reaction={"message_id": wamid})
        await h.drain()
        reactions = [m["reaction"] for m in h.receiver.messages() if m["type"] == "reaction"]
        assert reactions == [{"message_id": wamid, "emoji": "😮"}, {"message_id": wamid}]

    async def test_unsupported_carries_131051(self, h: Harness) -> None:
        await h.inbound(type="unsupported", unsupported={"type": "poll"})
        message = (await self.value(h))["messages"][0]
        assert message["errors"][0]["code"] == 131051
        assert message["unsupported"] == {"type": "poll"}

    async def test_system_message_has_no_contacts_and_opens_no_window(self, h: Harness) -> None:
        system = {"body": "User changed number", "wa_id": "5215599999999"}
        await h.inbound(type="system", system={**system, "type": "user_changed_number"})
        value = await self.value(h)
        assert "contacts" not in value
        assert not h.sim.window_open(PNID, DOCTOR)

    async def test_value_level_errors(self, h: Harness) -> None:
        error = {"code": 131000, "title": "Something went wrong", "message": "x"}
        await h.inbound(value_errors=[error])
        assert (await self.value(h))["errors"] == [error]

    async def test_invalid_inbound(self, h: Harness) -> None:
        bad = {"phone_number_id": PNID, "from": DOCTOR, "type": "hologram"}
        assert (await h.client.post("/control/inbound", json=bad)).status_code == 422
        unknown = {"phone_number_id": "0", "from": DOCTOR, "type": "text", "text": {"body": "x"}}
        assert (await h.client.post("/control/inbound", json=unknown)).status_code == 404


class TestConfigClockReset:
    async def test_patch_config_switches_window_mode(self, h: Harness) -> None:
        patched = await h.client.patch("/control/config", json={"window_enforcement": "sync"})
        assert patched.json()["window_enforcement"] == "sync"
        assert (await h.send_text()).json()["error"]["code"] == 131047
        bad = await h.client.patch("/control/config", json={"time_compression": 0})
        assert bad.status_code == 422

    async def test_patch_status_merges(self, h: Harness) -> None:
        await h.client.patch("/control/config", json={"status": {"read": False}})
        config = (await h.client.get("/control/config")).json()
        assert config["status"]["read"] is False and config["status"]["deliver"] is True

    async def test_clock_advance_closes_window(self, h: Harness) -> None:
        await h.inbound()
        before = h.clock.now()
        response = await h.client.post("/control/clock/advance", json={"seconds": 90_000})
        assert response.json()["now"] == before + 90_000
        assert not h.sim.window_open(PNID, DOCTOR)

    async def test_drain_endpoint(self, h: Harness) -> None:
        await h.inbound()
        assert (await h.client.post("/control/drain", json={"timeout": 5})).json() == {"idle": True}
        assert len(h.receiver.posts) == 1

    async def test_reset(self, h: Harness) -> None:
        await h.template()
        await h.inbound()
        await h.drain()
        await h.client.post("/control/reset", json={"keep_numbers": True})
        assert (await h.client.get("/control/received", params={"wa_id": DOCTOR})).json()[
            "sent"
        ] == []
        assert (await h.client.get("/control/deliveries")).json()["data"] == []
        assert (await h.client.get("/control/templates")).json()["data"] == []
        assert len((await h.client.get("/control/numbers")).json()["data"]) == 1
        await h.client.post("/control/reset")
        assert (await h.client.get("/control/numbers")).json()["data"] == []


def test_outbound_log_lists_accepted_sends_and_counts_refusals() -> None:
    from fastapi.testclient import TestClient

    from surgiai.simulator.app import create_simulator_app

    app = create_simulator_app()
    with TestClient(app) as client:
        client.post(
            "/control/numbers/111",
            json={
                "waba_id": "222",
                "display_phone_number": "15550001111",
                "access_token": "tok-123456",
            },
        )
        client.post("/control/windows", json={"phone_number_id": "111", "wa_id": "919800000001"})
        headers = {"Authorization": "Bearer tok-123456"}
        body = {
            "messaging_product": "whatsapp",
            "to": "919800000001",
            "type": "text",
            "text": {"body": "hi"},
        }
        url = "/graph/v25.0/111/messages"
        assert client.post(url, json=body, headers=headers).status_code == 200
        too_long = {**body, "text": {"body": "x" * 5000}}
        assert client.post(url, json=too_long, headers=headers).status_code == 400
        log = client.get("/control/outbound?phone_number_id=111").json()
        assert [item["wa_id"] for item in log["accepted"]] == ["919800000001"]
        assert log["refusals"] == {"100": 1}
