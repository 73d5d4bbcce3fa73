"""The audit log: who did what, written by a task after the change commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from surgiai.audit.models import AuditEvent
from surgiai.audit.repository import AuditRepository
from surgiai.db.outbox import enqueue
from surgiai.kit.time import utcnow

RECORD_TASK = "audit.record"


class AuditService:
    def record(
        self,
        session: Session,
        action: str,
        *,
        actor_user_id: int | None = None,
        actor_email: str | None = None,
        target_type: str | None = None,
        target_id: str | int | None = None,
        ip: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Queue an audit event; it is written only if the surrounding transaction commits."""
        event = {
            "event_key": uuid.uuid4().hex,
            "occurred_at": utcnow().isoformat(),
            "action": action,
            "actor_user_id": actor_user_id,
            "actor_email": actor_email,
            "target_type": target_type,
            "target_id": None if target_id is None else str(target_id),
            "ip": ip,
            "details": details or {},
        }
        enqueue(session, RECORD_TASK, event)

    def write(self, session: Session, event: dict[str, Any]) -> bool:
        values = dict(event)
        values["occurred_at"] = datetime.fromisoformat(values["occurred_at"])
        return AuditRepository(session).insert_once(values)

    def page(
        self, session: Session, *, limit: int, before_id: int | None, action: str | None
    ) -> Sequence[AuditEvent]:
        return AuditRepository(session).page(limit=limit, before_id=before_id, action=action)


audit_service = AuditService()
