"""httpx on aiohttp's connection pool: the HTTP transport of the I/O loop's clients (`kit/aio.py`).

httpx's own pool (httpcore) costs ~0.5 ms of CPU per request on this machine kind: it polls
each idle connection on every request and runs h11's pure-Python parser. A campaign sends up to
1,000 messages a second, each one request, and that was 40 % of its executor's CPU. aiohttp's
connector hands out a kept-alive connection from a queue and parses in C: the same request
through httpx costs less than half (`benchmarks`' campaign figures in the README).

Callers keep httpx's interface (timeouts, redirects, errors, `httpx.Response`): only the bottom
layer changes. `AiohttpPool` speaks httpcore's pool interface, so that respx mocks it as it
mocks httpcore's own pools (`tests/conftest.py` registers it)."""

from __future__ import annotations

import asyncio
import functools
import ssl
import urllib.request
from collections.abc import AsyncIterable, Iterable

import aiohttp
import certifi
import httpcore
import httpx
import yarl

# aiohttp's failures as httpcore names them, most specific first (timeouts are also
# connection errors for aiohttp); `AiohttpTransport` maps those to httpx's own.
_AIOHTTP_ERRORS: tuple[tuple[type[BaseException], type[Exception]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpcore.ConnectTimeout),
    (asyncio.TimeoutError, httpcore.ReadTimeout),
    (aiohttp.ClientConnectorError, httpcore.ConnectError),
    (aiohttp.ServerDisconnectedError, httpcore.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpcore.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpcore.RemoteProtocolError),
    (aiohttp.ClientError, httpcore.ReadError),
    (OSError, httpcore.ReadError),
)
_HTTPCORE_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProxyError, httpx.ProxyError),
)
# An idle connection is closed after this, before servers close theirs (uvicorn after 5 s, as
# httpx's own pool assumes): reusing one the server was closing at that instant lost a send
# ("Server disconnected"). A sending number's connections are never idle that long.
KEEPALIVE_SECONDS = 4.0
# httpx frames a body it cannot size in chunks; this pool sends the body whole, with its length.
_HOP_HEADERS = {b"transfer-encoding"}


class AiohttpPool:
    """At most `connections` kept-alive connections, opened on the event loop of the first
    request (the I/O loop's: a pool is used on one loop only)."""

    def __init__(self, connections: int) -> None:
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}
        # HTTP(S)_PROXY and NO_PROXY, read once, as httpx reads them when its client is made.
        self._proxies = urllib.request.getproxies_environment()
        self._proxy_by_origin: dict[tuple[bytes, bytes], str | None] = {}

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        session = self._session or self._open()
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in request.headers
            if name.lower() not in _HOP_HEADERS
        ]
        body = await _read(request.stream)
        try:
            async with session.request(
                request.method.decode("ascii"),
                _url(request.url),
                headers=headers,
                data=body or None,
                timeout=self._timeout(request.extensions.get("timeout") or {}),
                proxy=self._proxy(request.url) if self._proxies else None,
                allow_redirects=False,
            ) as response:
                content = await response.read()
        except Exception as error:
            for aiohttp_error, httpcore_error in _AIOHTTP_ERRORS:
                if isinstance(error, aiohttp_error):
                    raise httpcore_error(str(error) or type(error).__name__) from error
            raise
        version = response.version or aiohttp.HttpVersion11
        return httpcore.Response(
            response.status,
            headers=list(response.raw_headers),
            content=content,
            extensions={
                "http_version": b"HTTP/%d.%d" % (version.major, version.minor),
                "reason_phrase": (response.reason or "").encode("latin-1", "replace"),
            },
        )

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _open(self) -> aiohttp.ClientSession:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=self._connections,
                limit_per_host=0,
                ssl=_tls_context(),
                keepalive_timeout=KEEPALIVE_SECONDS,
            ),
            # httpx above decodes bodies, keeps cookies and follows redirects, as it would on
            # its own pool. The environment's proxies are read once (`_proxy`): aiohttp's
            # reading of it (and of ~/.netrc) on every request was a fifth of a send's CPU.
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        )
        return self._session

    def _proxy(self, url: httpcore.URL) -> str | None:
        origin = (url.scheme, url.host)
        if origin not in self._proxy_by_origin:
            host = url.host.decode("ascii")
            bypass = urllib.request.proxy_bypass(host)  # NO_PROXY
            proxy = None if bypass else self._proxies.get(url.scheme.decode("ascii"))
            self._proxy_by_origin[origin] = proxy
        return self._proxy_by_origin[origin]

    def _timeout(self, timeouts: dict[str, float | None]) -> aiohttp.ClientTimeout:
        """httpx's timeouts: `pool` (waiting for a connection, opening it included),
        `connect` (the socket), `read` (between bytes of the answer)."""
        key = (timeouts.get("pool"), timeouts.get("connect"), timeouts.get("read"))
        found = self._timeouts.get(key)
        if found is None:
            found = self._timeouts[key] = aiohttp.ClientTimeout(
                total=None, connect=key[0], sock_connect=key[1], sock_read=key[2]
            )
        return found


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport on `AiohttpPool`, as httpx's own transport is on httpcore's pool."""

    def __init__(self, connections: int) -> None:
        self._pool = AiohttpPool(connections)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = await self._pool.handle_async_request(core_request)
        except Exception as error:
            for httpcore_error, httpx_error in _HTTPCORE_ERRORS:
                if isinstance(error, httpcore_error):
                    raise httpx_error(str(error), request=request) from error
            raise
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            content=await response.aread(),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Certificates verified against certifi's roots, as httpx does; loaded once per process
    (tens of milliseconds each time), not once per pool."""
    return ssl.create_default_context(cafile=certifi.where())


async def _read(stream: Iterable[bytes] | AsyncIterable[bytes]) -> bytes:
    if isinstance(stream, AsyncIterable):
        return b"".join([part async for part in stream])
    return b"".join(stream)


def _url(url: httpcore.URL) -> yarl.URL:
    host = url.host.decode("ascii")
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    port = f":{url.port}" if url.port is not None else ""
    # Already encoded by httpx: taken as it is (a signed media URL must not be re-quoted).
    return yarl.URL(
        f"{url.scheme.decode('ascii')}://{host}{port}{url.target.decode('ascii')}", encoded=True
    )
