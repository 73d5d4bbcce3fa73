"""The task queue: Huey on SQLite (embedded) or Redis (distributed).

Work is queued through a session's outbox (`surgiai.db.outbox.enqueue`), which hands it here only
once the transaction commits; `send` is for work that follows no transaction of its own (a
stored webhook, a retry scheduled by the queue itself).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog
from huey import RedisHuey
from huey.api import Huey, TaskWrapper
from huey.consumer import Consumer, Worker
from huey.storage import SqliteStorage

from surgiai.db.engine import LOCK_TIMEOUT_SECONDS, write_lock_for
from surgiai.db.outbox import Job
from surgiai.worker.registry import TaskRegistry, TaskSpec

log = structlog.get_logger(__name__)

# Runs one task: opens its unit of work, calls the function, commits (the runtime's).
TaskRunner = Callable[[TaskSpec, tuple[Any, ...], dict[str, Any]], None]


class TaskQueue:
    def __init__(self, huey: Huey, tasks: TaskRegistry, runner: TaskRunner) -> None:
        self.huey = huey
        self.tasks = tasks
        self._runner = runner
        self._wrappers: dict[str, TaskWrapper] = {
            spec.name: self._bind(spec) for spec in tasks.tasks.values()
        }

    @property
    def doorbell(self) -> Doorbell:
        doorbell: Doorbell = self.huey.doorbell
        return doorbell

    @classmethod
    def sqlite(cls, path: Path, tasks: TaskRegistry, runner: TaskRunner) -> TaskQueue:
        huey = _SqliteHuey(name="surgiai", filename=str(path), results=False, utc=True)
        return cls(huey, tasks, runner)

    @classmethod
    def redis(
        cls, url: str, tasks: TaskRegistry, runner: TaskRunner, *, name: str = "surgiai"
    ) -> TaskQueue:
        huey = _RedisHuey(name=name, url=url, results=False, utc=True)
        return cls(huey, tasks, runner)

    def _bind(self, spec: TaskSpec) -> TaskWrapper:
        runner = self._runner

        def run(correlation_id: str | None, *args: Any, **kwargs: Any) -> None:
            with structlog.contextvars.bound_contextvars(
                correlation_id=correlation_id, task=spec.name
            ):
                runner(spec, args, kwargs)

        def run_periodic() -> None:
            run(None)

        if spec.schedule is not None:
            schedule = spec.schedule
            return self.huey.periodic_task(lambda moment: schedule(moment), name=spec.name)(
                run_periodic
            )
        return self.huey.task(retries=spec.retries, retry_delay=spec.retry_delay, name=spec.name)(
            run
        )

    def check(self, job: Job) -> None:
        """Refuse at once a job for a task this queue does not know."""
        self.tasks.spec(job.name)

    def send(self, name: str, *args: Any, delay: float | None = None, **kwargs: Any) -> None:
        """Queue now, outside any transaction. Work that follows a change goes through the
        session's outbox instead (`surgiai.db.outbox.enqueue`)."""
        wrapper = self._wrappers[self.tasks.spec(name).name]
        correlation_id = structlog.contextvars.get_contextvars().get("correlation_id")
        if delay:
            wrapper.schedule(args=(correlation_id, *args), kwargs=kwargs, delay=delay)
        else:
            wrapper(correlation_id, *args, **kwargs)

    def send_job(self, job: Job) -> None:
        self.send(job.name, *job.args, delay=job.delay, **job.kwargs)

    def pending(self) -> int:
        return int(self.huey.pending_count())

    def ping(self) -> None:
        """Raise if the queue's storage is unreachable."""
        self.huey.pending_count()

    def consumer(self, *, workers: int, periodic: bool, embedded: bool) -> Consumer:
        consumer_class = EmbeddedConsumer if embedded else _Consumer
        return consumer_class(
            self.huey,
            workers=workers,
            periodic=periodic,
            worker_type="thread",
            # Polling finds only what other processes queued (work queued here rings the
            # doorbell), so it need not be eager: every empty poll costs a query and the GIL.
            initial_delay=0.1,
            max_delay=0.25,
            check_worker_health=True,
        )

    def close(self) -> None:
        self.huey.storage.close()


class _SqliteStorage(SqliteStorage):  # type: ignore[misc]
    """WAL with synchronous=NORMAL: queued work survives a killed process without an fsync per
    enqueue. What must never be lost is a database row anyway; the sweepers re-drive it.

    Writes (enqueue, dequeue, the schedule) queue for the file on a `WriteLock` shared by every
    process using it (`surgiai run` and its worker processes): left to SQLite, a writer that
    finds the file busy sleeps 1 to 100 ms between tries, and a busy queue stalls on that."""

    def _create_connection(self) -> Any:
        connection = super()._create_connection()
        connection.execute("pragma synchronous=1")
        return connection

    @contextmanager
    def db(self, commit: bool = False, close: bool = False) -> Iterator[Any]:
        if not commit:
            with super().db(commit=False, close=close) as cursor:
                yield cursor
            return
        lock = write_lock_for(self.filename)
        if not lock.acquire(LOCK_TIMEOUT_SECONDS):
            raise sqlite3.OperationalError("the task queue's database stayed locked for 30 s")
        try:
            with super().db(commit=True, close=close) as cursor:
                yield cursor
        finally:
            lock.release()


class Doorbell:
    """Wakes one idle worker of this process when this process queues a task, so work made here
    (a stored webhook, a queued reply) starts at once instead of at the next poll. The web
    process of `surgiai run` also rings its worker processes (`ring_elsewhere`); work queued
    by other processes is otherwise found by polling (at most `max_delay` late)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._rung = 0
        self._elsewhere: list[Callable[[], None]] = []

    def ring(self) -> None:
        self.ring_here()
        for ring in self._elsewhere:
            ring()

    def ring_elsewhere(self, ring: Callable[[], None]) -> None:
        """Call `ring` too whenever this process queues a task (wakes another process's
        workers)."""
        self._elsewhere.append(ring)

    def stop_ringing_elsewhere(self, ring: Callable[[], None]) -> None:
        if ring in self._elsewhere:
            self._elsewhere.remove(ring)

    def ring_here(self) -> None:
        """Wake one idle worker thread of this process."""
        with self._condition:
            # Bounded: rings while every worker was busy need not each be a wake-up later.
            self._rung = min(self._rung + 1, 64)
            self._condition.notify()

    def wait(self, timeout: float) -> None:
        with self._condition:
            if self._rung == 0:
                self._condition.wait(timeout)
            self._rung = max(0, self._rung - 1)


class _SqliteHuey(Huey):  # type: ignore[misc]
    storage_class = _SqliteStorage

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.doorbell = Doorbell()

    def enqueue(self, task: Any) -> Any:
        # Every way work enters the queue in this process (a send, a retry, the scheduler
        # releasing a delayed task) wakes an idle worker at once.
        result = super().enqueue(task)
        self.doorbell.ring()
        return result


class _RedisHuey(RedisHuey):  # type: ignore[misc]
    """Distributed: workers find work by polling Redis; the doorbell only wakes them early when
    another process's link says so."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.doorbell = Doorbell()


class _Worker(Worker):  # type: ignore[misc]
    delay: float
    max_delay: float
    backoff: float

    def sleep(self) -> None:
        if self.stop_flag.is_set():
            return
        self.delay = min(self.delay, self.max_delay)
        self.huey.doorbell.wait(self.delay)
        self.delay *= self.backoff


class _Consumer(Consumer):  # type: ignore[misc]
    worker_class = _Worker


class EmbeddedConsumer(_Consumer):
    """A consumer inside the web process: the web server owns the signal handlers."""

    def _set_signal_handlers(self) -> None:
        return None
