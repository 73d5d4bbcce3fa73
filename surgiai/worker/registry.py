"""Task and sweeper registry, filled at import time by each domain's `tasks.py`.

Tasks are declared once here and bound to whichever Huey backend the process runs (SQLite in
embedded mode, Redis in distributed mode), so the same task code serves both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Concatenate, ParamSpec

from sqlalchemy.orm import Session

P = ParamSpec("P")
TaskFunction = Callable[Concatenate[Session, P], None]
Sweeper = Callable[[Session], int]


@dataclass(frozen=True)
class TaskSpec:
    name: str
    function: Callable[..., None]
    retries: int
    retry_delay: int
    # For periodic tasks: called with the UTC minute; True means "run now".
    schedule: Callable[[datetime], bool] | None = None


TASKS: dict[str, TaskSpec] = {}
SWEEPERS: dict[str, Sweeper] = {}


def task(
    name: str, *, retries: int = 0, retry_delay: int = 0
) -> Callable[[TaskFunction[P]], TaskFunction[P]]:
    """Declare a task. Its function receives a session; the task runner commits it."""

    def decorator(function: TaskFunction[P]) -> TaskFunction[P]:
        if name in TASKS:
            raise ValueError(f"task {name!r} is declared twice")
        TASKS[name] = TaskSpec(name, function, retries, retry_delay)
        return function

    return decorator


def periodic(
    name: str, schedule: Callable[[datetime], bool]
) -> Callable[[Callable[[Session], None]], Callable[[Session], None]]:
    def decorator(function: Callable[[Session], None]) -> Callable[[Session], None]:
        if name in TASKS:
            raise ValueError(f"task {name!r} is declared twice")
        TASKS[name] = TaskSpec(name, function, 0, 0, schedule)
        return function

    return decorator


def every_minute(_moment: datetime) -> bool:
    return True


def every_n_minutes(n: int) -> Callable[[datetime], bool]:
    def schedule(moment: datetime) -> bool:
        return moment.minute % n == 0

    return schedule


def sweeper(name: str) -> Callable[[Sweeper], Sweeper]:
    """Register a re-drive function: it finds rows stuck in flight and re-queues their work.

    It runs every minute on the periodic worker, in its own transaction, and returns how many
    rows it re-drove.
    """

    def decorator(function: Sweeper) -> Sweeper:
        if name in SWEEPERS:
            raise ValueError(f"sweeper {name!r} is registered twice")
        SWEEPERS[name] = function
        return function

    return decorator


def load_all_tasks() -> None:
    """Import every module that declares tasks, so a worker knows all of them."""
    import surgiai.agents.monitor
    import surgiai.agents.scheduled
    import surgiai.agents.tasks
    import surgiai.audit.tasks
    import surgiai.auth.tasks
    import surgiai.conversations.tasks
    import surgiai.external_events.tasks
    import surgiai.numbers.tasks
    import surgiai.templates.tasks
    import surgiai.worker.sweeper  # noqa: F401


__all__: list[Any] = ["SWEEPERS", "TASKS", "load_all_tasks", "periodic", "sweeper", "task"]
