"""The channel adapter a number sends and reads through: the only way to WhatsApp."""

from __future__ import annotations

from pydantic import SecretStr

from surgiai.channels.base import ChannelAdapter, ChannelConfig
from surgiai.config import Settings
from surgiai.numbers.models import WhatsAppNumber
from surgiai.numbers.service import number_service
from surgiai.runtime import Runtime


def channel_config(number: WhatsAppNumber, settings: Settings) -> ChannelConfig:
    token = number_service.access_token(number, settings.resolved_secret_key())
    return ChannelConfig(
        kind=number.channel.value,
        base_url=settings.graph_api_base,
        api_version=settings.graph_api_version,
        access_token=SecretStr(token),
    )


def adapter_for(
    number: WhatsAppNumber, runtime: Runtime, *, connections: int | None = None
) -> ChannelAdapter:
    """On the process's shared HTTP pool; with `connections`, on the number's own pool of that
    size (bulk sends, which would otherwise fill the shared one)."""
    config = channel_config(number, runtime.settings)
    if connections is None:
        return runtime.channels.adapter(config)
    return runtime.channels.adapter(config, pool=f"number:{number.id}", connections=connections)
