"""Async network I/O from synchronous code (task threads): one event-loop thread, started on
first use, with one HTTP connection pool living on it. The runtime owns one per process."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


class IoLoop:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._http: httpx.AsyncClient | None = None

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """Run `coroutine` on the I/O loop and wait for its result."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._ensure_loop())
        return future.result(timeout)

    def http_client(self) -> httpx.AsyncClient:
        """The shared async HTTP pool (to be used only on the I/O loop)."""
        with self._lock:
            if self._http is None:
                self._http = httpx.AsyncClient(
                    timeout=httpx.Timeout(15.0, connect=5.0),
                    limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
                )
            return self._http

    def close(self) -> None:
        """Close the pool and stop the loop's thread."""
        with self._lock:
            loop, self._loop = self._loop, None
            thread, self._thread = self._thread, None
            http, self._http = self._http, None
        if loop is None or thread is None:
            return
        if http is not None:
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
