from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from huey import RedisHuey
from sqlalchemy import select
from sqlalchemy.orm import Session

from surgiai.all_tasks import task_registry
from surgiai.audit.models import AuditEvent
from surgiai.audit.service import audit_service
from surgiai.config import Settings
from surgiai.db.engine import WriteLock, session_scope
from surgiai.db.outbox import enqueue
from surgiai.runtime import Runtime, TaskContext
from surgiai.worker.registry import SweeperSpec, TaskRegistry
from surgiai.worker.sweeper import sweep
from tests.conftest import drain, make_runtime, make_settings
from tests.services import wait_for, waiting_in


@pytest.fixture(params=["sqlite", "redis"])
def queue_runtime(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str
) -> Iterator[Runtime]:
    extra: dict[str, object] = {}
    if request.param == "redis":
        extra["redis_url"] = request.getfixturevalue("redis_url")
    settings = make_settings(tmp_path, database_url, **extra)
    runtime = make_runtime(settings, queue_name=f"surgiai-test-{uuid.uuid4().hex[:8]}")
    runtime.queue.huey.flush()
    yield runtime
    runtime.queue.huey.flush()
    runtime.close()


def audit_actions(runtime: Runtime) -> list[str]:
    with session_scope(runtime.session_factory) as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


class TestEnqueueAfterCommit:
    def test_job_is_sent_only_when_the_transaction_commits(self, queue_runtime: Runtime) -> None:
        session = queue_runtime.session_factory()
        audit_service.record(session, "test.committed")
        assert queue_runtime.queue.pending() == 0
        session.commit()
        session.close()
        assert queue_runtime.queue.pending() == 1
        assert drain(queue_runtime.queue) == 1
        assert audit_actions(queue_runtime) == ["test.committed"]

    def test_job_is_dropped_on_rollback(self, queue_runtime: Runtime) -> None:
        with (
            pytest.raises(RuntimeError),
            session_scope(queue_runtime.session_factory) as session,
        ):
            audit_service.record(session, "test.rolled_back")
            raise RuntimeError("request failed")
        assert queue_runtime.queue.pending() == 0
        with session_scope(queue_runtime.session_factory) as session:
            audit_service.record(session, "test.next")
        drain(queue_runtime.queue)
        assert audit_actions(queue_runtime) == ["test.next"]

    def test_a_rolled_back_savepoint_drops_only_the_jobs_enqueued_inside_it(
        self, queue_runtime: Runtime
    ) -> None:
        with session_scope(queue_runtime.session_factory) as session:
            audit_service.record(session, "test.before")
            savepoint = session.begin_nested()
            audit_service.record(session, "test.inside")
            savepoint.rollback()
            audit_service.record(session, "test.after")
        drain(queue_runtime.queue)
        assert audit_actions(queue_runtime) == ["test.before", "test.after"]

    def test_a_released_savepoint_sends_nothing_until_the_outer_commit(
        self, queue_runtime: Runtime
    ) -> None:
        """Releasing a savepoint is not a commit: a worker must not see work whose rows other
        connections cannot see yet (PostgreSQL would show it none of them)."""
        session = queue_runtime.session_factory()
        with session.begin_nested():
            audit_service.record(session, "test.inside")
        assert queue_runtime.queue.pending() == 0
        session.commit()
        session.close()
        assert queue_runtime.queue.pending() == 1

    def test_an_unknown_task_is_refused_before_anything_commits(
        self, queue_runtime: Runtime
    ) -> None:
        with (
            pytest.raises(KeyError, match=r"unknown task 'test\.nowhere'"),
            session_scope(queue_runtime.session_factory) as session,
        ):
            audit_service.record(session, "test.refused")
            enqueue(session, "test.nowhere")
        assert queue_runtime.queue.pending() == 0
        assert audit_actions(queue_runtime) == []

    def test_a_session_without_an_outbox_cannot_queue_work(self, queue_runtime: Runtime) -> None:
        with Session(queue_runtime.engine) as session, pytest.raises(RuntimeError, match="outbox"):
            audit_service.record(session, "test.nowhere")

    def test_a_rerun_task_records_the_event_once(self, queue_runtime: Runtime) -> None:
        with session_scope(queue_runtime.session_factory) as session:
            audit_service.record(session, "test.once")
        job = queue_runtime.queue.huey.dequeue()
        queue_runtime.queue.huey.execute(job)
        queue_runtime.queue.huey.execute(job)  # as if a worker died after running it
        assert audit_actions(queue_runtime) == ["test.once"]


class TestConsumerThreads:
    def test_embedded_consumer_runs_queued_work(self, queue_runtime: Runtime) -> None:
        consumer = queue_runtime.queue.consumer(workers=2, periodic=False, embedded=True)
        consumer.start()
        try:
            for index in range(20):
                with session_scope(queue_runtime.session_factory) as session:
                    audit_service.record(session, f"test.{index}")
            wait_for(lambda: len(audit_actions(queue_runtime)) == 20)
        finally:
            consumer.stop(graceful=True)
        assert sorted(audit_actions(queue_runtime)) == sorted(f"test.{i}" for i in range(20))


class TestSeparateWorkerProcess:
    """Distributed mode: the producer and `surgiai worker` are different processes."""

    def test_worker_process_consumes_what_this_process_enqueued(
        self, tmp_path: Path, database_url: str, redis_url: str
    ) -> None:
        settings = make_settings(tmp_path, database_url, redis_url=redis_url)
        runtime = make_runtime(settings)
        runtime.queue.huey.flush()
        env = {
            **os.environ,
            "SURGIAI_DATA_DIR": str(tmp_path),
            "SURGIAI_DATABASE_URL": database_url,
            "SURGIAI_REDIS_URL": redis_url,
            "SURGIAI_SECRET_KEY": "test-secret-key-0123456789",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "surgiai", "worker", "--threads", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            with session_scope(runtime.session_factory) as session:
                audit_service.record(session, "test.cross_process")
            wait_for(lambda: audit_actions(runtime) == ["test.cross_process"], timeout=30)
        finally:
            worker.terminate()
            worker.wait(timeout=20)
            runtime.queue.huey.flush()
            runtime.close()


class TestSweeper:
    def test_sweepers_run_isolated_and_report_counts(self, settings: Settings) -> None:
        def redrive_two(context: TaskContext) -> int:
            audit_service.record(context.session, "test.redriven")
            return 2

        def broken(context: TaskContext) -> int:
            raise RuntimeError("sweeper bug")

        everything = task_registry()
        tasks = TaskRegistry(
            [
                *everything.tasks.values(),
                SweeperSpec("test.broken", broken),
                SweeperSpec("test.redrive", redrive_two),
            ]
        )
        runtime = Runtime(settings, tasks)
        try:
            with session_scope(runtime.session_factory) as session:
                counts = sweep(TaskContext(session, runtime))
            assert counts["test.redrive"] == 2
            assert "test.broken" not in counts
            drain(runtime.queue)
            assert audit_actions(runtime) == ["test.redriven"]
        finally:
            runtime.close()

    def test_every_domain_registers_its_tasks_in_one_place(self, runtime: Runtime) -> None:
        assert runtime.tasks.tasks["worker.sweep"].schedule is not None
        assert runtime.tasks.tasks["auth.purge_expired"].schedule is not None
        assert {"conversations.outbound", "agents.inbound", "external_events.pending"} <= set(
            runtime.tasks.sweepers
        )
        periodic_names = {task.name for task in runtime.queue.huey._registry.periodic_tasks}
        assert {"worker.sweep", "auth.purge_expired"} <= periodic_names

    def test_a_task_declared_twice_is_refused(self) -> None:
        everything = task_registry()
        sweep_spec = everything.tasks["worker.sweep"]
        with pytest.raises(ValueError, match=r"'worker\.sweep' is declared twice"):
            TaskRegistry([sweep_spec, sweep_spec])


def test_settings_choose_redis_when_redis_url_is_set(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    settings: Settings = make_settings(tmp_path, database_url, redis_url=redis_url)
    runtime = make_runtime(settings)
    try:
        assert isinstance(runtime.queue.huey, RedisHuey)
    finally:
        runtime.close()


class TestSqliteQueueAcrossProcesses:
    def test_a_write_waits_for_another_processs_lock_and_goes_ahead_when_it_ends(
        self, tmp_path: Path, database_url: str
    ) -> None:
        """Processes sharing the queue file queue on one file lock, not on SQLite's busy
        handler (which sleeps up to 100 ms between tries)."""
        runtime = make_runtime(make_settings(tmp_path, database_url))
        try:
            storage = runtime.queue.huey.storage
            # Holds the lock until its stdin has a line or closes (on leaving the `with`).
            with subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "import sys\n"
                    "from surgiai.db.engine import write_lock_for\n"
                    "lock = write_lock_for(sys.argv[1])\n"
                    "assert lock.acquire(5)\n"
                    "print('held', flush=True)\n"
                    "sys.stdin.readline()\n"
                    "lock.release()\n",
                    storage.filename,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            ) as holder:
                assert holder.stdin is not None and holder.stdout is not None
                assert holder.stdout.readline().strip() == "held"
                enqueuing = threading.Thread(target=storage.enqueue, args=(b"job",), daemon=True)
                enqueuing.start()
                # The write must be found waiting on the file lock (not in SQLite's busy
                # handler), not finished: the other process holds the lock until told.
                wait_for(
                    lambda: not enqueuing.is_alive() or waiting_in(enqueuing, WriteLock.acquire),
                    message="the enqueue neither finished nor waited for the write lock",
                )
                assert enqueuing.is_alive(), "the write did not wait for the other process"
                assert storage.queue_size() == 0
                holder.stdin.write("release\n")
                holder.stdin.flush()
                enqueuing.join(30)
                assert not enqueuing.is_alive(), "the write did not go ahead once the lock was free"
                assert holder.wait(10) == 0
            assert storage.queue_size() == 1
        finally:
            runtime.queue.huey.flush()
            runtime.close()
