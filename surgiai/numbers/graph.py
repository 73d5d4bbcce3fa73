"""A Cloud API client for one of our numbers, on the process-wide connection pool."""

from __future__ import annotations

from surgiai.channels.cloud.client import CloudApiClient
from surgiai.config import Settings
from surgiai.kit import aio
from surgiai.numbers.models import WhatsAppNumber
from surgiai.numbers.service import number_service


def cloud_client(number: WhatsAppNumber, settings: Settings) -> CloudApiClient:
    token = number_service.access_token(number, settings.resolved_secret_key())
    return CloudApiClient(
        settings.graph_api_base,
        settings.graph_api_version,
        token,
        http_client=aio.http_client(),
    )
