"""The task queue: Huey on SQLite (embedded) or Redis (distributed), plus enqueue-after-commit.

Jobs enqueued while a database session is open are held on the session and sent only once it
commits; a rollback drops them (the Polar way), so a task never sees state that does not exist.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from huey import RedisHuey
from huey.api import Huey, TaskWrapper
from huey.consumer import Consumer, Worker
from huey.storage import SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from surgiai.db.engine import LOCK_TIMEOUT_SECONDS, session_scope, write_lock_for
from surgiai.db.transactions import current_transaction, made_within, rollback_boundary
from surgiai.worker.registry import TASKS, TaskSpec

log = structlog.get_logger(__name__)

PENDING_JOBS_KEY = "surgiai.pending_jobs"


class TaskQueue:
    def __init__(self, huey: Huey, session_factory: sessionmaker[Session]) -> None:
        self.huey = huey
        self.session_factory = session_factory
        self._wrappers: dict[str, TaskWrapper] = {}
        for spec in TASKS.values():
            self._wrappers[spec.name] = self._bind(spec)

    @classmethod
    def sqlite(cls, path: Path, session_factory: sessionmaker[Session]) -> TaskQueue:
        huey = _SqliteHuey(name="surgiai", filename=str(path), results=False, utc=True)
        return cls(huey, session_factory)

    @classmethod
    def redis(
        cls, url: str, session_factory: sessionmaker[Session], *, name: str = "surgiai"
    ) -> TaskQueue:
        huey = RedisHuey(name=name, url=url, results=False, utc=True)
        return cls(huey, session_factory)

    def _bind(self, spec: TaskSpec) -> TaskWrapper:
        session_factory = self.session_factory

        def run(correlation_id: str | None, *args: Any, **kwargs: Any) -> None:
            with (
                structlog.contextvars.bound_contextvars(
                    correlation_id=correlation_id, task=spec.name
                ),
                session_scope(session_factory) as session,
            ):
                spec.function(session, *args, **kwargs)

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

    def send(self, name: str, *args: Any, delay: float | None = None, **kwargs: Any) -> None:
        """Send now, outside any transaction. Prefer `enqueue(session, ...)`."""
        wrapper = self._wrappers[name]
        correlation_id = structlog.contextvars.get_contextvars().get("correlation_id")
        if delay:
            wrapper.schedule(args=(correlation_id, *args), kwargs=kwargs, delay=delay)
        else:
            wrapper(correlation_id, *args, **kwargs)

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


class _SqliteHuey(Huey):  # type: ignore[misc]
    storage_class = _SqliteStorage

    def enqueue(self, task: Any) -> Any:
        # Every way work enters the queue in this process (a send, a retry, the scheduler
        # releasing a delayed task) wakes an idle worker at once.
        result = super().enqueue(task)
        _doorbell.ring()
        return result


class _Doorbell:
    """Wakes one idle worker of this process when this process enqueues a task, so work made
    here (a stored webhook, a queued reply) starts at once instead of at the next poll. The
    web process of `surgiai run` also rings its worker processes (`ring_elsewhere`); work
    enqueued by other processes is otherwise found by polling (at most `max_delay` late)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._rung = 0
        self._elsewhere: list[Callable[[], None]] = []

    def ring(self) -> None:
        self.ring_here()
        for ring in self._elsewhere:
            ring()

    def ring_elsewhere(self, ring: Callable[[], None]) -> None:
        self._elsewhere.append(ring)

    def stop_ringing_elsewhere(self, ring: Callable[[], None]) -> None:
        if ring in self._elsewhere:
            self._elsewhere.remove(ring)

    def ring_here(self) -> None:
        with self._condition:
            # Bounded: rings while every worker was busy need not each be a wake-up later.
            self._rung = min(self._rung + 1, 64)
            self._condition.notify()

    def wait(self, timeout: float) -> None:
        with self._condition:
            if self._rung == 0:
                self._condition.wait(timeout)
            self._rung = max(0, self._rung - 1)


_doorbell = _Doorbell()


def ring_elsewhere(ring: Callable[[], None]) -> None:
    """Call `ring` too whenever this process queues a task (wakes another process's workers)."""
    _doorbell.ring_elsewhere(ring)


def stop_ringing_elsewhere(ring: Callable[[], None]) -> None:
    _doorbell.stop_ringing_elsewhere(ring)


def wake_a_worker() -> None:
    """Wake one idle worker thread of this process: another process queued work for it."""
    _doorbell.ring_here()


class _Worker(Worker):  # type: ignore[misc]
    delay: float
    max_delay: float
    backoff: float

    def sleep(self) -> None:
        if self.stop_flag.is_set():
            return
        self.delay = min(self.delay, self.max_delay)
        _doorbell.wait(self.delay)
        self.delay *= self.backoff


class _Consumer(Consumer):  # type: ignore[misc]
    worker_class = _Worker


class EmbeddedConsumer(_Consumer):
    """A consumer inside the web process: the web server owns the signal handlers."""

    def _set_signal_handlers(self) -> None:
        return None


_active_queue: TaskQueue | None = None
_active_lock = threading.Lock()


def activate(queue: TaskQueue | None) -> None:
    global _active_queue
    with _active_lock:
        _active_queue = queue


def active_queue() -> TaskQueue:
    if _active_queue is None:
        raise RuntimeError("no task queue is active in this process")
    return _active_queue


@dataclass(frozen=True)
class _PendingJob:
    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    delay: float | None
    # The savepoint (or transaction) it was enqueued in: rolling that back drops the job.
    transaction: SessionTransaction | None


def enqueue(
    session: Session, name: str, *args: Any, delay: float | None = None, **kwargs: Any
) -> None:
    """Queue a task to be sent after `session` commits (and never if it rolls back)."""
    if name not in TASKS:
        raise KeyError(f"unknown task {name!r}")
    job = _PendingJob(name, args, kwargs, delay, current_transaction(session))
    session.info.setdefault(PENDING_JOBS_KEY, []).append(job)


@event.listens_for(Session, "after_commit")
def _send_pending_jobs(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy fires after_commit when a savepoint is released too; the rows are
        # not visible to a worker until the outermost transaction commits.
        return
    jobs = session.info.pop(PENDING_JOBS_KEY, [])
    if not jobs:
        return
    queue = active_queue()
    for job in jobs:
        try:
            queue.send(job.name, *job.args, delay=job.delay, **job.kwargs)
        except Exception:
            # The committed rows are the source of truth; the sweeper re-drives their work.
            log.exception("worker.enqueue.failed", task=job.name)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending_jobs(session: Session, previous_transaction: SessionTransaction) -> None:
    boundary = rollback_boundary(previous_transaction)
    if boundary is None:
        session.info.pop(PENDING_JOBS_KEY, None)
        return
    jobs: list[_PendingJob] = session.info.get(PENDING_JOBS_KEY, [])
    session.info[PENDING_JOBS_KEY] = [
        job for job in jobs if not made_within(job.transaction, boundary)
    ]
