from __future__ import annotations

import json

import pytest
import respx
from pydantic import SecretStr

from surgiai.channels.base import ChannelAdapter, ChannelConfig, InboundType
from surgiai.channels.cloud import builders
from surgiai.channels.cloud.adapter import CloudChannelAdapter
from surgiai.channels.cloud.signature import sign
from tests.channels.cloud.recorded import load, raw

BASE = "http://127.0.0.1:8000/simulator/graph"
PNID = "106540352242922"
SECRET = "app-secret"
CONFIG = ChannelConfig(
    kind="cloud",
    base_url=BASE,
    api_version="v25.0",
    access_token=SecretStr("token-1"),
    webhook_secrets=(SecretStr("rotated-out"), SecretStr(SECRET)),
)


@pytest.fixture
def adapter() -> CloudChannelAdapter:
    """No request is made through it, so no connection needs closing."""
    return CloudChannelAdapter.from_config(CONFIG)


class TestProtocol:
    def test_implements_channel_adapter(self, adapter: CloudChannelAdapter) -> None:
        assert isinstance(adapter, ChannelAdapter)
        assert adapter.kind == "cloud"

    def test_capabilities(self, adapter: CloudChannelAdapter) -> None:
        capabilities = adapter.capabilities()
        assert capabilities.kind == "cloud"
        assert {"text", "template", "interactive", "audio"} <= capabilities.outbound_types
        assert capabilities.service_window and capabilities.templates
        assert (capabilities.max_text_length, capabilities.max_caption_length) == (4096, 1024)
        assert capabilities.max_reply_buttons == 3


class TestInbound:
    def test_verify_webhook_with_any_configured_secret(self, adapter: CloudChannelAdapter) -> None:
        body = raw("non_ascii_text")
        assert adapter.verify_webhook(body, {"X-Hub-Signature-256": sign(body, SECRET)})
        assert adapter.verify_webhook(body, {"x-hub-signature-256": sign(body, "rotated-out")})
        assert not adapter.verify_webhook(body, {"X-Hub-Signature-256": sign(body, "nope")})
        assert not adapter.verify_webhook(body, {})

    def test_parse_inbound(self, adapter: CloudChannelAdapter) -> None:
        events = adapter.parse_inbound(load("voice"))
        assert events.messages[0].type is InboundType.audio
        assert events.messages[0].media is not None and events.messages[0].media.voice


@pytest.mark.anyio
class TestOutbound:
    async def test_send_read_and_typing(self) -> None:
        adapter = CloudChannelAdapter.from_config(CONFIG)
        with respx.mock(base_url=f"{BASE}/v25.0") as graph:
            route = graph.post(f"/{PNID}/messages").respond(
                200, json={"messages": [{"id": "wamid.A"}], "contacts": [{"wa_id": "1"}]}
            )
            result = await adapter.send(PNID, builders.text_message("+15550001111", "Hi"))
            await adapter.mark_read(PNID, "wamid.IN")
            await adapter.show_typing(PNID, "wamid.IN")
        await adapter.aclose()
        assert result.wamid == "wamid.A"
        bodies = [json.loads(call.request.content) for call in route.calls]
        assert bodies[0]["text"] == {"preview_url": False, "body": "Hi"}
        assert bodies[1] == {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.IN",
        }
        assert bodies[2]["typing_indicator"] == {"type": "text"}
        assert all(
            call.request.headers["Authorization"] == "Bearer token-1" for call in route.calls
        )
