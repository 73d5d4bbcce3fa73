from __future__ import annotations

import json

import pytest
import respx
from pydantic import SecretStr

from surgiai.channels.base import ChannelAdapter, ChannelConfig, InboundType
from surgiai.channels.cloud.adapter import CloudChannelAdapter, CloudWebhooks
from surgiai.channels.registry import provider
from tests.channels import builders
from tests.channels.cloud.recorded import load

BASE = "http://127.0.0.1:8000/simulator/graph"
PNID = "106540352242922"
WABA = "102290129340398"
CONFIG = ChannelConfig(
    kind="cloud", base_url=BASE, api_version="v25.0", access_token=SecretStr("token-1")
)


@pytest.fixture
def adapter() -> CloudChannelAdapter:
    """No request is made through it, so no connection needs closing."""
    return CloudChannelAdapter.from_config(CONFIG)


class TestProtocol:
    def test_implements_channel_adapter(self, adapter: CloudChannelAdapter) -> None:
        assert isinstance(adapter, ChannelAdapter)
        assert adapter.kind == "cloud"

    def test_capabilities(self) -> None:
        capabilities = provider("cloud").capabilities
        assert capabilities.kind == "cloud"
        assert {"text", "template", "interactive", "audio"} <= capabilities.outbound_types
        assert capabilities.service_window
        assert capabilities.read_receipts and capabilities.typing_indicator


class TestInbound:
    def test_parse(self) -> None:
        events = CloudWebhooks().parse(load("voice"))
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

    async def test_media_goes_up_and_comes_down_by_the_numbers_own_id(self) -> None:
        adapter = CloudChannelAdapter.from_config(CONFIG)
        with respx.mock(base_url=f"{BASE}/v25.0") as graph:
            graph.post(f"/{PNID}/media").respond(200, json={"id": "media.up"})
            graph.get("/media.in", params={"phone_number_id": PNID}).respond(
                200,
                json={"id": "media.in", "url": f"{BASE}/v25.0/files/in", "mime_type": "image/png"},
            )
            graph.get("/files/in").respond(200, content=b"PNG")
            uploaded = await adapter.upload_media(PNID, b"%PDF-1.4", "application/pdf", "cat.pdf")
            downloaded = await adapter.download_media(PNID, "media.in")
        await adapter.aclose()
        assert uploaded == "media.up"
        assert (downloaded.data, downloaded.mime_type) == (b"PNG", "image/png")

    async def test_health_is_read_into_neutral_fields(self) -> None:
        adapter = CloudChannelAdapter.from_config(CONFIG)
        with respx.mock(base_url=f"{BASE}/v25.0") as graph:
            graph.get(f"/{PNID}").respond(
                200,
                json={
                    "id": PNID,
                    "status": "CONNECTED",
                    "quality_rating": "YELLOW",
                    "verified_name": "SurgiAI Sales",
                    "throughput": {"level": "HIGH"},
                    "whatsapp_business_manager_messaging_limit": "TIER_10K",
                },
            )
            report = await adapter.number_health(PNID)
        await adapter.aclose()
        assert report.model_dump() == {
            "status": "CONNECTED",
            "quality_rating": "YELLOW",
            "verified_name": "SurgiAI Sales",
            "messaging_tier": "TIER_10K",
            "throughput_level": "HIGH",
        }

    async def test_templates_are_listed_in_neutral_form_and_unkeyable_ones_skipped(self) -> None:
        adapter = CloudChannelAdapter.from_config(CONFIG)
        with respx.mock(base_url=f"{BASE}/v25.0") as graph:
            graph.get(f"/{WABA}/message_templates").respond(
                200,
                json={
                    "data": [
                        {
                            "id": "77",
                            "name": "course_reminder",
                            "language": "en",
                            "status": "approved",
                            "category": "utility",
                            "components": [{"type": "BODY", "text": "Hi {{1}}"}, "junk"],
                            "quality_score": {"score": "green"},
                            "rejected_reason": "NONE",
                        },
                        {"id": "78", "language": "en", "status": "APPROVED"},
                    ]
                },
            )
            templates = await adapter.list_templates(WABA)
        await adapter.aclose()
        [template] = templates
        assert (template.name, template.language, template.status) == (
            "course_reminder",
            "en",
            "APPROVED",
        )
        assert (template.category, template.quality, template.template_id) == (
            "UTILITY",
            "GREEN",
            "77",
        )
        assert template.components == [{"type": "BODY", "text": "Hi {{1}}"}]
        assert template.rejected_reason is None
        assert template.parameter_format == "POSITIONAL"
