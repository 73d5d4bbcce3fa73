from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from surgiai.auth.dependencies import CurrentUser, require
from surgiai.auth.models import User
from surgiai.auth.roles import Permission
from surgiai.auth.schemas import PhonePreview, PhonePreviewRead
from surgiai.dependencies import DbSession, SettingsDep
from surgiai.kit.timezones import time_zone_options
from surgiai.workspace.dependencies import DefaultRegion
from surgiai.workspace.schemas import TimeZoneRead, WorkspaceSettingsRead, WorkspaceSettingsUpdate
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


@router.get("/settings/time-zones", response_model=list[TimeZoneRead])
def list_time_zones(
    _: CurrentUser, q: Annotated[str, Query(max_length=100)] = ""
) -> list[TimeZoneRead]:
    """Every IANA time zone by its current name, with its city, country, offset, abbreviation
    and old names (Asia/Calcutta is Asia/Kolkata); `q` keeps those it names, best first."""
    return [TimeZoneRead.model_validate(option) for option in time_zone_options(q)]


@router.post("/settings/phone-preview", response_model=PhonePreviewRead)
def preview_phone(body: PhonePreview, _: CurrentUser, region: DefaultRegion) -> PhonePreviewRead:
    """How a phone typed in the dashboard will be saved, read with the workspace's default
    region when it has no country code; or, in `problem`, the reason every phone field would
    refuse it with on saving (422 there)."""
    return workspace_service.preview_phone(body.phone, region)
