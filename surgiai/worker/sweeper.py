"""The periodic sweeper: re-drives rows left in flight by a worker that died."""

from __future__ import annotations

import structlog
from sqlalchemy.orm import Session

from surgiai.worker.registry import SWEEPERS, every_minute, periodic

log = structlog.get_logger(__name__)


def sweep(session: Session) -> dict[str, int]:
    """Run every registered sweeper, each isolated so one failure does not stop the others."""
    redriven: dict[str, int] = {}
    for name, function in SWEEPERS.items():
        try:
            with session.begin_nested():
                redriven[name] = function(session)
        except Exception:
            log.exception("worker.sweeper.failed", sweeper=name)
            continue
        if redriven[name]:
            log.info("worker.sweeper.redriven", sweeper=name, count=redriven[name])
    return redriven


@periodic("worker.sweep", every_minute)
def sweep_task(session: Session) -> None:
    sweep(session)
