"""The webhook inbox writer: one thread stores verified deliveries in small groups.

Each request waits until its delivery is committed and on disk (a 200 tells Meta it may forget
the event), but requests arriving together share one transaction: on SQLite a commit per request
makes writers queue on the database lock and the tail latency explode (ARCHITECTURE §5). The
group is synced to disk after its commit, so other writers do not wait for the disk either.
"""

from __future__ import annotations

import asyncio
import hashlib
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import Engine

from surgiai.channels.base import InboundWebhooks
from surgiai.db.engine import sync_to_disk
from surgiai.external_events.repository import insert_ignoring_duplicates
from surgiai.kit.time import utcnow
from surgiai.worker.queue import TaskQueue

log = structlog.get_logger(__name__)

PROCESS_TASK = "external_events.process"
MAX_GROUP = 256


@dataclass
class _Delivery:
    source: str
    body: bytes
    # Delivery receipts and nothing else: their processing may wait a little.
    only_receipts: bool
    done: asyncio.Future[None]
    loop: asyncio.AbstractEventLoop
    external_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.external_id = hashlib.sha256(self.body).hexdigest()


class IngestWriter:
    def __init__(
        self, engine: Engine, task_queue: TaskQueue, *, status_batch_seconds: float = 0.0
    ) -> None:
        self._engine = engine
        self._task_queue = task_queue
        self._status_batch_seconds = status_batch_seconds
        # When the delayed run already queued for receipts will start (monotonic clock).
        self._status_run_at = 0.0
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

    async def store(self, webhooks: InboundWebhooks, body: bytes) -> None:
        """Return once `body`, a verified webhook of `webhooks`' provider, is durably stored
        (or was already)."""
        self.start()
        loop = asyncio.get_running_loop()
        delivery = _Delivery(
            webhooks.source, body, webhooks.only_receipts(body), loop.create_future(), loop
        )
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
                    "receipts_only": delivery.only_receipts,
                    "received_at": now,
                    "state": "pending",
                    "attempts": 0,
                },
            )
        error: BaseException | None = None
        try:
            with self._engine.begin() as connection:
                insert_ignoring_duplicates(connection, list(rows.values()))
            sync_to_disk(self._engine)
        except Exception as exc:  # every waiting request must hear about it
            log.exception("external_events.store.failed", deliveries=len(group))
            error = exc
        if error is None:
            try:
                self._request_processing(group)
            except Exception:
                # Stored rows are the source of truth: the sweeper re-drives pending events.
                log.exception("external_events.enqueue.failed")
        # One wake-up per event loop for the whole group, not one per request.
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        for delivery in group:
            by_loop.setdefault(delivery.loop, []).append(delivery.done)
        for loop, futures in by_loop.items():
            loop.call_soon_threadsafe(_settle, futures, error)

    def _request_processing(self, group: list[_Delivery]) -> None:
        """Process now, unless the group holds only receipts: those wait for the next run
        (a doctor's message triggers one at once), or a delayed one queued for them."""
        if self._status_batch_seconds <= 0 or not all(delivery.only_receipts for delivery in group):
            self._task_queue.send(PROCESS_TASK)
            return
        now = time.monotonic()
        if now < self._status_run_at:
            # The queued run starts after this commit and claims every pending delivery.
            return
        self._task_queue.send(PROCESS_TASK, delay=self._status_batch_seconds)
        self._status_run_at = now + self._status_batch_seconds


def _settle(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for future in futures:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
