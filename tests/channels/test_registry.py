from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from surgiai.channels.base import ChannelConfig
from surgiai.channels.cloud.adapter import CloudChannelAdapter
from surgiai.channels.registry import UnknownChannelKind, channel_kinds, create_adapter


def config(kind: str) -> ChannelConfig:
    return ChannelConfig(
        kind=kind,
        base_url="https://graph.facebook.com",
        api_version="v25.0",
        access_token=SecretStr("t"),
    )


class TestCreateAdapter:
    def test_cloud(self) -> None:
        assert "cloud" in channel_kinds()
        assert isinstance(create_adapter(config("cloud")), CloudChannelAdapter)

    @pytest.mark.anyio
    async def test_shares_the_process_http_client(self) -> None:
        async with httpx.AsyncClient() as shared:
            adapter = create_adapter(config("cloud"), http_client=shared)
            await adapter.aclose()
            assert not shared.is_closed

    def test_unknown_kind(self) -> None:
        with pytest.raises(UnknownChannelKind, match="unknown channel kind 'telegram'") as caught:
            create_adapter(config("telegram"))
        assert "cloud" in caught.value.detail
