"""The workspace's settings as request dependencies, for any domain's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from surgiai.dependencies import DbSession, SettingsDep
from surgiai.workspace.service import workspace_service


def default_region(session: DbSession, settings: SettingsDep) -> str:
    """The country of a phone number typed without its country code (Settings page)."""
    return workspace_service.current(session, settings).default_region


DefaultRegion = Annotated[str, Depends(default_region)]
