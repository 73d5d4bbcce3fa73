"""Scripted recipients, account toggles, maintenance mode and injected faults."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.simulator.harness import DOCTOR, Harness, HarnessFactory, template_send

pytestmark = pytest.mark.anyio

US_DOCTOR = "16505551234"


async def failed_code(h: Harness, response: httpx.Response) -> int | None:
    wamid = h.wamid(response)
    await h.drain()
    statuses = h.receiver.statuses(wamid)
    failed = [s for s in statuses if s["status"] == "failed"]
    if not failed:
        return None
    assert [s["status"] for s in statuses] == ["failed"]
    code: int = failed[0]["errors"][0]["code"]
    return code


async def script(h: Harness, wa_id: str = DOCTOR, **flags: Any) -> None:
    response = await h.client.post(f"/control/recipients/{wa_id}", json=flags)
    assert response.status_code == 200, response.text


@pytest.fixture
async def marketing(h: Harness) -> Harness:
    await h.template(name="promo", category="MARKETING", components=[])
    await h.template()
    return h


class TestScriptedRecipients:
    async def test_undeliverable_fails_every_message_131026(self, marketing: Harness) -> None:
        h = marketing
        await script(h, undeliverable=True)
        assert await failed_code(h, await h.send(template_send("order_update", "a", "b"))) == 131026

    async def test_opted_out_blocks_marketing_only(self, marketing: Harness) -> None:
        h = marketing
        await script(h, opted_out=True)
        assert await failed_code(h, await h.send(template_send("promo"))) == 131050
        assert await failed_code(h, await h.send(template_send("order_update", "a", "b"))) is None

    async def test_experiment_is_130472(self, marketing: Harness) -> None:
        await script(marketing, experiment=True)
        assert await failed_code(marketing, await marketing.send(template_send("promo"))) == 130472

    async def test_marketing_cap_cooldown_extends_on_resend(self, marketing: Harness) -> None:
        h = marketing
        await script(h, marketing_capped=True)
        assert await failed_code(h, await h.send(template_send("promo"))) == 131049
        h.clock.advance(23 * 3600)
        # A resend inside the cooldown fails and pushes the block another 24 h out.
        assert await failed_code(h, await h.send(template_send("promo"))) == 131049
        h.clock.advance(23 * 3600)
        assert await failed_code(h, await h.send(template_send("promo"))) == 131049
        h.clock.advance(24 * 3600 + 1)
        assert await failed_code(h, await h.send(template_send("promo"))) is None

    async def test_cap_does_not_touch_utility_templates(self, marketing: Harness) -> None:
        h = marketing
        await script(h, marketing_capped=True)
        assert await failed_code(h, await h.send(template_send("order_update", "a", "b"))) is None

    async def test_us_numbers_get_no_marketing(self, marketing: Harness) -> None:
        h = marketing
        code = await failed_code(h, await h.send(template_send("promo", to=f"+{US_DOCTOR}")))
        assert code == 131049
        utility = await h.send(template_send("order_update", "a", "b", to=f"+{US_DOCTOR}"))
        assert await failed_code(h, utility) is None

    async def test_sync_recipient_errors(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(recipient_errors_sync=True)
        await h.template()
        await script(h, undeliverable=True)
        response = await h.send(template_send("order_update", "a", "b"))
        assert response.status_code == 400
        assert response.json()["error"]["code"] == 131026

    async def test_recipient_list(self, h: Harness) -> None:
        await script(h, opted_out=True)
        data = (await h.client.get("/control/recipients")).json()["data"]
        assert data[0]["wa_id"] == DOCTOR and data[0]["opted_out"] is True


class TestAccountToggles:
    @pytest.mark.parametrize(
        ("flag", "code"),
        [
            ("spam_limited", 131048),
            ("restricted", 368),
            ("locked", 131031),
            ("payment_issue", 131042),
        ],
    )
    async def test_toggle_refuses_sends(self, h: Harness, flag: str, code: int) -> None:
        await h.inbound()
        await h.register(**{flag: True})
        response = await h.send_text()
        assert response.status_code == 400
        assert response.json()["error"]["code"] == code
        await h.register(**{flag: False})
        assert (await h.send_text()).status_code == 200

    async def test_disconnected_number_is_refused(self, h: Harness) -> None:
        await h.register(status="DISCONNECTED")
        assert (await h.send_text()).json()["error"]["code"] == 133010

    async def test_upgrade_gives_131057_then_high_and_a_webhook(self, h: Harness) -> None:
        await h.inbound()
        response = await h.client.post("/control/numbers/106540352242922/throughput-upgrade")
        assert response.status_code == 200
        assert (await h.send_text()).json()["error"]["code"] == 131057
        await h.drain()
        assert (await h.send_text()).status_code == 200
        fields = await h.client.get(
            "/graph/v25.0/106540352242922",
            params={"fields": "throughput"},
            headers={"Authorization": "Bearer sim-access-token"},
        )
        assert fields.json()["throughput"] == {"level": "HIGH"}
        updates = [
            change
            for post in h.receiver.posts
            for entry in post.payload["entry"]
            for change in entry["changes"]
            if change["field"] == "phone_number_quality_update"
        ]
        assert updates[0]["value"]["event"] == "THROUGHPUT_UPGRADE"


class TestFaults:
    @pytest.mark.parametrize("code", [131000, 131016, 2, 130429, 131048, 368, 131031])
    async def test_sync_fault_with_count(self, h: Harness, code: int) -> None:
        await h.inbound()
        fault = await h.client.post("/control/faults", json={"code": code, "count": 2})
        assert fault.status_code == 200
        for _ in range(2):
            response = await h.send_text()
            assert response.json()["error"]["code"] == code
        assert (await h.send_text()).status_code == 200

    async def test_async_fault_becomes_failed_status(self, h: Harness) -> None:
        await h.inbound()
        await h.client.post("/control/faults", json={"code": 131000, "mode": "async"})
        assert await failed_code(h, await h.send_text()) == 131000

    async def test_rate_fault_and_http_status(self, h: Harness) -> None:
        await h.inbound()
        body = {"code": 131016, "rate": 1.0, "http_status": 503}
        await h.client.post("/control/faults", json=body)
        response = await h.send_text()
        assert response.status_code == 503
        assert (await h.client.get("/control/faults")).json()["data"][0]["hits"] == 1
        assert (await h.client.delete("/control/faults")).json() == {"removed": 1}
        assert (await h.send_text()).status_code == 200

    async def test_fault_scoped_to_recipient(self, h: Harness) -> None:
        await h.template()
        body = {"code": 131026, "mode": "async", "wa_id": "+52 1 55 0000 0001", "count": 5}
        await h.client.post("/control/faults", json=body)
        other = await h.send(template_send("order_update", "a", "b"))
        assert await failed_code(h, other) is None
        blocked = await h.send(template_send("order_update", "a", "b", to="5215500000001"))
        assert await failed_code(h, blocked) == 131026
