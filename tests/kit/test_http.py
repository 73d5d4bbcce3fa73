"""httpx on aiohttp's pool (`surgiai/kit/http.py`) against a real HTTP server on loopback: what
callers of httpx rely on arrives unchanged (bodies, headers, encoded URLs, uploads, redirects,
compressed answers, errors as httpx's), and connections are kept and bounded."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web

from surgiai.kit.http import AiohttpTransport

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _serve(routes: dict[str, Handler]) -> tuple[web.AppRunner, str]:
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_route("*", path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


def _run(
    routes: dict[str, Handler],
    scenario: Callable[[httpx.AsyncClient, str], Awaitable[Any]],
    *,
    connections: int = 4,
    timeout: httpx.Timeout | None = None,
) -> Any:
    async def main() -> Any:
        runner, base = await _serve(routes)
        client = httpx.AsyncClient(
            transport=AiohttpTransport(connections), timeout=timeout or httpx.Timeout(5.0)
        )
        try:
            return await scenario(client, base)
        finally:
            await client.aclose()
            await runner.cleanup()

    return asyncio.run(main())


async def _echo(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "method": request.method,
            "path": request.path,
            "raw_path": request.raw_path,
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "body": (await request.read()).decode(),
        },
        status=201,
        headers={"X-Trace": "abc"},
    )


def test_a_json_post_arrives_as_httpx_built_it_and_its_answer_comes_back_whole() -> None:
    async def scenario(client: httpx.AsyncClient, base: str) -> httpx.Response:
        return await client.post(
            f"{base}/v25.0/123/messages",
            json={"to": "919820012345", "text": {"body": "Namaste Dr. Rao, aapka order ready hai"}},
            headers={"Authorization": "Bearer secret-token"},
        )

    response = _run({"/{tail:.*}": _echo}, scenario)

    assert response.status_code == 201
    assert response.headers["x-trace"] == "abc"
    seen = response.json()
    assert seen["method"] == "POST"
    assert seen["path"] == "/v25.0/123/messages"
    assert seen["headers"]["authorization"] == "Bearer secret-token"
    assert seen["headers"]["content-type"] == "application/json"
    assert json.loads(seen["body"]) == {
        "to": "919820012345",
        "text": {"body": "Namaste Dr. Rao, aapka order ready hai"},
    }


def test_a_signed_query_string_is_sent_exactly_as_given() -> None:
    """Meta's media URLs are signed: re-quoting one (`%2B` to `+`, `%3D` to `=`) breaks it."""
    query = "ext=1700000000&hash=AbC%2Bd%2Fe%3D&name=Dr%20Rao"

    async def scenario(client: httpx.AsyncClient, base: str) -> httpx.Response:
        return await client.get(f"{base}/whatsapp_business/attachments/?{query}")

    response = _run({"/{tail:.*}": _echo}, scenario)

    assert response.json()["raw_path"] == f"/whatsapp_business/attachments/?{query}"


def test_a_file_upload_arrives_intact() -> None:
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 64

    async def upload(request: web.Request) -> web.Response:
        form = await request.post()
        part = form["file"]
        assert isinstance(part, web.FileField)
        return web.json_response(
            {
                "name": part.filename,
                "type": part.content_type,
                "same": part.file.read() == pdf,
                "product": form["messaging_product"],
            }
        )

    async def scenario(client: httpx.AsyncClient, base: str) -> httpx.Response:
        return await client.post(
            f"{base}/media",
            data={"messaging_product": "whatsapp"},
            files={"file": ("course brochure.pdf", pdf, "application/pdf")},
        )

    answer = _run({"/media": upload}, scenario).json()

    assert answer == {
        "name": "course brochure.pdf",
        "type": "application/pdf",
        "same": True,
        "product": "whatsapp",
    }


def test_a_compressed_answer_is_decoded_by_httpx() -> None:
    async def compressed(request: web.Request) -> web.Response:
        return web.Response(
            body=gzip.compress(b'{"messages":[{"id":"wamid.HBgM"}]}'),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )

    async def scenario(client: httpx.AsyncClient, base: str) -> httpx.Response:
        return await client.get(f"{base}/gz")

    assert _run({"/gz": compressed}, scenario).json() == {"messages": [{"id": "wamid.HBgM"}]}


def test_redirects_are_followed_only_when_asked() -> None:
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/landed")

    async def landed(request: web.Request) -> web.Response:
        return web.Response(text="here")

    async def scenario(client: httpx.AsyncClient, base: str) -> tuple[int, int, str]:
        kept = await client.get(f"{base}/moved")
        followed = await client.get(f"{base}/moved", follow_redirects=True)
        return kept.status_code, followed.status_code, followed.text

    assert _run({"/moved": moved, "/landed": landed}, scenario) == (302, 200, "here")


def test_a_refused_connection_is_httpx_connect_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def scenario(client: httpx.AsyncClient, base: str) -> None:
        await client.get(f"http://127.0.0.1:{port}/")

    with pytest.raises(httpx.ConnectError):
        _run({}, scenario)


def test_an_answer_slower_than_the_read_timeout_is_httpx_read_timeout() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    async def scenario(client: httpx.AsyncClient, base: str) -> None:
        await client.get(f"{base}/slow")

    with pytest.raises(httpx.ReadTimeout):
        _run({"/slow": slow}, scenario, timeout=httpx.Timeout(5.0, read=0.2))


def test_a_connection_dropped_mid_answer_is_an_httpx_transport_error() -> None:
    async def dropped(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "1000"})
        await response.prepare(request)
        await response.write(b"partial")
        assert request.transport is not None
        request.transport.close()
        return response

    async def scenario(client: httpx.AsyncClient, base: str) -> None:
        await client.get(f"{base}/dropped")

    with pytest.raises(httpx.TransportError):
        _run({"/dropped": dropped}, scenario)


def test_connections_are_kept_warm_and_never_more_than_the_pool_holds() -> None:
    peers: set[tuple[str, int]] = set()
    in_flight = 0
    most = 0

    async def counted(request: web.Request) -> web.Response:
        nonlocal in_flight, most
        assert request.transport is not None
        peers.add(request.transport.get_extra_info("peername"))
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return web.Response(text="ok")

    async def scenario(client: httpx.AsyncClient, base: str) -> None:
        for _ in range(20):  # one after another: the same connection each time
            (await client.get(f"{base}/c")).raise_for_status()
        sequential = len(peers)
        await asyncio.gather(*(client.get(f"{base}/c") for _ in range(40)))
        assert sequential == 1

    _run({"/c": counted}, scenario, connections=3)

    assert most == 3
    assert len(peers) == 3


def test_the_environments_proxy_is_used_except_for_no_proxy_hosts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A clinic's network may reach the internet only through a proxy (as httpx honours it)."""
    proxied: list[str] = []

    async def proxy(request: web.Request) -> web.Response:
        proxied.append(str(request.url))
        return web.Response(text="via proxy")

    async def direct(request: web.Request) -> web.Response:
        return web.Response(text="direct")

    async def main() -> tuple[str, str]:
        proxy_runner, proxy_base = await _serve({"/{tail:.*}": proxy})
        runner, base = await _serve({"/{tail:.*}": direct})
        monkeypatch.setenv("HTTP_PROXY", proxy_base)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        client = httpx.AsyncClient(transport=AiohttpTransport(2))
        try:
            far = await client.get("http://graph.example.invalid/v25.0/me")
            near = await client.get(f"{base}/local")
            return far.text, near.text
        finally:
            await client.aclose()
            await runner.cleanup()
            await proxy_runner.cleanup()

    assert asyncio.run(main()) == ("via proxy", "direct")
    assert proxied == ["http://graph.example.invalid/v25.0/me"]
