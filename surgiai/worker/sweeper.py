"""The periodic sweeper: re-drives rows left in flight by a worker that died."""

from __future__ import annotations

import structlog

from surgiai.runtime import TaskContext
from surgiai.worker.registry import every_minute, periodic

log = structlog.get_logger(__name__)


def sweep(context: TaskContext) -> dict[str, int]:
    """Run every registered sweeper, each isolated so one failure does not stop the others."""
    redriven: dict[str, int] = {}
    for name, spec in context.runtime.tasks.sweepers.items():
        try:
            with context.session.begin_nested():
                redriven[name] = spec.function(context)
        except Exception:
            log.exception("worker.sweeper.failed", sweeper=name)
            continue
        if redriven[name]:
            log.info("worker.sweeper.redriven", sweeper=name, count=redriven[name])
    return redriven


@periodic("worker.sweep", every_minute)
def sweep_task(context: TaskContext) -> None:
    sweep(context)
