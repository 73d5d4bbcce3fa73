"""Webhook delivery: signature over exact bytes, envelope, handshake, batching, retries
(also against a real HTTP server on 127.0.0.1), duplicates and management webhooks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse

from surgiai.simulator import (
    ManualClock,
    Simulator,
    SimulatorConfig,
    create_simulator_app,
    sign_body,
)
from surgiai.simulator.schemas import InboundRequest, NumberUpsert
from surgiai.simulator.webhooks import Change, build_payload, serialize_payload
from tests.services import wait_for, wait_until
from tests.simulator.harness import (
    APP_SECRET,
    DOCTOR,
    PNID,
    VERIFY_TOKEN,
    WABA,
    Harness,
    HarnessFactory,
    template_send,
)

pytestmark = pytest.mark.anyio

NON_ASCII = "Dr. Müller — ¿precio?"


def expected_signature(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


async def deliveries(h: Harness, **params: Any) -> list[dict[str, Any]]:
    response = await h.client.get("/control/deliveries", params=params)
    data: list[dict[str, Any]] = response.json()["data"]
    return data


class TestSignature:
    async def test_signature_matches_hmac_of_exact_escaped_bytes(self, h: Harness) -> None:
        await h.inbound(name=NON_ASCII, type="text", text={"body": NON_ASCII})
        await h.drain()
        post = h.receiver.posts[0]
        post.body.decode("ascii")
        assert b"\\u00fc" in post.body and b"\\u2014" in post.body and b"\\u00bf" in post.body
        assert post.headers["x-hub-signature-256"] == expected_signature(post.body)
        assert post.headers["content-type"] == "application/json"
        assert post.payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"] == {
            "body": NON_ASCII
        }
        # Hashing a UTF-8 re-serialization instead of the raw bytes would not verify.
        reencoded = json.dumps(post.payload, ensure_ascii=False, separators=(",", ":")).encode()
        assert expected_signature(reencoded) != post.headers["x-hub-signature-256"]

    def test_serializer_and_signer(self) -> None:
        body = serialize_payload({"a": "é", "b": [1, 2]})
        assert body == b'{"a":"\\u00e9","b":[1,2]}'
        assert sign_body("k", body) == (
            "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
        )


class TestEnvelope:
    async def test_inbound_text_envelope(self, h: Harness) -> None:
        sent = await h.inbound()
        await h.drain()
        payload = h.receiver.posts[0].payload
        assert payload["object"] == "whatsapp_business_account"
        entry = payload["entry"][0]
        assert list(entry) == ["id", "changes"]
        assert entry["id"] == WABA
        change = entry["changes"][0]
        assert change["field"] == "messages"
        value = change["value"]
        assert value["messaging_product"] == "whatsapp"
        assert value["metadata"] == {"display_phone_number": "15550783881", "phone_number_id": PNID}
        user_id = (await h.user())["user_id"]
        assert value["contacts"] == [
            {"profile": {"name": "Dr. Ana Ruiz"}, "wa_id": DOCTOR, "user_id": user_id}
        ]
        message = value["messages"][0]
        assert list(message)[:4] == ["from", "from_user_id", "id", "timestamp"]
        assert message["id"] == sent["wamid"]
        assert (message["from"], message["from_user_id"]) == (DOCTOR, user_id)
        assert message["type"] == "text"
        assert isinstance(message["timestamp"], str) and message["timestamp"].isdigit()

    async def test_no_callback_records_undelivered(self, h: Harness) -> None:
        await h.register(webhook_url=None)
        await h.inbound()
        await h.drain()
        data = (await h.client.get("/control/deliveries")).json()
        assert data["data"] == []
        assert data["undelivered"][0]["value"]["messages"][0]["from"] == DOCTOR

    def test_batch_payload_merges_same_number(self) -> None:
        meta = {"display_phone_number": "1", "phone_number_id": "p"}
        changes = [
            Change("w", "messages", {"metadata": meta, "statuses": [{"id": "a"}]}),
            Change("w", "messages", {"metadata": meta, "statuses": [{"id": "b"}]}),
            Change("w", "account_update", {"event": "X"}, time=5),
            Change("v", "messages", {"metadata": meta, "statuses": [{"id": "c"}]}),
        ]
        payload = build_payload(changes)
        first, second = payload["entry"]
        assert list(first) == ["id", "time", "changes"]
        assert [c["field"] for c in first["changes"]] == ["messages", "account_update"]
        assert first["changes"][0]["value"]["statuses"] == [{"id": "a"}, {"id": "b"}]
        assert second["id"] == "v" and "time" not in second


class TestHandshake:
    async def test_verifies_once_before_first_delivery(self, h: Harness) -> None:
        await h.inbound()
        await h.inbound()
        await h.drain()
        assert len(h.receiver.verifications) == 1
        params = h.receiver.verifications[0]
        assert params["hub.mode"] == "subscribe"
        assert params["hub.verify_token"] == VERIFY_TOKEN
        assert params["hub.challenge"].isdigit()
        kinds = [attempt["kind"] for attempt in await deliveries(h)]
        assert kinds == ["verify", "event", "event"]

    async def test_failed_handshake_blocks_delivery_until_fixed(
        self, make_harness: HarnessFactory
    ) -> None:
        h: Harness = await make_harness(retry_schedule=[1000.0, 1000.0])
        h.receiver.verify_token = "other"
        await h.inbound()
        # The first try ends by recording its event attempt; the retry is a real second away,
        # and nothing here gives the loop a turn between the wait and the checks.
        await wait_until(lambda: any(a.kind == "event" for a in h.sim.webhooks.attempts))
        assert h.receiver.posts == []
        assert [a.kind for a in h.sim.webhooks.attempts] == ["verify", "event"]
        h.receiver.verify_token = VERIFY_TOKEN
        await h.drain()
        assert len(h.receiver.posts) == 1
        attempts = await deliveries(h, kind="event")
        assert [(a["attempt"], a["ok"]) for a in attempts] == [(1, False), (2, True)]

    async def test_control_verify_and_reverify_on_url_change(self, h: Harness) -> None:
        result = (await h.client.post(f"/control/numbers/{PNID}/verify-webhook")).json()
        assert result["ok"] is True and result["status_code"] == 200
        await h.register(verify_token="rotated")
        h.receiver.verify_token = "rotated"
        await h.inbound()
        await h.drain()
        assert len(h.receiver.verifications) == 2

    async def test_handshake_can_be_disabled(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(verify_callbacks=False)
        await h.inbound()
        await h.drain()
        assert h.receiver.verifications == [] and len(h.receiver.posts) == 1


class TestRetries:
    async def test_non_200_is_retried_with_same_bytes(self, h: Harness) -> None:
        h.receiver.status_codes = [500, 202]
        await h.inbound()
        await h.drain()
        bodies = {post.body for post in h.receiver.posts}
        assert len(h.receiver.posts) == 3 and len(bodies) == 1
        attempts = await deliveries(h, kind="event")
        assert [(a["attempt"], a["status_code"], a["ok"]) for a in attempts] == [
            (1, 500, False),
            (2, 202, False),
            (3, 200, True),
        ]
        assert attempts[0]["body"] == h.receiver.posts[0].body.decode()

    async def test_dropped_after_schedule(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(retry_schedule=[0.0, 0.0])
        h.receiver.status_codes = [500] * 10
        await h.inbound()
        await h.drain()
        data = (await h.client.get("/control/deliveries", params={"kind": "event"})).json()
        assert len(data["data"]) == 3
        assert data["dropped"] == [data["data"][0]["delivery_id"]]

    def test_default_schedule_decreases_in_frequency(self) -> None:
        schedule = SimulatorConfig().retry_schedule
        assert schedule == sorted(schedule)
        assert 6 * 86400 < sum(schedule) <= 7 * 86400

    async def test_deliberate_duplicates(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(webhook_duplicate_probability=1.0)
        await h.inbound()
        await h.drain()
        assert len(h.receiver.posts) == 2
        assert h.receiver.posts[0].body == h.receiver.posts[1].body
        attempts = await deliveries(h, kind="event")
        assert [a["duplicate"] for a in attempts] == [False, True]


class TestBatching:
    async def test_changes_are_batched(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(batch_max_size=10, batch_window_seconds=200)
        for i in range(3):
            await h.inbound(type="text", text={"body": f"q{i}"})
        await h.drain()
        assert len(h.receiver.posts) == 1
        value = h.receiver.posts[0].payload["entry"][0]["changes"][0]["value"]
        assert [m["text"]["body"] for m in value["messages"]] == ["q0", "q1", "q2"]
        assert len(value["contacts"]) == 1

    async def test_full_batch_is_sent_at_once(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(batch_max_size=2, batch_window_seconds=100_000)
        await h.inbound(type="text", text={"body": "q0"})
        await h.inbound(type="text", text={"body": "q1"})
        # Long before the window (100 s of real time) ends, one post carries both messages:
        # no other post can.
        first = (await wait_until(lambda: h.receiver.posts))[0]
        value = first.payload["entry"][0]["changes"][0]["value"]
        assert [m["text"]["body"] for m in value["messages"]] == ["q0", "q1"]
        assert len(h.receiver.posts) == 1


class TestManagementWebhooks:
    def management_changes(self, h: Harness, field: str) -> list[dict[str, Any]]:
        return [
            {"entry": entry, "change": change}
            for post in h.receiver.posts
            for entry in post.payload["entry"]
            for change in entry["changes"]
            if change["field"] == field
        ]

    async def test_template_status_update(self, h: Harness) -> None:
        template = await h.template(status="PENDING")
        body = {"status": "APPROVED"}
        await h.client.post(f"/control/templates/{template['id']}/status", json=body)
        await h.drain()
        (found,) = self.management_changes(h, "message_template_status_update")
        assert isinstance(found["entry"]["time"], int)
        assert found["change"]["value"] == {
            "event": "APPROVED",
            "message_template_id": int(template["id"]),
            "message_template_name": "order_update",
            "message_template_language": "en_US",
            "reason": "NONE",
            "message_template_category": "UTILITY",
        }
        assert (await h.send(template_send("order_update", "a", "b"))).status_code == 200

    async def test_management_event_pauses_template(self, h: Harness) -> None:
        await h.template()
        event = {
            "field": "message_template_status_update",
            "waba_id": WABA,
            "value": {"event": "PAUSED", "message_template_name": "order_update"},
        }
        assert (await h.client.post("/control/management", json=event)).status_code == 200
        await h.drain()
        (found,) = self.management_changes(h, "message_template_status_update")
        assert "metadata" not in found["change"]["value"]
        response = await h.send(template_send("order_update", "a", "b"))
        assert response.json()["error"]["code"] == 132015

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            (
                "account_update",
                {"event": "DISABLED_UPDATE", "ban_info": {"waba_ban_state": "DISABLE"}},
            ),
            (
                "phone_number_quality_update",
                {
                    "display_phone_number": "15550783881",
                    "event": "ONBOARDING",
                    "max_daily_conversations_per_business": "TIER_2K",
                },
            ),
            (
                "message_template_quality_update",
                {"previous_quality_score": "GREEN", "new_quality_score": "YELLOW"},
            ),
        ],
    )
    async def test_management_shapes(self, h: Harness, field: str, value: dict[str, Any]) -> None:
        event = {"field": field, "waba_id": WABA, "value": value}
        await h.client.post("/control/management", json=event)
        await h.drain()
        (found,) = self.management_changes(h, field)
        assert list(found["entry"]) == ["id", "time", "changes"]
        assert found["change"]["value"] == value

    async def test_user_preferences_has_metadata_and_applies(self, h: Harness) -> None:
        await h.template(name="promo", category="MARKETING", components=[])
        preference = {
            "wa_id": DOCTOR,
            "detail": "User requested to stop marketing messages",
            "category": "marketing_messages",
            "value": "stop",
            "timestamp": 1751247548,
        }
        event = {
            "field": "user_preferences",
            "phone_number_id": PNID,
            "value": {"contacts": [{"wa_id": DOCTOR}], "user_preferences": [preference]},
        }
        await h.client.post("/control/management", json=event)
        await h.drain()
        (found,) = self.management_changes(h, "user_preferences")
        assert "time" not in found["entry"]
        value = found["change"]["value"]
        assert value["metadata"]["phone_number_id"] == PNID
        user_id = (await h.user())["user_id"]
        assert value["user_preferences"] == [{"wa_id": DOCTOR, "user_id": user_id, **preference}]
        wamid = h.wamid(await h.send(template_send("promo")))
        await h.drain()
        assert h.receiver.statuses(wamid)[0]["errors"][0]["code"] == 131050


class RealReceiver:
    """A webhook endpoint served by uvicorn on 127.0.0.1 in its own thread."""

    def __init__(self, codes: list[int], delays: list[float]) -> None:
        self.codes = codes
        self.delays = delays
        self.bodies: list[bytes] = []
        self.signatures: list[str] = []
        self.content_types: list[str] = []
        app = FastAPI()

        @app.get("/hook")
        async def verify(request: Request) -> Response:
            return PlainTextResponse(request.query_params["hub.challenge"])

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            if self.delays:
                await asyncio.sleep(self.delays.pop(0))
            self.bodies.append(await request.body())
            self.signatures.append(request.headers["x-hub-signature-256"])
            self.content_types.append(request.headers["content-type"])
            return PlainTextResponse("ok", status_code=self.codes.pop(0) if self.codes else 200)

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def __enter__(self) -> RealReceiver:
        self.thread.start()

        def started() -> bool:
            assert self.thread.is_alive(), "the receiver exited while starting"
            return self.server.started

        wait_for(started, message="the receiver did not start")
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


@pytest.fixture
def real_receiver() -> Iterator[RealReceiver]:
    with RealReceiver(codes=[500], delays=[0.0, 1.0]) as receiver:
        yield receiver


async def simulator_delivering_to(url: str, **config: Any) -> Simulator:
    """A started simulator (timers 1000x faster) whose number's webhooks go to `url` over the
    network."""
    app = create_simulator_app(
        SimulatorConfig(time_compression=1000, seed=1, **config), clock=ManualClock()
    )
    sim: Simulator = app.state.simulator
    await sim.start()
    sim.upsert_number(
        PNID,
        NumberUpsert(
            waba_id=WABA, app_secret=APP_SECRET, webhook_url=url, verify_token=VERIFY_TOKEN
        ),
    )
    return sim


class TestRealServer:
    async def test_retries_and_timeouts_over_the_network(self, real_receiver: RealReceiver) -> None:
        sim = await simulator_delivering_to(real_receiver.url, webhook_timeout_seconds=0.3)
        try:
            request = InboundRequest.model_validate(
                {
                    "phone_number_id": PNID,
                    "from": DOCTOR,
                    "name": NON_ASCII,
                    "type": "text",
                    "text": {"body": NON_ASCII},
                }
            )
            sim.inject_inbound(request, None)
            assert await sim.drain(10)
        finally:
            await sim.stop()
        attempts = [a for a in sim.webhooks.attempts if a.kind == "event"]
        # 500, then a timeout (the receiver sleeps 1 s, the simulator waits 0.3 s), then 200.
        assert [(a.attempt, a.status_code, a.error) for a in attempts] == [
            (1, 500, None),
            (2, None, "timeout"),
            (3, 200, None),
        ]
        assert real_receiver.bodies[0] == real_receiver.bodies[-1]
        assert real_receiver.signatures[-1] == expected_signature(real_receiver.bodies[-1])
        assert set(real_receiver.content_types) == {"application/json"}
        (handshake,) = [a for a in sim.webhooks.attempts if a.kind == "verify"]
        assert handshake.ok

    async def test_an_unreachable_callback_is_recorded_and_retried(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        sim = await simulator_delivering_to(
            f"http://127.0.0.1:{closed_port}/hook", verify_callbacks=False
        )
        try:
            request = InboundRequest.model_validate(
                {"phone_number_id": PNID, "from": DOCTOR, "type": "text", "text": {"body": "Hi"}}
            )
            sim.inject_inbound(request, None)
            await wait_until(lambda: len(sim.webhooks.attempts) >= 2)
        finally:
            await sim.stop()
        attempts = list(sim.webhooks.attempts)[:2]
        assert [a.attempt for a in attempts] == [1, 2]
        assert all(a.status_code is None and not a.ok for a in attempts)
        assert all(a.error and "Connect" in a.error for a in attempts)
