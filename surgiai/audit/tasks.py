from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from surgiai.audit.service import RECORD_TASK, audit_service
from surgiai.worker.registry import task


@task(RECORD_TASK, retries=5, retry_delay=2)
def record_audit_event(session: Session, event: dict[str, Any]) -> None:
    audit_service.write(session, event)
