from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from structlog.testing import capture_logs

from surgiai.kit.events import Event
from surgiai.realtime import broker as broker_module
from surgiai.realtime.broker import (
    InProcessBroker,
    RedisBroker,
    Subscription,
    SubscriptionLagged,
    make_broker,
)
from tests.conftest import make_settings
from tests.realtime.conftest import Collector, LoopThread
from tests.services import free_port

SENTINEL = "test.sentinel"


@pytest.fixture
def in_process(loop_thread: LoopThread) -> Iterator[InProcessBroker]:
    broker = InProcessBroker()
    loop_thread.run(broker.start())
    yield broker
    loop_thread.run(broker.stop())


def subscribe(loop_thread: LoopThread, broker: InProcessBroker, max_queued: int) -> Subscription:
    async def on_loop() -> Subscription:
        return broker.subscribe(max_queued=max_queued)

    return loop_thread.run(on_loop())


class TestInProcessBroker:
    def test_events_from_worker_threads_reach_every_subscriber_in_publish_order(
        self, loop_thread: LoopThread, in_process: InProcessBroker
    ) -> None:
        first = Collector(loop_thread, in_process)
        second = Collector(loop_thread, in_process)

        def worker(number: int) -> None:
            for sequence in range(50):
                in_process.publish(Event("test.tick", {"worker": number, "sequence": sequence}))

        threads = [threading.Thread(target=worker, args=(number,)) for number in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        in_process.publish(Event(SENTINEL, {}))
        for collector in (first, second):
            events = collector.until(SENTINEL)
            assert len(events) == 200
            for number in range(4):
                sequences = [e.data["sequence"] for e in events if e.data["worker"] == number]
                assert sequences == list(range(50))

    def test_a_subscriber_that_falls_behind_is_told_so_and_the_others_are_not(
        self, loop_thread: LoopThread, in_process: InProcessBroker
    ) -> None:
        stalled = subscribe(loop_thread, in_process, max_queued=3)
        keeping_up = Collector(loop_thread, in_process)
        for sequence in range(5):
            in_process.publish(Event("test.tick", {"sequence": sequence}))
        in_process.publish(Event(SENTINEL, {}))
        assert [e.data["sequence"] for e in keeping_up.until(SENTINEL)] == [0, 1, 2, 3, 4]
        with pytest.raises(SubscriptionLagged):
            loop_thread.run(stalled.get())

    def test_a_closed_subscription_ends_and_is_forgotten(
        self, loop_thread: LoopThread, in_process: InProcessBroker
    ) -> None:
        subscription = subscribe(loop_thread, in_process, max_queued=10)
        assert in_process.subscriber_count == 1

        async def close_then_iterate() -> list[Event]:
            subscription.close()
            return [event async for event in subscription]

        assert loop_thread.run(close_then_iterate()) == []
        assert in_process.subscriber_count == 0

    def test_stop_ends_every_subscription_and_later_publishes_go_nowhere(
        self, loop_thread: LoopThread
    ) -> None:
        broker = InProcessBroker()
        loop_thread.run(broker.start())
        subscription = subscribe(loop_thread, broker, max_queued=10)
        loop_thread.run(broker.stop())
        broker.publish(Event("test.after_stop", {}))

        async def remaining() -> list[Event]:
            return [event async for event in subscription]

        assert loop_thread.run(remaining()) == []
        assert broker.subscriber_count == 0

    def test_an_event_json_cannot_carry_fails_at_its_publisher_not_at_subscribers(
        self, loop_thread: LoopThread, in_process: InProcessBroker
    ) -> None:
        collector = Collector(loop_thread, in_process)
        with capture_logs() as logs:
            in_process.publish(Event("test.bad", {"value": object()}))
        in_process.publish(Event(SENTINEL, {}))
        assert collector.until(SENTINEL) == []
        assert [entry["event"] for entry in logs] == ["realtime.publish.failed"]

    def test_publishing_where_no_server_runs_is_a_quiet_no_op(self) -> None:
        """A CLI command or a worker process without Redis: nobody can be listening."""
        InProcessBroker().publish(Event("test.nobody", {}))


class TcpProxy:
    """Forwards connections to Redis, until the network fails: `cut` closes them (Redis went
    away), `stall` silently drops everything they carry (a partition: no error, no data)."""

    def __init__(self, url: str) -> None:
        target = urlsplit(url)
        self._target = (target.hostname or "127.0.0.1", target.port or 6379)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self._listener.getsockname()[1]}{target.path}"
        self._sockets: list[socket.socket] = []
        self._stalled: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                if source not in self._stalled:
                    sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        with self._lock:
            for sock in self._sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def stall(self) -> None:
        with self._lock:
            self._stalled.update(self._sockets)

    def close(self) -> None:
        self._listener.close()
        self.cut()


@pytest.fixture
def channel() -> str:
    return f"surgiai:test:{uuid.uuid4().hex}"


class TestRedisBroker:
    def test_an_event_from_a_process_without_a_loop_reaches_every_api_process_once(
        self, redis_url: str, channel: str, loop_thread: LoopThread
    ) -> None:
        other_loop = LoopThread()
        api_a, api_b = RedisBroker(redis_url, channel), RedisBroker(redis_url, channel)
        worker = RedisBroker(redis_url, channel)  # like `surgiai worker`: never started
        try:
            loop_thread.run(api_a.start())
            other_loop.run(api_b.start())
            on_a, on_b = Collector(loop_thread, api_a), Collector(other_loop, api_b)
            publisher = threading.Thread(
                target=worker.publish, args=(Event("test.from_worker", {"n": 1}),)
            )
            publisher.start()
            publisher.join()
            api_a.publish(Event("test.from_api_a", {"n": 2}))
            worker.publish(Event(SENTINEL, {}))
            for collector in (on_a, on_b):
                assert [(e.type, e.data) for e in collector.until(SENTINEL)] == [
                    ("test.from_worker", {"n": 1}),
                    ("test.from_api_a", {"n": 2}),
                ]
        finally:
            loop_thread.run(api_a.stop())
            other_loop.run(api_b.stop())
            other_loop.close()
            for broker in (api_a, api_b, worker):
                broker.close()

    @pytest.mark.parametrize("failure", ["cut", "stall"])
    def test_after_losing_redis_it_resubscribes_and_tells_subscribers_to_refetch(
        self,
        redis_url: str,
        channel: str,
        loop_thread: LoopThread,
        monkeypatch: pytest.MonkeyPatch,
        failure: str,
    ) -> None:
        monkeypatch.setattr(broker_module, "RECONNECT_MIN_SECONDS", 0.05)
        monkeypatch.setattr(broker_module, "KEEPALIVE_SECONDS", 0.3)
        monkeypatch.setattr(broker_module, "POLL_SECONDS", 0.05)
        proxy = TcpProxy(redis_url)
        listener = RedisBroker(proxy.url, channel)
        publisher = RedisBroker(redis_url, channel)
        try:
            loop_thread.run(listener.start())
            before = Collector(loop_thread, listener)
            publisher.publish(Event("test.before", {}))
            assert before.next() == Event("test.before", {})
            with capture_logs() as logs:
                getattr(proxy, failure)()
                publisher.publish(Event("test.lost", {}))
                # What was published meanwhile is lost: the subscriber is told to refetch.
                assert isinstance(before.next(), SubscriptionLagged)
            assert "realtime.redis.disconnected" in [entry["event"] for entry in logs]
            after = Collector(loop_thread, listener)
            publisher.publish(Event("test.after", {}))
            assert after.next() == Event("test.after", {})
        finally:
            loop_thread.run(listener.stop())
            listener.close()
            publisher.close()
            proxy.close()

    def test_with_redis_unreachable_publish_logs_and_the_app_still_starts(
        self, channel: str, loop_thread: LoopThread, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(broker_module, "SUBSCRIBE_WAIT_SECONDS", 0.3)
        broker = RedisBroker(f"redis://127.0.0.1:{free_port()}/15", channel)
        try:
            with capture_logs() as logs:
                started = time.monotonic()
                broker.publish(Event("test.lost", {}))
                loop_thread.run(broker.start())
                assert time.monotonic() - started < 10
            events = [entry["event"] for entry in logs]
            assert "realtime.publish.failed" in events
            assert "realtime.redis.not_subscribed" in events
        finally:
            loop_thread.run(broker.stop())
            broker.close()


class TestMakeBroker:
    def test_in_process_without_redis(self, tmp_path: Path) -> None:
        settings = make_settings(tmp_path, f"sqlite:///{tmp_path}/surgiai.db")
        assert isinstance(make_broker(settings), InProcessBroker)

    def test_redis_with_a_channel_of_its_database(self, tmp_path: Path) -> None:
        """Pub/sub channels are server-wide: deployments on other databases stay apart."""
        settings = make_settings(
            tmp_path, f"sqlite:///{tmp_path}/surgiai.db", redis_url="redis://127.0.0.1:6379/15"
        )
        broker = make_broker(settings)
        assert isinstance(broker, RedisBroker)
        assert broker.channel == "surgiai:events:15"
        broker.close()
