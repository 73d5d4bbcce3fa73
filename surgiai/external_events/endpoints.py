"""WhatsApp webhooks: verify → store raw → 200 → process in a task (STYLE rule 5).

The POST itself is `receiver.CloudWebhookReceiver`, a bare ASGI handler; here are the GET
handshake and the admins' view of what arrived."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse

from surgiai.auth.dependencies import require
from surgiai.auth.models import User
from surgiai.auth.roles import Permission
from surgiai.channels.base import UnreadableWebhook
from surgiai.channels.registry import CLOUD_KIND, UnknownChannelKind, provider, provider_for_source
from surgiai.dependencies import DbSession, RuntimeDep
from surgiai.errors import (
    Forbidden,
)
from surgiai.external_events.models import EventState, ExternalEvent
from surgiai.external_events.repository import ExternalEventRepository
from surgiai.external_events.schemas import ExternalEventPage, ExternalEventRead
from surgiai.kit.schemas import Id, error_responses

router = APIRouter(tags=["webhooks"])


@router.get(
    "/webhooks/whatsapp",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **error_responses(403),
    },
)
def verify_subscription(
    request: Request,
    runtime: RuntimeDep,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
) -> PlainTextResponse:
    """Meta's verification handshake: echo `hub.challenge` for `hub.mode=subscribe` and our
    verify token only (the query parameters are declared for the API's description)."""
    expected = runtime.settings.webhook_verify_token
    answer = provider(CLOUD_KIND).webhooks.subscription_challenge(
        dict(request.query_params), expected.get_secret_value() if expected else ""
    )
    if answer is None:
        raise Forbidden("Verification failed: wrong hub.mode or hub.verify_token.")
    return PlainTextResponse(answer)


admin_router = APIRouter(prefix="/api/v1/webhook-events", tags=["webhooks"])
NumberManager = Annotated[User, Depends(require(Permission.manage_numbers))]


@admin_router.get("", response_model=ExternalEventPage)
def list_webhook_events(
    _: NumberManager,
    session: DbSession,
    state: EventState | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: Id | None = None,
) -> ExternalEventPage:
    """Received deliveries; `state=unrouted` shows events for numbers we do not have."""
    events = ExternalEventRepository(session).page(state=state, limit=limit, before_id=before_id)
    items = [_read(event) for event in events]
    return ExternalEventPage(items=items, next_cursor=items[-1].id if len(items) == limit else None)


def _read(event: ExternalEvent) -> ExternalEventRead:
    payload: Any = None
    payload_error: str | None = None
    try:
        payload = provider_for_source(event.source).webhooks.decode(event.body)
    except (UnreadableWebhook, UnknownChannelKind) as error:
        payload_error = f"Unreadable payload: {error.detail}"
    return ExternalEventRead(
        id=event.id,
        source=event.source,
        received_at=event.received_at,
        state=event.state.value,
        processed_at=event.processed_at,
        attempts=event.attempts,
        error=event.error,
        payload=payload,
        payload_error=payload_error,
    )
