"""Channel kind → adapter factory. Call sites ask for a kind, never for a vendor class.

The WhatsApp Web bridge joins as `"web"` when it exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from surgiai.channels.base import ChannelAdapter, ChannelConfig
from surgiai.channels.cloud.adapter import CLOUD_KIND, CloudChannelAdapter
from surgiai.errors import BadRequest

AdapterFactory = Callable[[ChannelConfig, httpx.AsyncClient | None], ChannelAdapter]

ADAPTER_FACTORIES: Mapping[str, AdapterFactory] = {
    CLOUD_KIND: CloudChannelAdapter.from_config,
}


class UnknownChannelKind(BadRequest):
    pass


def channel_kinds() -> frozenset[str]:
    return frozenset(ADAPTER_FACTORIES)


def create_adapter(
    config: ChannelConfig, *, http_client: httpx.AsyncClient | None = None
) -> ChannelAdapter:
    """Build the adapter for `config.kind`, sharing the process-wide `http_client` if given."""
    factory = ADAPTER_FACTORIES.get(config.kind)
    if factory is None:
        known = ", ".join(sorted(ADAPTER_FACTORIES))
        raise UnknownChannelKind(f"unknown channel kind {config.kind!r} (known: {known})")
    return factory(config, http_client)
