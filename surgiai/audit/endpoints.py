from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from surgiai.audit.schemas import AuditEventRead, AuditPage
from surgiai.audit.service import audit_service
from surgiai.auth.dependencies import AuditViewer
from surgiai.dependencies import DbSession
from surgiai.kit.schemas import Id

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit", response_model=AuditPage)
def list_audit_events(
    _: AuditViewer,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[
        Id | None, Query(description="Cursor: next_cursor of the last page")
    ] = None,
    action: str | None = None,
) -> AuditPage:
    events = audit_service.page(session, limit=limit, before_id=before_id, action=action)
    items = [AuditEventRead.model_validate(event) for event in events]
    next_cursor = items[-1].id if len(items) == limit else None
    return AuditPage(items=items, next_cursor=next_cursor)
