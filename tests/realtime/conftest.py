"""Real parts for real-time tests: an event loop in a thread (as a web server has), uvicorn
serving the app on a free port, and WebSocket clients speaking to it over TCP."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from websockets.sync.client import ClientConnection, connect

from surgiai.app import create_app
from surgiai.kit.events import Event
from surgiai.realtime.broker import Broker, Subscription, SubscriptionLagged
from surgiai.runtime import Runtime
from tests.fixtures import PASSWORD, create_user
from tests.services import free_port, wait_for

T = TypeVar("T")


class LoopThread:
    """An asyncio event loop running in a background thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 15) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


class Collector:
    """A subscriber on the broker's loop that copies every event into a thread-safe queue."""

    def __init__(self, loop_thread: LoopThread, broker: Broker, max_queued: int = 1000) -> None:
        self.broker = broker
        self.received: queue.Queue[Event | BaseException] = queue.Queue()

        async def subscribe() -> tuple[Subscription, asyncio.Task[None]]:
            subscription = broker.subscribe(max_queued=max_queued)
            return subscription, asyncio.create_task(self._drain(subscription))

        self.subscription, self._task = loop_thread.run(subscribe())

    async def _drain(self, subscription: Subscription) -> None:
        try:
            async for event in subscription:
                self.received.put(event)
        except SubscriptionLagged as lagged:
            self.received.put(lagged)

    def next(self, timeout: float = 10) -> Event | BaseException:
        return self.received.get(timeout=timeout)

    def until(self, sentinel: str, timeout: float = 10) -> list[Event]:
        """Every event received before the event of type `sentinel` (which is not included)."""
        events: list[Event] = []
        while True:
            item = self.next(timeout)
            assert isinstance(item, Event), item
            if item.type == sentinel:
                return events
            events.append(item)


class LiveServer:
    """The app served by uvicorn in a thread of this process, on a free port."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        port = free_port()
        self.host = f"127.0.0.1:{port}"
        self.http = f"http://{self.host}"
        self.ws_url = f"ws://{self.host}/api/v1/ws"
        config = uvicorn.Config(
            create_app(runtime), host="127.0.0.1", port=port, log_config=None, lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> None:
        self._thread.start()

        def started() -> bool:
            assert self._thread.is_alive(), "uvicorn exited during startup"
            return self._server.started

        wait_for(started, message="uvicorn did not start")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(30)

    def login(self, email: str = "owner@example.com") -> str:
        response = httpx.post(
            self.http + "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token


@contextmanager
def serving(runtime: Runtime) -> Iterator[LiveServer]:
    server = LiveServer(runtime)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live(runtime: Runtime) -> Iterator[LiveServer]:
    create_user(runtime, email="owner@example.com")
    with serving(runtime) as server:
        yield server


def open_socket(url: str, token: str, *, open_timeout: float = 10) -> ClientConnection:
    """A WebSocket client authenticated the way non-browser clients are (Bearer header)."""
    return connect(
        url,
        additional_headers={"Authorization": f"Bearer {token}"},
        proxy=None,
        open_timeout=open_timeout,
    )


def receive(socket: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(socket.recv(timeout=timeout))
    return message


def receive_until(
    socket: ClientConnection, wanted: Callable[[dict[str, Any]], bool], timeout: float = 15
) -> list[dict[str, Any]]:
    """Messages up to and including the first `wanted` one. Other test runs may publish on the
    same Redis channel meanwhile: tests look for their own events by a marker of their own."""
    deadline = time.monotonic() + timeout
    messages: list[dict[str, Any]] = []
    while True:
        message = receive(socket, max(0.01, deadline - time.monotonic()))
        messages.append(message)
        if wanted(message):
            return messages
