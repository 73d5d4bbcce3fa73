"""Fan-out of real-time events to this process's WebSocket subscribers.

Embedded mode (`InProcessBroker`): a publish from any thread of the web process is handed to its
event loop, which fans it out; the worker processes that `surgiai run` starts send their events
over their link (`WorkerRelayBroker`, `surgiai.worker.link`), and the web process's broker reads
them from there and fans them out the same way. Distributed mode
(`RedisBroker`): every process publishes to a Redis channel, and every API process listens to it
and fans out to its own subscribers, so an event from any worker reaches every dashboard whichever
API instance it is connected to.

A subscriber holds a bounded queue. One that falls behind (a stalled client) is told it lagged,
and its WebSocket closes so the client reconnects and refetches, instead of the server buffering
without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, Protocol

import redis
import redis.asyncio
import structlog
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from surgiai.config import Settings
from surgiai.kit.events import Event
from surgiai.worker.link import LAGGED

if TYPE_CHECKING:
    from surgiai.worker.link import ChildLink, ParentLink

log = structlog.get_logger(__name__)

DEFAULT_MAX_QUEUED = 1000


class SubscriptionLagged(Exception):
    """Events were lost for this subscriber: its queue overflowed, or the broker's Redis
    connection dropped for a while. What it shows is stale; it must refetch."""


class SubscriptionClosed(Exception):
    """The subscription was closed (by its owner, or by the broker stopping)."""


class Subscription:
    """One subscriber's bounded queue of events. Lives on the event loop: use it from there."""

    def __init__(self, max_queued: int, on_close: Callable[[Subscription], None]) -> None:
        self._events: deque[Event] = deque()
        self._max_queued = max_queued
        self._wakeup = asyncio.Event()
        self._lagged = False
        self._closed = False
        self._on_close = on_close

    def deliver(self, event: Event) -> None:
        if self._lagged or self._closed:
            return
        if len(self._events) >= self._max_queued:
            self.mark_lagged()
            return
        self._events.append(event)
        self._wakeup.set()

    def mark_lagged(self) -> None:
        self._lagged = True
        self._events.clear()
        self._wakeup.set()

    async def get(self) -> Event:
        """The next event. Raises SubscriptionLagged once events were lost (the queued ones are
        dropped too: the subscriber refetches anyway), SubscriptionClosed once closed."""
        while True:
            if self._closed:
                raise SubscriptionClosed
            if self._lagged:
                raise SubscriptionLagged
            if self._events:
                return self._events.popleft()
            self._wakeup.clear()
            await self._wakeup.wait()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        try:
            return await self.get()
        except SubscriptionClosed:
            raise StopAsyncIteration from None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._events.clear()
        self._wakeup.set()
        self._on_close(self)


class Broker(Protocol):
    def may_have_listeners(self) -> bool:
        """False only when no subscriber anywhere could receive an event now, so publishers
        can skip building events nobody would see."""

    def publish(self, event: Event) -> None:
        """Send `event` to every subscriber, in every process that shares this broker. Callable
        from any thread, with or without an event loop; never raises (failures are logged)."""

    def subscribe(self, *, max_queued: int = DEFAULT_MAX_QUEUED) -> Subscription:
        """A new subscription, on the running event loop (after `start`)."""

    async def start(self) -> None:
        """Begin delivering to this process's subscribers, on the running event loop."""

    async def stop(self) -> None:
        """Stop delivering; every open subscription is closed."""

    def close(self) -> None:
        """Release what `publish` holds (connections). Called once the process is done."""


class _Subscribers:
    """The local fan-out both brokers share. Event loop only."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()

    def __len__(self) -> int:
        return len(self._subscriptions)

    def add(self, max_queued: int, on_removed: Callable[[], None] | None = None) -> Subscription:
        def remove(subscription: Subscription) -> None:
            self._subscriptions.discard(subscription)
            if on_removed is not None:
                on_removed()

        subscription = Subscription(max_queued, remove)
        self._subscriptions.add(subscription)
        return subscription

    def deliver(self, event: Event) -> None:
        for subscription in list(self._subscriptions):
            subscription.deliver(event)

    def mark_lagged(self) -> None:
        for subscription in list(self._subscriptions):
            subscription.mark_lagged()

    def close_all(self) -> None:
        for subscription in list(self._subscriptions):
            subscription.close()


class InProcessBroker:
    """Embedded mode: publishers (request handlers, worker threads) and subscribers share one
    process. Events reach the event loop captured by `start` through `call_soon_threadsafe`,
    which keeps them in publish order whatever thread they come from. Events of worker
    processes arrive on their links (`attach_worker`), each in its worker's order."""

    def __init__(self) -> None:
        self._subscribers = _Subscribers()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._links: list[ParentLink] = []
        # Links are attached from the thread that starts workers, while the loop may start.
        self._links_lock = threading.Lock()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def may_have_listeners(self) -> bool:
        # Every subscriber of embedded mode is in this process.
        return self._loop is not None and len(self._subscribers) > 0

    def publish(self, event: Event) -> None:
        loop = self._loop
        if loop is None:
            # No web server in this process (a CLI command, a worker without Redis): nobody
            # could be listening.
            log.debug("realtime.publish.skipped", reason="not_started", event_type=event.type)
            return
        try:
            # Serialise once here, so a bad event fails at its publisher, not in every send.
            event.to_json()
            loop.call_soon_threadsafe(self._subscribers.deliver, event)
        except Exception:
            log.exception("realtime.publish.failed", event_type=event.type)

    def subscribe(self, *, max_queued: int = DEFAULT_MAX_QUEUED) -> Subscription:
        subscription = self._subscribers.add(max_queued, on_removed=self._subscriber_left)
        if len(self._subscribers) == 1:
            self._tell_workers()
        return subscription

    def attach_worker(self, link: ParentLink) -> None:
        """Relay the events of a worker process from now on (callable from any thread)."""
        with self._links_lock:
            loop = self._loop
            if loop is None:
                self._links.append(link)  # watched once `start` runs
                return
        loop.call_soon_threadsafe(self._watch, link)

    def detach_worker(self, link: ParentLink) -> None:
        """Stop watching a worker's link and close it (callable from any thread)."""
        loop = self._loop
        if loop is None:
            link.close()
        else:
            # On the loop: a socket must leave the loop's selector before it is closed, or a
            # new socket reusing its number could not be watched.
            loop.call_soon_threadsafe(self._unwatch, link)

    async def start(self) -> None:
        with self._links_lock:
            self._loop = asyncio.get_running_loop()
            links = list(self._links)
        for link in links:
            self._watch(link)

    async def stop(self) -> None:
        with self._links_lock:
            loop, self._loop = self._loop, None
            links = list(self._links)
        if loop is not None:
            for link in links:
                if not link.closed:
                    loop.remove_reader(link.fileno())
        self._subscribers.close_all()

    def close(self) -> None:
        """Nothing to release: the links belong to whoever started the workers."""

    def _watch(self, link: ParentLink) -> None:
        assert self._loop is not None
        with self._links_lock:
            self._links = [known for known in self._links if not known.closed]
            if link not in self._links:
                self._links.append(link)
        if link.closed:
            return
        self._loop.add_reader(link.fileno(), self._relay, link)
        link.tell_listening(len(self._subscribers) > 0)

    def _unwatch(self, link: ParentLink) -> None:
        if not link.closed and self._loop is not None:
            self._loop.remove_reader(link.fileno())
        link.close()

    def _relay(self, link: ParentLink) -> None:
        lines = link.read_lines()
        if lines is None:
            self._unwatch(link)
            return
        for line in lines:
            if line == LAGGED:
                self._subscribers.mark_lagged()
                continue
            try:
                event = Event.from_json(line)
            except ValueError:
                log.warning("realtime.worker_link.bad_event")
                continue
            self._subscribers.deliver(event)

    def _subscriber_left(self) -> None:
        if len(self._subscribers) == 0:
            self._tell_workers()

    def _tell_workers(self) -> None:
        listening = len(self._subscribers) > 0
        for link in self._links:
            link.tell_listening(listening)


class WorkerRelayBroker:
    """A worker process of `surgiai run`: its events go over its link to the web process,
    built only while a dashboard there is listening. It has no subscribers of its own."""

    def __init__(self, link: ChildLink) -> None:
        self._link = link

    def may_have_listeners(self) -> bool:
        return self._link.listening

    def publish(self, event: Event) -> None:
        try:
            self._link.send_event(event.to_json().encode())
        except Exception:
            log.exception("realtime.publish.failed", event_type=event.type)

    def subscribe(self, *, max_queued: int = DEFAULT_MAX_QUEUED) -> Subscription:
        raise RuntimeError("a worker process serves no dashboard: subscribe in the web process")

    async def start(self) -> None:
        """Nothing to start: the link runs from the moment the process does."""

    async def stop(self) -> None:
        """Nothing to stop: see `close`."""

    def close(self) -> None:
        self._link.close()


# How long `start` waits for the first subscription before letting the app start anyway.
SUBSCRIBE_WAIT_SECONDS = 5.0
RECONNECT_MIN_SECONDS = 0.5
RECONNECT_MAX_SECONDS = 30.0
# A quiet connection is pinged after this long, and given up after twice as long: a peer that
# vanished without closing the socket (a network partition) is never reported by a read.
KEEPALIVE_SECONDS = 15.0
POLL_SECONDS = 1.0
CONNECT_TIMEOUT_SECONDS = 2.0


class RedisBroker:
    """Distributed mode: `publish` sends PUBLISH on a synchronous client (worker processes have
    no event loop); `start` runs one listener per process that relays the channel to this
    process's subscribers. A process's own publishes reach its subscribers through Redis too,
    so each event is delivered exactly once per subscriber."""

    def __init__(self, url: str, channel: str = "surgiai:events") -> None:
        self.url = url
        self.channel = channel
        # One quick retry covers a pooled connection that Redis closed meanwhile; more would
        # hold up the commit of whoever publishes while Redis is down.
        self._client = redis.Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=CONNECT_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 1),
        )
        self._subscribers = _Subscribers()
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._ever_subscribed = False

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def may_have_listeners(self) -> bool:
        # Subscribers may be in any API process.
        return True

    def publish(self, event: Event) -> None:
        try:
            self._client.publish(self.channel, event.to_json())
        except Exception:
            log.exception("realtime.publish.failed", event_type=event.type)

    def subscribe(self, *, max_queued: int = DEFAULT_MAX_QUEUED) -> Subscription:
        return self._subscribers.add(max_queued)

    async def start(self) -> None:
        """Start the listener and wait until it has subscribed, so that no event published
        after `start` returns is missed. Redis being down does not stop the app starting: the
        listener keeps retrying."""
        # Loop-bound primitives belong to the loop that starts us (tests start an app again).
        self._subscribed = asyncio.Event()
        self._ever_subscribed = False
        self._listener = asyncio.create_task(self._listen(), name="realtime-redis-listener")
        try:
            await asyncio.wait_for(self._subscribed.wait(), SUBSCRIBE_WAIT_SECONDS)
        except TimeoutError:
            log.warning("realtime.redis.not_subscribed", channel=self.channel)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        self._subscribers.close_all()

    def close(self) -> None:
        self._client.close()

    async def _listen(self) -> None:
        delay = RECONNECT_MIN_SECONDS
        while True:
            self._subscribed.clear()
            try:
                await self._relay()
            except Exception as error:
                if self._subscribed.is_set():
                    delay = RECONNECT_MIN_SECONDS  # it had worked: a fresh outage
                log.warning(
                    "realtime.redis.disconnected", error=repr(error), retry_in_seconds=delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    async def _relay(self) -> NoReturn:
        """Relay messages until the connection fails, then raise."""
        # Without retries of its own, redis-py cannot reconnect behind our back: a gap in the
        # stream always comes through here, where subscribers are told about it.
        async with (
            redis.asyncio.Redis.from_url(
                self.url,
                socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
                retry=AsyncRetry(NoBackoff(), 0),
            ) as client,
            client.pubsub() as pubsub,
        ):
            await pubsub.subscribe(self.channel)
            loop = asyncio.get_running_loop()
            heard_at = loop.time()
            pinged = False
            while True:
                message = await pubsub.get_message(timeout=POLL_SECONDS)
                now = loop.time()
                if message is None:
                    if now - heard_at > 2 * KEEPALIVE_SECONDS:
                        raise ConnectionError("Redis stopped answering")
                    if now - heard_at > KEEPALIVE_SECONDS and not pinged:
                        await pubsub.ping()
                        pinged = True
                    continue
                heard_at = now
                pinged = False
                if message["type"] == "subscribe":
                    self._on_subscribed()
                elif message["type"] == "message":
                    self._relay_message(message["data"])

    def _on_subscribed(self) -> None:
        if self._ever_subscribed:
            # Whatever was published while we were away is lost: subscribers must refetch.
            log.info("realtime.redis.resubscribed", subscribers=len(self._subscribers))
            self._subscribers.mark_lagged()
        self._ever_subscribed = True
        self._subscribed.set()

    def _relay_message(self, data: bytes) -> None:
        try:
            event = Event.from_json(data)
        except ValueError:
            log.warning("realtime.redis.bad_message", channel=self.channel)
            return
        self._subscribers.deliver(event)


def make_broker(settings: Settings) -> Broker:
    """Redis pub/sub when the deployment has Redis (distributed), else in-process (embedded)."""
    if settings.redis_url:
        # Pub/sub channels are server-wide, not per database: name the channel after the
        # database so deployments sharing a Redis server on different databases (staging and
        # production, or tests) never see each other's events.
        url = settings.redis_url
        database = redis.ConnectionPool.from_url(url).connection_kwargs.get("db", 0)
        return RedisBroker(url, channel=f"surgiai:events:{database}")
    return InProcessBroker()
