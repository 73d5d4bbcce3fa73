"""Worker heartbeats: every process that runs tasks (`surgiai run`, `surgiai worker`) says it
is alive every 15 s, so the dashboard can show a worker that stopped beating as down.

A clean stop removes the worker's row; a killed worker leaves it behind, ageing, which is the
point. Rows silent for a day are pruned by the Health Monitoring agent.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.orm import Session, sessionmaker

from surgiai.db.engine import session_scope
from surgiai.kit.time import utcnow
from surgiai.worker.claimants import ALIVE_WITHIN, this_claimant
from surgiai.worker.repository import HeartbeatRepository

log = structlog.get_logger(__name__)

BEAT_INTERVAL_SECONDS = 15.0
FORGET_AFTER = timedelta(days=1)


def this_worker_id() -> str:
    """The name this process beats under and claims work under (`worker.claimants`)."""
    return this_claimant()


class Heartbeat:
    """A daemon thread that upserts this process's `WorkerHeartbeat` row."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        threads: int,
        embedded: bool,
        interval_seconds: float = BEAT_INTERVAL_SECONDS,
        worker_id: str | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.threads = threads
        self.embedded = embedded
        self.interval_seconds = interval_seconds
        self.worker_id = worker_id or this_worker_id()
        self.started_at = utcnow()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Beat once now, then every interval in the background."""
        self._beat_safely()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and remove this worker's row: it stopped, it did not die."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval_seconds)
        try:
            with session_scope(self.session_factory) as session:
                HeartbeatRepository(session).remove(self.worker_id)
        except Exception:
            log.exception("worker.heartbeat.remove_failed", worker_id=self.worker_id)

    def beat(self) -> None:
        values = {
            "started_at": self.started_at,
            "last_beat_at": utcnow(),
            "threads": self.threads,
            "embedded": self.embedded,
        }
        with session_scope(self.session_factory) as session:
            HeartbeatRepository(session).beat(self.worker_id, values)

    def _beat_safely(self) -> None:
        # A database hiccup must not kill the thread: the next beat may well succeed, and a
        # worker whose beats keep failing shows as down, which is then the truth.
        try:
            self.beat()
        except Exception:
            log.exception("worker.heartbeat.failed", worker_id=self.worker_id)

    def _run(self) -> None:
        while not self._stopping.wait(self.interval_seconds):
            self._beat_safely()


@dataclass(frozen=True)
class WorkerStatus:
    worker_id: str
    started_at: datetime
    last_beat_at: datetime
    alive: bool
    threads: int
    embedded: bool


def worker_statuses(session: Session, now: datetime) -> list[WorkerStatus]:
    return [
        WorkerStatus(
            worker_id=row.worker_id,
            started_at=row.started_at,
            last_beat_at=row.last_beat_at,
            alive=now - row.last_beat_at <= ALIVE_WITHIN,
            threads=row.threads,
            embedded=row.embedded,
        )
        for row in HeartbeatRepository(session).all()
    ]


def forget_silent_workers(session: Session, now: datetime) -> int:
    return HeartbeatRepository(session).forget_silent_since(now - FORGET_AFTER)
