from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from surgiai.channels.base import ChannelConfig, OutboundMessage
from surgiai.channels.cloud.adapter import CloudChannelAdapter
from surgiai.channels.registry import (
    ChannelRegistry,
    UnknownChannelKind,
    provider,
    provider_for_source,
)


def config(kind: str) -> ChannelConfig:
    return ChannelConfig(
        kind=kind,
        base_url="https://graph.facebook.com",
        api_version="v25.0",
        access_token=SecretStr("t"),
    )


class TestAdapters:
    def test_a_cloud_number_gets_the_cloud_adapter(self) -> None:
        assert isinstance(ChannelRegistry().adapter(config("cloud")), CloudChannelAdapter)

    @pytest.mark.anyio
    async def test_adapters_share_the_process_http_client(self) -> None:
        async with httpx.AsyncClient() as shared:
            adapter = ChannelRegistry(http_client=lambda pool, connections: shared).adapter(
                config("cloud")
            )
            await adapter.aclose()
            assert not shared.is_closed

    def test_an_unknown_kind_is_refused_naming_the_known_ones(self) -> None:
        with pytest.raises(UnknownChannelKind, match="unknown channel kind 'telegram'") as caught:
            ChannelRegistry().adapter(config("telegram"))
        assert "cloud" in caught.value.detail


class TestProviders:
    def test_stored_deliveries_find_their_provider_by_source(self) -> None:
        assert provider_for_source("whatsapp_cloud") is provider("cloud")
        with pytest.raises(UnknownChannelKind, match="'bridge'"):
            provider_for_source("bridge")

    def test_the_preview_shows_the_request_the_provider_would_make(self) -> None:
        message = OutboundMessage(to="919811122233", type="text", payload={"body": "Namaste"})
        assert provider("cloud").request_body(message) == {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "919811122233",
            "type": "text",
            "text": {"body": "Namaste"},
        }
