"""The webhook inbox writer: one thread stores verified deliveries in small groups.

Each request waits until its delivery is committed (so a 200 means "stored"), but requests
arriving together share one transaction: on SQLite a commit per request makes writers queue on
the database lock and the tail latency explode (ARCHITECTURE §5).
"""

from __future__ import annotations

import asyncio
import hashlib
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from surgiai.external_events.repository import ExternalEventRepository
from surgiai.kit.time import utcnow
from surgiai.worker.queue import TaskQueue

log = structlog.get_logger(__name__)

PROCESS_TASK = "external_events.process"
MAX_GROUP = 256


@dataclass
class _Delivery:
    source: str
    body: bytes
    done: asyncio.Future[None]
    loop: asyncio.AbstractEventLoop
    external_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.external_id = hashlib.sha256(self.body).hexdigest()


class IngestWriter:
    def __init__(self, session_factory: sessionmaker[Session], task_queue: TaskQueue) -> None:
        self._session_factory = session_factory
        self._task_queue = task_queue
        self._inbox: queue.Queue[_Delivery | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="surgiai-webhook-writer", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._inbox.put(None)
            thread.join(timeout=10)

    async def store(self, source: str, body: bytes) -> None:
        """Return once `body` is durably stored (or was already)."""
        self.start()
        loop = asyncio.get_running_loop()
        delivery = _Delivery(source, body, loop.create_future(), loop)
        self._inbox.put(delivery)
        await delivery.done

    def _run(self) -> None:
        while True:
            first = self._inbox.get()
            if first is None:
                return
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    item = self._inbox.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._inbox.put(None)
                    break
                group.append(item)
            self._write(group)

    def _write(self, group: list[_Delivery]) -> None:
        now = utcnow()
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for delivery in group:
            key = (delivery.source, delivery.external_id)
            rows.setdefault(
                key,
                {
                    "source": delivery.source,
                    "external_id": delivery.external_id,
                    "body": delivery.body,
                    "received_at": now,
                    "state": "pending",
                    "attempts": 0,
                },
            )
        error: BaseException | None = None
        try:
            session = self._session_factory()
            try:
                new_ids = ExternalEventRepository(session).insert_new(list(rows.values()))
                session.commit()
            finally:
                session.close()
        except Exception as exc:  # every waiting request must hear about it
            log.exception("external_events.store.failed", deliveries=len(group))
            error = exc
            new_ids = []
        if new_ids:
            try:
                self._task_queue.send(PROCESS_TASK, new_ids)
            except Exception:
                # Stored rows are the source of truth: the sweeper re-drives pending events.
                log.exception("external_events.enqueue.failed", events=len(new_ids))
        for delivery in group:
            delivery.loop.call_soon_threadsafe(_settle, delivery.done, error)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
