from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from surgiai.agents.schemas import (
    AgentDisable,
    AgentSettingRead,
    AgentsOverview,
    CrashReportPage,
    CrashReportRead,
)
from surgiai.agents.service import agent_service, setting_read
from surgiai.auth.dependencies import CurrentUser, require
from surgiai.auth.models import User
from surgiai.auth.roles import Permission
from surgiai.dependencies import DbSession
from surgiai.kit.schemas import Id

router = APIRouter(prefix="/api/v1", tags=["agents"])
SettingsManager = Annotated[User, Depends(require(Permission.manage_settings))]


@router.get("/agents", response_model=AgentsOverview)
def list_agents(_: CurrentUser, session: DbSession) -> AgentsOverview:
    return agent_service.overview(session)


@router.post("/agents/{name}/disable", response_model=AgentSettingRead)
def disable_agent(
    name: str, user: SettingsManager, session: DbSession, body: AgentDisable | None = None
) -> AgentSettingRead:
    reason = body.reason if body is not None else None
    return setting_read(agent_service.disable(session, name, user, reason))


@router.post("/agents/{name}/enable", response_model=AgentSettingRead)
def enable_agent(name: str, user: SettingsManager, session: DbSession) -> AgentSettingRead:
    return setting_read(agent_service.enable(session, name, user))


@router.get("/crash-reports", response_model=CrashReportPage)
def list_crash_reports(
    _: CurrentUser,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: Annotated[Id | None, Query(description="next_cursor of the last page")] = None,
) -> CrashReportPage:
    rows = agent_service.crash_reports(session, limit=limit, before_id=before_id)
    items = [CrashReportRead.model_validate(row) for row in rows]
    return CrashReportPage(items=items, next_cursor=items[-1].id if len(items) == limit else None)
