"""Channel kind → provider. Call sites ask for a kind (a number's `channel`), never for a vendor
class: this module is the only one outside a provider's package that names it.

Adding a provider: create `channels/<provider>/`, add its `ChannelProvider` below. The WhatsApp
Web bridge joins as `"web"`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from surgiai.channels.base import (
    ChannelAdapter,
    ChannelCapabilities,
    ChannelConfig,
    InboundWebhooks,
    OutboundMessage,
)
from surgiai.channels.cloud import adapter as cloud
from surgiai.errors import BadRequest

# Meta's WhatsApp Cloud API.
CLOUD_KIND = cloud.CLOUD_KIND

AdapterFactory = Callable[[ChannelConfig, httpx.AsyncClient | None], ChannelAdapter]
# The process's HTTP pools by name and size (`kit.aio.IoLoop.http_client`); None: the shared.
HttpPools = Callable[[str | None, int | None], httpx.AsyncClient]


@dataclass(frozen=True)
class ChannelProvider:
    kind: str
    capabilities: ChannelCapabilities
    make_adapter: AdapterFactory
    webhooks: InboundWebhooks
    # The exact request a send would make, for previews.
    request_body: Callable[[OutboundMessage], dict[str, Any]]


PROVIDERS: Mapping[str, ChannelProvider] = {
    cloud.CLOUD_KIND: ChannelProvider(
        kind=cloud.CLOUD_KIND,
        capabilities=cloud.CLOUD_CAPABILITIES,
        make_adapter=cloud.CloudChannelAdapter.from_config,
        webhooks=cloud.CloudWebhooks(),
        request_body=cloud.request_body,
    ),
}


class UnknownChannelKind(BadRequest):
    pass


def provider(kind: str) -> ChannelProvider:
    found = PROVIDERS.get(kind)
    if found is None:
        known = ", ".join(sorted(PROVIDERS))
        raise UnknownChannelKind(f"unknown channel kind {kind!r} (known: {known})")
    return found


def provider_for_source(source: str) -> ChannelProvider:
    """The provider whose webhooks are stored under `source` (`external_events.source`)."""
    for candidate in PROVIDERS.values():
        if candidate.webhooks.source == source:
            return candidate
    raise UnknownChannelKind(f"no channel receives webhooks as {source!r}")


class ChannelRegistry:
    """The adapters of one process, sharing its HTTP connection pool."""

    def __init__(self, http_client: HttpPools | None = None) -> None:
        self._http_client = http_client

    def adapter(
        self, config: ChannelConfig, *, pool: str | None = None, connections: int | None = None
    ) -> ChannelAdapter:
        """The adapter for `config.kind` with these credentials, on the process's shared HTTP
        pool, or on the pool named `pool` of at most `connections` (a bulk sender's own)."""
        http = self._http_client(pool, connections) if self._http_client is not None else None
        return provider(config.kind).make_adapter(config, http)
