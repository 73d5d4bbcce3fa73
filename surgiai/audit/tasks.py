from __future__ import annotations

from typing import Any

from surgiai.audit.service import RECORD_TASK, audit_service
from surgiai.runtime import TaskContext
from surgiai.worker.registry import task


@task(RECORD_TASK, retries=5, retry_delay=2)
def record_audit_event(context: TaskContext, event: dict[str, Any]) -> None:
    audit_service.write(context.session, event)
