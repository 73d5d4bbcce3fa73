"""Distributed mode: several API instances and workers share one Redis. An event committed
anywhere reaches every dashboard, whichever instance it is connected to, exactly once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from websockets.sync.client import ClientConnection

from surgiai.auth.models import User
from surgiai.auth.roles import Role
from surgiai.auth.service import ClientInfo, auth_service
from surgiai.config import Settings
from surgiai.db.engine import session_scope
from surgiai.db.outbox import publish
from surgiai.kit.events import Event
from surgiai.realtime.broker import Broker, RedisBroker
from surgiai.runtime import Runtime
from tests.conftest import make_runtime, make_settings
from tests.fixtures import PASSWORD, create_user
from tests.realtime.conftest import open_socket, receive, receive_until, serving
from tests.services import StartService, base_env


@pytest.fixture
def redis_settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:
    return make_settings(tmp_path, database_url, redis_url=redis_url)


@pytest.fixture
def runtimes(redis_settings: Settings) -> Iterator[list[Runtime]]:
    """Runtimes built on demand, each as its own process would build it."""
    built: list[Runtime] = []
    yield built
    for runtime in built:
        runtime.queue.huey.flush()
        runtime.close()


def build(runtimes: list[Runtime], settings: Settings, broker: Broker | None = None) -> Runtime:
    # A queue of its own: other test runs may share this Redis database.
    runtime = make_runtime(
        settings, queue_name=f"surgiai-test-{uuid.uuid4().hex[:8]}", broker=broker
    )
    runtimes.append(runtime)
    return runtime


def commit_with_event(runtime: Runtime, marker: str, by: str) -> None:
    """A unit of work, as a request handler or a task runs it, that publishes on commit."""
    with session_scope(runtime.session_factory) as session:
        user = User(email=f"{by}-{marker}@example.com", name=by, role=Role.agent, password_hash="x")
        session.add(user)
        publish(
            session,
            ("test.changed", by),
            lambda: Event("test.changed", {"marker": marker, "by": by, "user_id": user.id}),
        )


def in_a_worker_thread(work: Callable[..., None], *args: object) -> None:
    thread = threading.Thread(target=work, args=args)
    thread.start()
    thread.join()


def events_marked(ws: ClientConnection, marker: str) -> list[tuple[str, str]]:
    """This test's events up to its sentinel, skipping anything other test runs publish."""
    messages = receive_until(
        ws, lambda m: m["type"] == "test.sentinel" and m["data"].get("marker") == marker
    )
    return [
        (m["type"], m["data"].get("by", ""))
        for m in messages
        if isinstance(m.get("data"), dict) and m["data"].get("marker") == marker
    ]


class TestTwoApiInstances:
    def test_an_event_from_one_instance_or_a_worker_reaches_clients_of_both_once(
        self, redis_settings: Settings, runtimes: list[Runtime]
    ) -> None:
        api_a, api_b = build(runtimes, redis_settings), build(runtimes, redis_settings)
        assert isinstance(api_a.broker, RedisBroker)
        create_user(api_a)
        marker = uuid.uuid4().hex
        worker = RedisBroker(redis_settings.redis_url or "", channel=api_a.broker.channel)
        # A worker process: its own runtime, publishing through its own broker.
        in_worker = build(runtimes, redis_settings, broker=worker)
        with (
            serving(api_a) as server_a,
            serving(api_b) as server_b,
        ):
            token = server_a.login()
            with (
                open_socket(server_a.ws_url, token) as on_a,
                open_socket(server_b.ws_url, token) as on_b,
            ):
                for ws in (on_a, on_b):
                    assert receive(ws)["type"] == "hello"
                # Both live in this test process: each publishes through its own runtime's
                # broker, as it would in a process of its own.
                commit_with_event(api_a, marker, "api_a")
                in_a_worker_thread(commit_with_event, in_worker, marker, "worker")
                worker.publish(Event("test.sentinel", {"marker": marker}))
                for ws in (on_a, on_b):
                    assert events_marked(ws, marker) == [
                        ("test.changed", "api_a"),
                        ("test.changed", "worker"),
                        ("test.sentinel", ""),
                    ]


class TestSeparateProcesses:
    # What crosses processes here is Redis pub/sub, whatever the database: one backend is
    # enough for the two API processes' start-up time.
    @pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
    def test_an_event_from_a_worker_process_reaches_clients_of_two_api_processes(
        self,
        start_service: StartService,
        tmp_path: Path,
        database_url: str,
        redis_url: str,
        redis_settings: Settings,
        runtimes: list[Runtime],
    ) -> None:
        # This test process plays the worker: a runtime, a broker and no event loop.
        worker = build(runtimes, redis_settings)
        create_user(worker)
        with session_scope(worker.session_factory) as session:
            token = auth_service.login(
                session,
                redis_settings,
                "owner@example.com",
                PASSWORD,
                ClientInfo(ip="127.0.0.1", user_agent=None),
            ).token
        env = base_env(tmp_path, database_url)
        env.update(
            {
                "SURGIAI_REDIS_URL": redis_url,
                "SURGIAI_SECRET_KEY": redis_settings.resolved_secret_key(),
            }
        )
        api_one = start_service("api", env)
        api_two = start_service("api", env)
        marker = uuid.uuid4().hex
        with (
            open_socket(f"ws://127.0.0.1:{api_one.port}/api/v1/ws", token) as on_one,
            open_socket(f"ws://127.0.0.1:{api_two.port}/api/v1/ws", token) as on_two,
        ):
            for ws in (on_one, on_two):
                assert receive(ws)["type"] == "hello"
            in_a_worker_thread(commit_with_event, worker, marker, "worker")
            worker.broker.publish(Event("test.sentinel", {"marker": marker}))
            for ws in (on_one, on_two):
                assert events_marked(ws, marker) == [
                    ("test.changed", "worker"),
                    ("test.sentinel", ""),
                ]
