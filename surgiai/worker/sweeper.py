"""The periodic sweeper: re-drives rows left in flight by a worker that died."""

from __future__ import annotations

import structlog

from surgiai.db.engine import session_scope
from surgiai.runtime import Runtime, TaskContext
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


def sweep_at_start(runtime: Runtime) -> None:
    """A process that runs tasks sweeps once as it starts: what a killed predecessor on this
    host held (its pid is gone) goes back now, not at the next sweep two minutes on."""
    try:
        with session_scope(runtime.session_factory) as session:
            sweep(TaskContext(session, runtime))
    except Exception:
        # The minute's sweep will do it; a process must start even if this fails.
        log.exception("worker.sweeper.at_start_failed")
