"""A small timer wheel on the running event loop: delayed jobs for statuses, retries, etc.

Jobs may be scheduled before the loop starts (they wait) and from other threads (the wake-up
goes through `call_soon_threadsafe`). A job is a callable returning None or a coroutine; the
coroutine runs as its own task so slow webhook receivers never block the timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import inspect
import itertools
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, cast

import structlog

log = structlog.get_logger(__name__)

# A job returns None, or a coroutine to run as a task; other return values are ignored.
Job = Callable[[], object]


def cancel_soon(task: asyncio.Task[None]) -> None:
    """Cancel `task` from any thread (task methods are only safe on their own loop)."""
    loop = task.get_loop()
    if loop.is_closed() or task.done():
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        task.cancel()
    else:
        loop.call_soon_threadsafe(task.cancel)


@dataclass(order=True)
class _Entry:
    due: float
    seq: int
    job: Job = field(compare=False)


class Scheduler:
    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._runner: asyncio.Task[None] | None = None
        self._active: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> bool:
        return self._runner is not None and not self._runner.done()

    def running_here(self) -> bool:
        """Running on the current event loop (a runner left on a dead loop does not count)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        return self.running and self._loop is loop

    def schedule(self, delay: float, job: Job) -> None:
        """Run `job` after `delay` real seconds."""
        with self._lock:
            heapq.heappush(self._heap, _Entry(time.monotonic() + delay, next(self._counter), job))
        self._notify()

    def pending(self) -> int:
        with self._lock:
            return len(self._heap) + len(self._active)

    def clear(self) -> None:
        with self._lock:
            self._heap.clear()
        for task in list(self._active):
            cancel_soon(task)

    async def start(self) -> None:
        if self.running_here():
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._active = set()
        self._runner = self._loop.create_task(self._run(), name="simulator-scheduler")

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        tasks = [task for task in self._active if not task.done()]
        if runner is not None:
            tasks.append(runner)
        for task in tasks:
            task.cancel()
        current = asyncio.get_running_loop()
        mine = [task for task in tasks if task.get_loop() is current]
        if mine:
            await asyncio.gather(*mine, return_exceptions=True)
        self._active.clear()
        self._loop = None
        self._wake = None

    async def drain(self, timeout: float) -> bool:
        """Wait until no job is pending or running; False on timeout."""
        deadline = time.monotonic() + timeout
        while self.pending():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.005)
        return True

    def _notify(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            wake.set()
        else:
            loop.call_soon_threadsafe(wake.set)

    def _pop_due(self) -> tuple[list[Job], float | None]:
        now = time.monotonic()
        due: list[Job] = []
        with self._lock:
            while self._heap and self._heap[0].due <= now:
                due.append(heapq.heappop(self._heap).job)
            next_due = self._heap[0].due - now if self._heap else None
        return due, next_due

    async def _run(self) -> None:
        assert self._wake is not None
        wake = self._wake
        while True:
            wake.clear()
            due, next_due = self._pop_due()
            for job in due:
                self._run_job(job)
            if due:
                await asyncio.sleep(0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=next_due)

    def _run_job(self, job: Job) -> None:
        try:
            result = job()
        except Exception:
            log.exception("simulator.scheduler.job_failed")
            return
        if inspect.iscoroutine(result):
            # The coroutine itself becomes the task, so cancelling it before it starts (on
            # stop) closes it cleanly instead of leaving a never-awaited coroutine behind.
            task = asyncio.get_running_loop().create_task(cast(Coroutine[Any, Any, None], result))
            self._active.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._active.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("simulator.scheduler.job_failed", exc_info=task.exception())
