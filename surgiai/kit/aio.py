"""Async network I/O from synchronous code (task threads): one event-loop thread, started on
first use, with HTTP connection pools living on it. The runtime owns one per process."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

from surgiai.kit.http import AiohttpTransport

T = TypeVar("T")

SHARED_POOL = "shared"
SHARED_CONNECTIONS = 200
TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class IoLoop:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pools: dict[tuple[str, int], httpx.AsyncClient] = {}

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """Run `coroutine` on the I/O loop and wait for its result."""
        return self.submit(coroutine).result(timeout)

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start `coroutine` on the I/O loop; its result comes in the future returned."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._ensure_loop())

    def http_client(
        self, pool: str | None = None, connections: int | None = None
    ) -> httpx.AsyncClient:
        """An async HTTP client (to be used only on the I/O loop) on aiohttp's pool
        (`kit/http.py`): the one everything shares, or the pool named `pool` holding at most
        `connections`, kept warm. A bulk sender gets its own, sized to what it has in flight,
        so that its bursts neither wait behind nor crowd out the process's other requests."""
        key = (pool or SHARED_POOL, connections or SHARED_CONNECTIONS)
        with self._lock:
            found = self._pools.get(key)
            if found is None:
                found = self._pools[key] = httpx.AsyncClient(
                    timeout=TIMEOUT, transport=AiohttpTransport(key[1])
                )
            return found

    def close(self) -> None:
        """Close the pools and stop the loop's thread."""
        with self._lock:
            loop, self._loop = self._loop, None
            thread, self._thread = self._thread, None
            pools, self._pools = list(self._pools.values()), {}
        if loop is None or thread is None:
            return
        for http in pools:
            asyncio.run_coroutine_threadsafe(http.aclose(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="surgiai-io", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop
