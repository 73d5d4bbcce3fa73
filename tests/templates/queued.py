"""What the templates tests look at in the task queue."""

from __future__ import annotations

from typing import Any

from surgiai.runtime import Runtime
from surgiai.templates.service import SYNC_TASK


def queued_syncs(runtime: Runtime) -> list[tuple[Any, ...]]:
    """The arguments (number id, attempt) of each template sync waiting in the queue."""
    return [task.args[1:] for task in runtime.queue.huey.pending() if task.name == SYNC_TASK]
