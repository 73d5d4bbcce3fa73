"""Async network I/O from synchronous code (task threads): one event loop thread per process,
with one shared HTTP connection pool living on it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_http: httpx.AsyncClient | None = None


def _ensure_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="surgiai-io", daemon=True)
            thread.start()
            _loop = loop
        return _loop


def run(coroutine: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
    """Run `coroutine` on the I/O loop and wait for its result."""
    future = asyncio.run_coroutine_threadsafe(coroutine, _ensure_loop())
    return future.result(timeout)


def http_client() -> httpx.AsyncClient:
    """The process-wide async HTTP pool (to be used only on the I/O loop)."""
    global _http
    with _lock:
        if _http is None:
            _http = httpx.AsyncClient(
                timeout=httpx.Timeout(15.0, connect=5.0),
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            )
        return _http
