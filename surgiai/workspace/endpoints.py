from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from surgiai.auth.dependencies import CurrentUser, require
from surgiai.auth.models import User
from surgiai.auth.roles import Permission
from surgiai.dependencies import DbSession, SettingsDep
from surgiai.workspace.schemas import WorkspaceSettingsRead, WorkspaceSettingsUpdate
from surgiai.workspace.service import workspace_service

router = APIRouter(prefix="/api/v1", tags=["settings"])
SettingsManager = Annotated[User, Depends(require(Permission.manage_settings))]


@router.get("/settings", response_model=WorkspaceSettingsRead)
def read_settings(
    _: CurrentUser, session: DbSession, settings: SettingsDep
) -> WorkspaceSettingsRead:
    return workspace_service.read(session, settings)


@router.patch("/settings", response_model=WorkspaceSettingsRead)
def update_settings(
    body: WorkspaceSettingsUpdate, user: SettingsManager, session: DbSession, settings: SettingsDep
) -> WorkspaceSettingsRead:
    """Change the fields sent; every change is audited and pushed to open dashboards
    (`settings.updated`). Running workers pick it up within a few seconds."""
    return workspace_service.update(session, settings, user, body)
