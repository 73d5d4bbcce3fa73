"""Worker heartbeats: a beating worker is alive, one that stopped beating shows as down, and a
clean stop removes it. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from surgiai.auth.roles import Role
from surgiai.db.engine import session_scope
from surgiai.kit.time import utcnow
from surgiai.runtime import Runtime
from surgiai.worker.heartbeat import Heartbeat, forget_silent_workers, this_worker_id
from surgiai.worker.models import WorkerHeartbeat
from tests.fixtures import create_user, login
from tests.services import wait_for


def rows(runtime: Runtime) -> dict[str, WorkerHeartbeat]:
    with session_scope(runtime.session_factory) as session:
        return {row.worker_id: row for row in session.scalars(select(WorkerHeartbeat))}


class TestHeartbeat:
    def test_beats_at_start_and_on_every_interval_then_leaves_on_stop(
        self, runtime: Runtime
    ) -> None:
        heartbeat = Heartbeat(
            runtime.session_factory, threads=4, embedded=True, interval_seconds=0.05
        )
        heartbeat.start()
        try:
            first = rows(runtime)[this_worker_id()]
            assert (first.threads, first.embedded) == (4, True)

            def beaten_again() -> WorkerHeartbeat | None:
                row = rows(runtime)[this_worker_id()]
                return row if row.last_beat_at != first.last_beat_at else None

            second = wait_for(beaten_again, message="no second beat")
            assert second.started_at == first.started_at
        finally:
            heartbeat.stop()
        assert this_worker_id() not in rows(runtime)

    def test_listed_with_alive_only_while_beating(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime, email="viewer@example.com", role=Role.viewer)
        headers = login(client, "viewer@example.com")
        now = utcnow()
        with session_scope(runtime.session_factory) as session:
            session.add_all(
                [
                    WorkerHeartbeat(
                        worker_id="host-a:101", started_at=now, last_beat_at=now, threads=8
                    ),
                    WorkerHeartbeat(
                        worker_id="host-b:202",
                        started_at=now - timedelta(hours=1),
                        last_beat_at=now - timedelta(seconds=90),
                        threads=4,
                    ),
                ]
            )
        workers = {
            worker["worker_id"]: worker
            for worker in client.get("/api/v1/agents", headers=headers).json()["workers"]
        }
        assert workers["host-a:101"]["alive"] is True
        assert workers["host-a:101"]["threads"] == 8
        assert workers["host-a:101"]["embedded"] is False
        assert workers["host-b:202"]["alive"] is False

    def test_workers_silent_for_a_day_are_forgotten(self, runtime: Runtime) -> None:
        now = utcnow()
        with session_scope(runtime.session_factory) as session:
            session.add_all(
                [
                    WorkerHeartbeat(worker_id="dead:1", last_beat_at=now - timedelta(days=2)),
                    WorkerHeartbeat(worker_id="down:2", last_beat_at=now - timedelta(hours=2)),
                ]
            )
        with session_scope(runtime.session_factory) as session:
            assert forget_silent_workers(session, now) == 1
        assert set(rows(runtime)) == {"down:2"}
