"""Customer service window, throughput, pair rate and messaging-limit tiers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from surgiai.simulator.errors import GraphError
from surgiai.simulator.limits import RollingUniqueRecipients, TokenBucket
from tests.simulator.harness import (
    DOCTOR,
    PNID,
    TOKEN,
    Harness,
    HarnessFactory,
    template_send,
)

pytestmark = pytest.mark.anyio


def send_direct(h: Harness, payload: dict[str, Any]) -> dict[str, Any] | GraphError:
    """The same code path as the HTTP route, without HTTP (for sends in bulk)."""
    try:
        return h.sim.send_message(
            PNID, "v25.0", TOKEN, {"messaging_product": "whatsapp", **payload}
        )
    except GraphError as error:
        return error


def failure_code(h: Harness, wamid: str) -> int | None:
    statuses = h.sim.state.outbound[wamid].statuses
    for record in statuses:
        if record.status == "failed":
            assert record.errors is not None
            code: int = record.errors[0]["code"]
            return code
    return None


class TestTokenBucket:
    def test_capacity_then_refill(self) -> None:
        bucket = TokenBucket(rate=2.0, capacity=4.0, now=0.0)
        assert all(bucket.try_take(0.0) for _ in range(4))
        assert not bucket.try_take(0.0)
        assert bucket.try_take(0.5)
        assert not bucket.try_take(0.5)
        assert bucket.tokens(100.0) == 4.0

    def test_rolling_unique_recipients(self) -> None:
        reach = RollingUniqueRecipients(window=10.0)
        assert reach.admit("a", 0.0, limit=2)
        assert reach.admit("b", 1.0, limit=2)
        assert reach.admit("a", 2.0, limit=2)
        assert not reach.admit("c", 3.0, limit=2)
        assert reach.admit("c", 11.5, limit=2)
        assert reach.count(11.5) == 2


class TestCustomerServiceWindow:
    async def test_outside_window_is_accepted_then_fails_131047(self, h: Harness) -> None:
        response = await h.send_text()
        wamid = h.wamid(response)
        await h.drain()
        statuses = h.receiver.statuses(wamid)
        assert [s["status"] for s in statuses] == ["failed"]
        assert statuses[0]["errors"][0]["code"] == 131047
        assert "pricing" not in statuses[0]

    async def test_sync_mode_refuses_with_131047(self, make_harness: HarnessFactory) -> None:
        harness: Harness = await make_harness(window_enforcement="sync")
        response = await harness.send_text()
        assert response.status_code == 400
        assert response.json()["error"]["code"] == 131047

    async def test_templates_are_allowed_outside_window(self, h: Harness) -> None:
        await h.template()
        wamid = h.wamid(await h.send(template_send("order_update", "a", "b")))
        await h.drain()
        assert [s["status"] for s in h.receiver.statuses(wamid)] == ["sent", "delivered", "read"]

    async def test_inbound_opens_window_for_24_hours(self, h: Harness) -> None:
        await h.inbound()
        h.clock.advance(24 * 3600 - 1)
        inside = h.wamid(await h.send_text(body="inside"))
        h.clock.advance(2)
        outside = h.wamid(await h.send_text(body="outside"))
        await h.drain()
        assert failure_code(h, inside) is None
        assert failure_code(h, outside) == 131047

    async def test_new_inbound_refreshes_window(self, h: Harness) -> None:
        await h.inbound()
        h.clock.advance(20 * 3600)
        await h.inbound(type="text", text={"body": "¿sigue disponible?"})
        h.clock.advance(20 * 3600)
        wamid = h.wamid(await h.send_text())
        await h.drain()
        assert failure_code(h, wamid) is None

    async def test_control_window_acts_like_a_call(self, h: Harness) -> None:
        body = {"phone_number_id": PNID, "wa_id": DOCTOR, "seconds_ago": 3600}
        assert (await h.client.post("/control/windows", json=body)).status_code == 200
        wamid = h.wamid(await h.send_text())
        await h.drain()
        assert failure_code(h, wamid) is None


class TestThroughput:
    async def send_burst(self, h: Harness, count: int) -> list[dict[str, Any] | GraphError]:
        await h.template()
        return [
            send_direct(h, template_send("order_update", "a", "b", to=f"521550{i:07d}"))
            for i in range(count)
        ]

    @pytest.mark.parametrize(
        ("level", "mps"), [("STANDARD", 80), ("HIGH", 1000), ("COEXISTENCE", 20)]
    )
    async def test_bucket_per_level(self, h: Harness, level: str, mps: int) -> None:
        await h.register(throughput_level=level, tier="TIER_UNLIMITED", webhook_url=None)
        results = await self.send_burst(h, mps + 1)
        assert all(isinstance(r, dict) for r in results[:mps])
        last = results[mps]
        assert isinstance(last, GraphError) and last.code == 130429

    async def test_bucket_refills_with_time(self, h: Harness) -> None:
        await h.register(tier="TIER_UNLIMITED", webhook_url=None)
        await self.send_burst(h, 80)
        refused = send_direct(h, template_send("order_update", "a", "b", to="5215590000001"))
        assert isinstance(refused, GraphError)
        h.clock.advance(0.125)
        results = [
            send_direct(h, template_send("order_update", "a", "b", to=f"52155910000{i:02d}"))
            for i in range(11)
        ]
        assert [isinstance(r, dict) for r in results] == [True] * 10 + [False]

    async def test_http_error_is_130429(self, h: Harness) -> None:
        await h.register(throughput_level="COEXISTENCE", tier="TIER_UNLIMITED", webhook_url=None)
        await self.send_burst(h, 20)
        response = await h.send(template_send("order_update", "a", "b", to="5215599999999"))
        assert response.status_code == 400
        assert response.json()["error"]["message"] == "(#130429) Rate limit hit"

    async def test_numbers_have_separate_buckets(self, h: Harness) -> None:
        await h.register(throughput_level="COEXISTENCE", tier="TIER_UNLIMITED", webhook_url=None)
        await h.register("222", throughput_level="COEXISTENCE", tier="TIER_UNLIMITED")
        await self.send_burst(h, 20)
        payload = {"messaging_product": "whatsapp", **template_send("order_update", "a", "b")}
        assert "messages" in h.sim.send_message("222", "v25.0", TOKEN, payload)


class TestPairRate:
    async def test_burst_of_45_then_131056_then_one_per_6_seconds(self, h: Harness) -> None:
        await h.register(webhook_url=None)
        await h.inbound()
        payload = {"to": DOCTOR, "type": "text", "text": {"body": "x"}}
        results = [send_direct(h, payload) for _ in range(46)]
        assert all(isinstance(r, dict) for r in results[:45])
        refused = results[45]
        assert isinstance(refused, GraphError) and refused.code == 131056
        h.clock.advance(6)
        assert isinstance(send_direct(h, payload), dict)
        refused = send_direct(h, payload)
        assert isinstance(refused, GraphError) and refused.code == 131056

    async def test_other_recipients_are_not_limited(self, h: Harness) -> None:
        await h.register(webhook_url=None)
        await h.template()
        for _ in range(45):
            send_direct(h, template_send("order_update", "a", "b"))
        other = send_direct(h, template_send("order_update", "a", "b", to="5215500000009"))
        assert isinstance(other, dict)


class TestMessagingLimit:
    async def fill_tier(self, h: Harness, count: int) -> list[str]:
        await h.template()
        wamids = []
        for i in range(count):
            result = send_direct(h, template_send("order_update", "a", "b", to=f"52166{i:08d}"))
            assert isinstance(result, dict), result
            wamids.append(result["messages"][0]["id"])
        return wamids

    async def test_251st_unique_recipient_fails_by_default(self, h: Harness) -> None:
        await h.register(throughput_level="HIGH", webhook_url=None)
        wamids = await self.fill_tier(h, 251)
        await h.drain()
        assert all(failure_code(h, wamid) is None for wamid in wamids[:250])
        assert failure_code(h, wamids[250]) == 131064

    async def test_repeat_and_in_window_recipients_do_not_count(self, h: Harness) -> None:
        await h.register(throughput_level="HIGH", webhook_url=None)
        await self.fill_tier(h, 250)
        again = send_direct(h, template_send("order_update", "a", "b", to="5216600000003"))
        await h.inbound(**{"from": "5217700000000"})
        in_window = send_direct(h, template_send("order_update", "a", "b", to="5217700000000"))
        await h.drain()
        assert isinstance(again, dict) and isinstance(in_window, dict)
        assert failure_code(h, again["messages"][0]["id"]) is None
        assert failure_code(h, in_window["messages"][0]["id"]) is None

    async def test_reach_rolls_over_after_24_hours(self, h: Harness) -> None:
        await h.register(throughput_level="HIGH", webhook_url=None)
        await self.fill_tier(h, 250)
        h.clock.advance(24 * 3600)
        later = send_direct(h, template_send("order_update", "a", "b", to="5218800000000"))
        await h.drain()
        assert isinstance(later, dict)
        assert failure_code(h, later["messages"][0]["id"]) is None

    async def test_sync_behaviour(self, make_harness: HarnessFactory) -> None:
        harness: Harness = await make_harness(messaging_limit_behaviour="sync_error")
        await harness.register(throughput_level="HIGH", webhook_url=None)
        await self.fill_tier(harness, 250)
        refused = send_direct(harness, template_send("order_update", "a", "b", to="5219900000000"))
        assert isinstance(refused, GraphError) and refused.code == 131064

    async def test_allow_behaviour_and_bigger_tier(self, make_harness: HarnessFactory) -> None:
        harness: Harness = await make_harness(messaging_limit_behaviour="allow")
        await harness.register(throughput_level="HIGH", webhook_url=None)
        wamids = await self.fill_tier(harness, 260)
        await harness.drain()
        assert failure_code(harness, wamids[-1]) is None

    async def test_tier_is_shared_by_the_portfolio(self, h: Harness) -> None:
        await h.register(throughput_level="HIGH", webhook_url=None)
        await h.register("333", throughput_level="HIGH", webhook_url=None)
        await self.fill_tier(h, 250)
        payload = {"messaging_product": "whatsapp", **template_send("order_update", "a", "b")}
        result = h.sim.send_message("333", "v25.0", TOKEN, payload)
        await h.drain()
        assert failure_code(h, result["messages"][0]["id"]) == 131064


class TestSendAnswerTime:
    async def test_a_send_is_taken_on_arrival_and_answered_after_the_configured_time(
        self, make_harness: HarnessFactory
    ) -> None:
        """As Meta's: accepted (counted, its statuses on their way) before the sender hears."""
        harness: Harness = await make_harness(time_compression=1.0, send_answer_seconds=0.5)
        await harness.template()
        answer = asyncio.ensure_future(harness.send(template_send("order_update", "a", "b")))
        while not harness.sim.state.outbound and not answer.done():
            await asyncio.sleep(0.005)

        assert harness.sim.state.outbound
        assert not answer.done()
        response = await answer
        assert response.status_code == 200
        assert harness.wamid(response) in harness.sim.state.outbound
