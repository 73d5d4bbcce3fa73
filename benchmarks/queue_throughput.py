"""Task queue: audit tasks enqueued after commit and run by embedded consumer threads."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from surgiai.all_tasks import task_registry
from surgiai.audit.models import AuditEvent
from surgiai.audit.service import audit_service
from surgiai.config import Settings
from surgiai.db.engine import session_scope
from surgiai.db.migrate import upgrade
from surgiai.runtime import Runtime

TASKS = 2_000


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(data_dir=Path(directory), secret_key="bench-secret-key")  # type: ignore[arg-type]
        runtime = Runtime(settings, task_registry())
        upgrade(runtime.engine)
        started = time.perf_counter()
        for index in range(TASKS):
            with session_scope(runtime.session_factory) as session:
                audit_service.record(session, "bench.event", details={"index": index})
        enqueued = time.perf_counter()
        consumer = runtime.queue.consumer(workers=4, periodic=False, embedded=True)
        consumer.start()
        try:
            while True:
                with session_scope(runtime.session_factory) as session:
                    done = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
                if done >= TASKS:
                    break
                time.sleep(0.02)
        finally:
            consumer.stop(graceful=True)
        finished = time.perf_counter()
        runtime.close()
    return {
        "tasks": TASKS,
        "enqueue_after_commit_per_s": round(TASKS / (enqueued - started)),
        "executed_per_s": round(TASKS / (finished - enqueued)),
    }
