from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from surgiai.auth.models import User
from surgiai.db.upsert import insert_ignore_conflict
from surgiai.workspace.models import SINGLE_ROW_ID, WorkspaceSettings


class WorkspaceSettingsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self) -> WorkspaceSettings | None:
        """The row as the database has it now (None until an admin first saves)."""
        with self.session.no_autoflush:
            return self.session.get(WorkspaceSettings, SINGLE_ROW_ID, populate_existing=True)

    def get_for_update(self, initial: dict[str, Any]) -> WorkspaceSettings:
        """The row, locked for this transaction; created from `initial` when missing. Two
        admins saving for the first time at once must not collide on its key."""
        insert_ignore_conflict(
            self.session, WorkspaceSettings, {"id": SINGLE_ROW_ID, **initial}, ["id"]
        )
        row = self.session.get(
            WorkspaceSettings, SINGLE_ROW_ID, populate_existing=True, with_for_update=True
        )
        assert row is not None
        return row

    def user_name(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        user = self.session.get(User, user_id)
        return user.name if user is not None else None
