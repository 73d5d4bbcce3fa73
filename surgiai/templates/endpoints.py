from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from surgiai.auth.dependencies import CurrentUser, require
from surgiai.auth.models import User
from surgiai.auth.roles import Permission
from surgiai.dependencies import DbSession
from surgiai.kit.schemas import Id
from surgiai.templates.schemas import TemplatePage, TemplateSyncRead
from surgiai.templates.service import template_service

router = APIRouter(prefix="/api/v1/templates", tags=["templates"])
Converser = Annotated[User, Depends(require(Permission.converse))]
NumberFilter = Annotated[
    Id | None, Query(description="A number's id: its WhatsApp Business Account only")
]


@router.get("", response_model=TemplatePage)
def list_templates(
    _: CurrentUser,
    session: DbSession,
    number_id: NumberFilter = None,
    template_status: Annotated[
        str | None,
        Query(
            alias="status",
            max_length=32,
            description="APPROVED, PENDING, REJECTED, PAUSED, DISABLED, DELETED…; "
            "without it, every template but the deleted ones",
        ),
    ] = None,
    q: Annotated[str | None, Query(max_length=100, description="Part of the name")] = None,
) -> TemplatePage:
    return template_service.read_page(session, number_id=number_id, status=template_status, q=q)


@router.post("/sync", response_model=list[TemplateSyncRead], status_code=status.HTTP_202_ACCEPTED)
def sync_templates(
    _: Converser, session: DbSession, number_id: NumberFilter = None
) -> list[TemplateSyncRead]:
    """Queue a sync from WhatsApp of the number's WABA (of every WABA without a number). The
    sync records show when it ran and why it failed, if it did; `GET /api/v1/templates` shows
    them too."""
    syncs = template_service.request_syncs(session, number_id)
    return [TemplateSyncRead.model_validate(sync) for sync in syncs]
