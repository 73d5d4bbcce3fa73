"""The link between `surgiai run` and a worker process, both ends over a real socket pair."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from surgiai.kit.events import Event
from surgiai.realtime.broker import (
    InProcessBroker,
    Subscription,
    SubscriptionLagged,
    WorkerRelayBroker,
)
from surgiai.worker import link as link_module
from surgiai.worker.link import READY, ChildLink, ParentLink
from tests.services import wait_for

T = TypeVar("T")


def read_into(lines: list[bytes], parent: ParentLink, count: int) -> Callable[[], bool]:
    """A check for `wait_for`: add what the worker sent to `lines`; done once it holds `count`."""

    def check() -> bool:
        lines.extend(parent.read_lines() or [])
        return len(lines) == count

    return check


class Ends:
    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        self.rings = 0
        self.parent_gone = threading.Event()
        self.parent = ParentLink(ours)
        self.child = ChildLink(theirs, on_ring=self._ring, on_parent_gone=self.parent_gone.set)

    def _ring(self) -> None:
        self.rings += 1


@pytest.fixture
def ends() -> Iterator[Ends]:
    pair = Ends()
    pair.child.start()
    yield pair
    pair.child.close()
    pair.parent.close()


class TestLink:
    def test_each_ring_wakes_one_worker_thread(self, ends: Ends) -> None:
        for _ in range(3):
            ends.parent.ring()
        wait_for(lambda: ends.rings == 3)

    def test_the_worker_learns_whether_a_dashboard_listens(self, ends: Ends) -> None:
        assert not ends.child.listening
        ends.parent.tell_listening(True)
        wait_for(lambda: ends.child.listening)
        ends.parent.ring()
        ends.parent.tell_listening(False)
        wait_for(lambda: not ends.child.listening)
        wait_for(lambda: ends.rings == 1)

    def test_ready_is_awaited_and_events_sent_before_it_are_kept(self, ends: Ends) -> None:
        ends.child.send_event(b'{"type":"early","data":{}}')
        ends.child.send_ready()
        ends.child.send_event(b'{"type":"late","data":{}}')
        assert ends.parent.wait_ready(5)
        lines: list[bytes] = []
        wait_for(read_into(lines, ends.parent, 2))
        assert lines == [b'{"type":"early","data":{}}', b'{"type":"late","data":{}}']

    def test_a_worker_that_never_says_ready_is_given_up_on(self) -> None:
        ours, theirs = socket.socketpair()
        parent = ParentLink(ours)
        started = time.monotonic()
        assert not parent.wait_ready(0.2)
        assert time.monotonic() - started < 2
        theirs.close()
        assert not ParentLink(ours).wait_ready(5)  # end-of-file: it died while starting
        parent.close()

    def test_the_web_process_going_away_stops_the_worker(self, ends: Ends) -> None:
        ends.parent.close()
        assert ends.parent_gone.wait(5)

    def test_the_worker_going_away_reads_as_end_of_file(self, ends: Ends) -> None:
        ends.child.send_event(b'{"type":"last","data":{}}')
        ends.child.close()
        lines: list[bytes] = []

        def at_end_of_file() -> bool:
            batch = ends.parent.read_lines()
            if batch is None:
                return True
            lines.extend(batch)
            return False

        wait_for(at_end_of_file)
        assert lines == [b'{"type":"last","data":{}}']

    def test_events_beyond_what_the_link_holds_are_dropped_and_reported(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(link_module, "MAX_OUTBOX", 3)
        pair = Ends()  # not started: nothing drains the outbox
        for index in range(5):
            pair.child.send_event(b'{"n":%d}' % index)
        pair.child.start()
        wait_for(pair.child._outbox.empty)
        pair.child.send_event(b'{"n":5}')
        lines: list[bytes] = []
        wait_for(read_into(lines, pair.parent, 5))
        assert lines == [b'{"n":0}', b'{"n":1}', b'{"n":2}', b"!", b'{"n":5}']
        pair.child.close()
        pair.parent.close()

    def test_the_ready_marker_is_a_line_of_its_own(self) -> None:
        assert b"\n" not in READY and READY != link_module.LAGGED


class TestBrokerRelay:
    """Events a worker process publishes reach the web process's dashboards."""

    @pytest.fixture
    def loop(self) -> Iterator[asyncio.AbstractEventLoop]:
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        yield loop
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()

    def run(self, loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(5)

    def test_a_workers_events_reach_subscribers_and_it_builds_them_only_while_one_listens(
        self, loop: asyncio.AbstractEventLoop, ends: Ends
    ) -> None:
        broker = InProcessBroker()
        worker = WorkerRelayBroker(ends.child)
        ends.child.send_ready()
        assert ends.parent.wait_ready(5)
        broker.attach_worker(ends.parent)
        self.run(loop, broker.start())
        assert not worker.may_have_listeners()

        async def subscribe() -> Subscription:
            return broker.subscribe()

        subscription = self.run(loop, subscribe())
        wait_for(worker.may_have_listeners)
        worker.publish(Event("message.updated", {"id": 7, "status": "read"}))

        async def next_event() -> Event:
            return await subscription.get()

        assert self.run(loop, next_event()) == Event("message.updated", {"id": 7, "status": "read"})

        async def leave() -> None:
            subscription.close()

        self.run(loop, leave())
        wait_for(lambda: not worker.may_have_listeners())
        self.run(loop, broker.stop())

    def test_dropped_events_make_subscribers_refetch(
        self, loop: asyncio.AbstractEventLoop, ends: Ends
    ) -> None:
        broker = InProcessBroker()
        ends.child.send_ready()
        assert ends.parent.wait_ready(5)
        broker.attach_worker(ends.parent)
        self.run(loop, broker.start())

        async def subscribe() -> Subscription:
            return broker.subscribe()

        subscription = self.run(loop, subscribe())
        ends.child._outbox.put(b"!\n")  # what a worker sends after dropping events

        async def next_event() -> Event:
            return await subscription.get()

        with pytest.raises(SubscriptionLagged):
            self.run(loop, next_event())
        self.run(loop, broker.stop())

    def test_a_worker_process_serves_no_subscriber(self, ends: Ends) -> None:
        with pytest.raises(RuntimeError, match="web process"):
            WorkerRelayBroker(ends.child).subscribe()
