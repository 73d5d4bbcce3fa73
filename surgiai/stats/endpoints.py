from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from surgiai.auth.dependencies import CurrentUser
from surgiai.dependencies import DbSession, SettingsDep
from surgiai.kit.schemas import Id
from surgiai.stats.schemas import TrafficStats
from surgiai.stats.service import stats_service
from surgiai.workspace.service import workspace_service

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])


@router.get("/traffic", response_model=TrafficStats)
def traffic(
    _: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    days: Annotated[int, Query(ge=1, le=90, description="How many days, today included")] = 14,
    number_id: Annotated[Id | None, Query(description="Only this number's traffic")] = None,
) -> TrafficStats:
    timezone = workspace_service.current(session, settings).timezone
    return stats_service.traffic(session, days=days, number_id=number_id, timezone=timezone)
