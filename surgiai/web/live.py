"""`/api/v1/ws`: a logged-in dashboard receives every real-time event as a JSON text message.

Credentials are checked before the handshake is accepted, so a refused client gets HTTP 403 and
never an open socket. They come, in this order, from the subprotocol pair `bearer, <token>`
(browsers holding a token: the WebSocket API cannot set headers), an `Authorization: Bearer`
header (other clients) or the session cookie. Never from the query string, which ends up in
access logs. A cookie is sent by the browser whatever page opens the socket, so with a cookie the
`Origin` must be this origin, scheme, host and port (cross-site WebSocket hijacking); behind a
proxy, pass `Host` through and list the proxy in `SURGIAI_TRUSTED_PROXIES` for its
`X-Forwarded-Proto`.

After `hello`, the server sends events, each `{"type": ..., "data": {...}}` as catalogued in
`web.events`; the client may send `{"type": "ping"}` (answered with `pong`) and nothing else
matters. Close codes: 4401 the session ended (log in again), 1013 the client fell behind or
events were lost (reconnect, then refetch), 1012 the server is stopping.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import orjson
import structlog
from fastapi import APIRouter, WebSocket
from prometheus_client import Gauge
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from surgiai.auth.dependencies import SESSION_COOKIE
from surgiai.auth.roles import Permission, Role, has_permission
from surgiai.auth.service import auth_service
from surgiai.db.engine import session_scope
from surgiai.errors import NotAuthenticated
from surgiai.kit.events import Event
from surgiai.realtime.broker import Subscription, SubscriptionLagged
from surgiai.runtime import Runtime
from surgiai.web.events import Hello, HelloUser, Pong

log = structlog.get_logger(__name__)

router = APIRouter(tags=["realtime"])

PATH = "/api/v1/ws"
BEARER_SUBPROTOCOL = "bearer"
# How often an open socket checks that its login still stands (logout, expiry, deactivation).
REVALIDATE_SECONDS = 60.0
# Events waiting for a slow client before it is told to reconnect and refetch.
QUEUED_EVENTS_PER_CONNECTION = 1000

REFUSED = 1008  # before the handshake, the server answers HTTP 403 instead
SERVER_STOPPING = 1012
TRY_AGAIN_LATER = 1013
SESSION_ENDED = 4401

PONG = Event("pong", Pong().model_dump(mode="json")).to_json()

CONNECTIONS = Gauge("surgiai_websocket_connections", "Open real-time WebSocket connections")

Send = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class Credentials:
    token: str
    via_cookie: bool
    subprotocol: str | None


@dataclass(frozen=True)
class Identity:
    """The user behind a socket, read inside the session that checked the token."""

    id: int
    email: str
    name: str
    role: Role

    def hello(self) -> Event:
        user = HelloUser(id=self.id, email=self.email, name=self.name, role=self.role)
        return Event("hello", Hello(user=user).model_dump(mode="json"))


def credentials_of(websocket: WebSocket) -> Credentials | None:
    offered = websocket.scope.get("subprotocols", [])
    if len(offered) == 2 and offered[0] == BEARER_SUBPROTOCOL and offered[1]:
        return Credentials(offered[1], via_cookie=False, subprotocol=BEARER_SUBPROTOCOL)
    scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return Credentials(value.strip(), via_cookie=False, subprotocol=None)
    cookie = websocket.cookies.get(SESSION_COOKIE)
    if cookie:
        return Credentials(cookie, via_cookie=True, subprotocol=None)
    return None


def same_origin(websocket: WebSocket) -> bool:
    """Whether the page that opened the socket is served by this very origin: scheme, host
    and port. Browsers always send `Origin` on a WebSocket handshake, so a cookie without one
    (or with `null`, or an `https` page for an `http` host) is refused."""
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    if not origin or not host:
        return False
    page = urlsplit(origin)
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    return page.scheme == scheme and _authority(scheme, page.netloc) == _authority(scheme, host)


def _authority(scheme: str, host_and_port: str) -> str:
    """`Example.com:80` and `example.com` are one authority over http."""
    default_port = ":443" if scheme == "https" else ":80"
    authority = host_and_port.lower()
    return authority.removesuffix(default_port)


def identify(session_factory: sessionmaker[Session], token: str) -> Identity | None:
    """The user of a valid session allowed to watch dashboards, or None. Blocking: run it in a
    thread."""
    with session_scope(session_factory) as session:
        try:
            user = auth_service.authenticate(session, token)
        except NotAuthenticated:
            return None
        if not has_permission(user.role, Permission.read):
            return None
        return Identity(user.id, user.email, user.name, user.role)


@router.websocket(PATH)
async def realtime_socket(websocket: WebSocket) -> None:
    runtime: Runtime = websocket.app.state.runtime
    credentials = credentials_of(websocket)
    if credentials is None:
        await _refuse(websocket, "no_credentials")
        return
    if credentials.via_cookie and not same_origin(websocket):
        await _refuse(websocket, "foreign_origin")
        return
    identity = await run_in_threadpool(identify, runtime.session_factory, credentials.token)
    if identity is None:
        await _refuse(websocket, "not_authenticated")
        return
    # Subscribed before `hello`: a client refetches on `hello`, so nothing published from then
    # on may be missed.
    subscription = runtime.broker.subscribe(max_queued=QUEUED_EVENTS_PER_CONNECTION)
    try:
        await websocket.accept(subprotocol=credentials.subprotocol)
        CONNECTIONS.inc()
        try:
            code = await _converse(websocket, runtime, credentials.token, identity, subscription)
        finally:
            CONNECTIONS.dec()
    finally:
        subscription.close()
    log.debug("realtime.ws.closed", user_id=identity.id, code=code)
    if code is not None:
        # The client may be closing at the same moment; there is nobody left to tell then.
        with contextlib.suppress(WebSocketDisconnect):
            await websocket.close(code)


async def _refuse(websocket: WebSocket, reason: str) -> None:
    log.info("realtime.ws.refused", reason=reason)
    await websocket.close(REFUSED)


async def _converse(
    websocket: WebSocket,
    runtime: Runtime,
    token: str,
    identity: Identity,
    subscription: Subscription,
) -> int | None:
    """Serve one socket until the client leaves (None) or the server must close it (the code)."""
    lock = asyncio.Lock()

    async def send(text: str) -> None:
        # Events and pongs come from two tasks; one message at a time on the wire.
        async with lock:
            await websocket.send_text(text)

    try:
        await send(identity.hello().to_json())
    except WebSocketDisconnect:
        return None
    log.debug("realtime.ws.connected", user_id=identity.id)
    tasks = [
        asyncio.create_task(_forward_events(subscription, send)),
        asyncio.create_task(_answer_client(websocket, send)),
        asyncio.create_task(_watch_login(runtime.session_factory, token, identity.id)),
    ]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return done.pop().result()


async def _forward_events(subscription: Subscription, send: Send) -> int | None:
    try:
        async for event in subscription:
            await send(event.to_json())
    except SubscriptionLagged:
        log.warning("realtime.ws.lagged")
        return TRY_AGAIN_LATER
    except WebSocketDisconnect:
        return None
    return SERVER_STOPPING


async def _answer_client(websocket: WebSocket, send: Send) -> None:
    """Answer pings until the client disconnects; anything else it sends is ignored."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            continue
        try:
            request = orjson.loads(text)
        except orjson.JSONDecodeError:
            continue
        if isinstance(request, dict) and request.get("type") == "ping":
            with contextlib.suppress(WebSocketDisconnect):
                await send(PONG)


async def _watch_login(session_factory: sessionmaker[Session], token: str, user_id: int) -> int:
    while True:
        await asyncio.sleep(REVALIDATE_SECONDS)
        try:
            identity = await run_in_threadpool(identify, session_factory, token)
        except Exception:
            # The database being unreachable for a moment is no reason to drop every socket.
            log.warning("realtime.ws.revalidate_failed", user_id=user_id, exc_info=True)
            continue
        if identity is None:
            log.info("realtime.ws.session_ended", user_id=user_id)
            return SESSION_ENDED
