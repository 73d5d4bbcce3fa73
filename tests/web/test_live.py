"""The WebSocket as a dashboard meets it: uvicorn on a real port, a real WebSocket client."""

from __future__ import annotations

import socket
import threading
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, update
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin, Subprotocol

from surgiai.auth.models import User
from surgiai.auth.roles import Role
from surgiai.db.engine import session_scope
from surgiai.db.outbox import publish
from surgiai.kit.events import Event
from surgiai.realtime.broker import InProcessBroker
from surgiai.runtime import Runtime
from surgiai.web import live as endpoints
from tests.fixtures import create_user
from tests.realtime.conftest import LiveServer, open_socket, receive, receive_until
from tests.services import wait_for


def refused_status(url: str, **options: Any) -> int:
    with pytest.raises(InvalidStatus) as refused:
        connect(url, proxy=None, open_timeout=10, **options)
    return refused.value.response.status_code


def open_connections() -> float:
    return REGISTRY.get_sample_value("surgiai_websocket_connections") or 0.0


def owner_id(runtime: Runtime) -> int:
    with session_scope(runtime.session_factory) as session:
        return session.scalars(select(User.id).where(User.email == "owner@example.com")).one()


class TestHandshake:
    def test_without_credentials_the_handshake_is_refused_with_403(self, live: LiveServer) -> None:
        assert refused_status(live.ws_url) == 403

    def test_bearer_header_opens_the_socket_with_a_hello_naming_the_user(
        self, live: LiveServer, runtime: Runtime
    ) -> None:
        with open_socket(live.ws_url, live.login()) as ws:
            assert receive(ws) == {
                "type": "hello",
                "data": {
                    "user": {
                        "id": owner_id(runtime),
                        "email": "owner@example.com",
                        "name": "owner",
                        "role": "owner",
                    }
                },
            }

    def test_bearer_subprotocol_is_accepted_and_answered_with_bearer(
        self, live: LiveServer
    ) -> None:
        """Browsers cannot set headers on a WebSocket; they may offer `bearer, <token>`."""
        with connect(
            live.ws_url, subprotocols=[Subprotocol("bearer"), Subprotocol(live.login())], proxy=None
        ) as ws:
            assert ws.subprotocol == "bearer"
            assert receive(ws)["type"] == "hello"

    def test_session_cookie_is_accepted_from_this_origin(self, live: LiveServer) -> None:
        headers = {"Cookie": f"surgiai_session={live.login()}"}
        origin = Origin(live.http)
        with connect(live.ws_url, additional_headers=headers, proxy=None, origin=origin) as ws:
            assert receive(ws)["type"] == "hello"

    @pytest.mark.parametrize(
        "origin",
        ["https://evil.example", "null", None, "https", "other-port"],
        ids=["foreign", "null", "no-origin", "https-page-for-http-host", "other-port"],
    )
    def test_session_cookie_from_any_other_origin_is_refused(
        self, live: LiveServer, origin: str | None
    ) -> None:
        """Cross-site WebSocket hijacking: the browser sends the cookie whoever opens the socket,
        and every browser sends `Origin`; only this scheme, host and port may use the cookie."""
        host = live.http.removeprefix("http://")
        page = {"https": f"https://{host}", "other-port": f"http://{host}1"}.get(
            origin or "", origin
        )
        options: dict[str, Any] = {"origin": page} if page else {}
        headers = {"Cookie": f"surgiai_session={live.login()}"}
        assert refused_status(live.ws_url, additional_headers=headers, **options) == 403

    def test_bearer_token_needs_no_origin(self, live: LiveServer) -> None:
        """Not a browser's ambient credential: API clients send no `Origin`."""
        with open_socket(live.ws_url, live.login()) as ws:
            assert receive(ws)["type"] == "hello"

    @pytest.mark.parametrize("how", ["header", "subprotocol", "cookie"])
    def test_a_wrong_token_is_refused_with_403(self, live: LiveServer, how: str) -> None:
        wrong = "not-a-session-token"
        options_by_how: dict[str, dict[str, Any]] = {
            "header": {"additional_headers": {"Authorization": f"Bearer {wrong}"}},
            "subprotocol": {"subprotocols": ["bearer", wrong]},
            "cookie": {"additional_headers": {"Cookie": f"surgiai_session={wrong}"}},
        }
        assert refused_status(live.ws_url, **options_by_how[how]) == 403

    def test_a_token_in_the_query_string_is_not_accepted(self, live: LiveServer) -> None:
        """Query strings end up in access logs."""
        assert refused_status(f"{live.ws_url}?token={live.login()}") == 403

    def test_a_deactivated_users_token_is_refused(self, live: LiveServer, runtime: Runtime) -> None:
        token = live.login()
        with session_scope(runtime.session_factory) as session:
            session.execute(update(User).values(is_active=False))
        assert (
            refused_status(live.ws_url, additional_headers={"Authorization": f"Bearer {token}"})
            == 403
        )


class TestEvents:
    def test_an_event_committed_in_a_worker_thread_reaches_the_client(
        self, live: LiveServer, runtime: Runtime
    ) -> None:
        with open_socket(live.ws_url, live.login()) as ws:
            assert receive(ws)["type"] == "hello"
            created: dict[str, Any] = {}

            def worker_task() -> None:
                with session_scope(runtime.session_factory) as session:
                    user = User(
                        email="ravi@example.com", name="Ravi", role=Role.agent, password_hash="x"
                    )
                    session.add(user)
                    publish(
                        session,
                        ("user.created", "ravi"),
                        lambda: Event(
                            "user.created",
                            {"id": user.id, "email": user.email, "created_at": user.created_at},
                        ),
                    )
                created.update(id=user.id, created_at=user.created_at.isoformat())

            thread = threading.Thread(target=worker_task)
            thread.start()
            thread.join()
            messages = receive_until(ws, lambda message: message["type"] == "user.created")
            assert messages[-1] == {
                "type": "user.created",
                "data": {
                    "id": created["id"],
                    "email": "ravi@example.com",
                    "created_at": created["created_at"],
                },
            }
            assert created["created_at"].endswith("+00:00")

    def test_ping_is_answered_and_anything_else_from_the_client_is_ignored(
        self, live: LiveServer
    ) -> None:
        with open_socket(live.ws_url, live.login()) as ws:
            assert receive(ws)["type"] == "hello"
            for junk in ("not json", "[1, 2]", '{"type": "subscribe"}', b"\x00\x01"):
                ws.send(junk)
            ws.send('{"type": "ping"}')
            assert receive_until(ws, lambda message: message["type"] == "pong") == [
                {"type": "pong", "data": {}}
            ]
            live.runtime.broker.publish(Event("typing", {"conversation_id": 1, "active": True}))
            assert receive_until(ws, lambda message: message["type"] == "typing")[-1] == {
                "type": "typing",
                "data": {"conversation_id": 1, "active": True},
            }


class TestConnectionLifetime:
    def test_every_way_of_leaving_releases_the_subscription_and_the_gauge(
        self, live: LiveServer, runtime: Runtime
    ) -> None:
        broker = runtime.broker
        assert isinstance(broker, InProcessBroker)
        token = live.login()
        baseline = open_connections()
        with open_socket(live.ws_url, token) as polite, open_socket(live.ws_url, token) as abrupt:
            for ws in (polite, abrupt):
                assert receive(ws)["type"] == "hello"
            assert broker.subscriber_count == 2
            assert open_connections() == baseline + 2
            polite.close()
            abrupt.socket.shutdown(socket.SHUT_RDWR)  # the network goes away: no close frame
            wait_for(lambda: broker.subscriber_count == 0)
            wait_for(lambda: open_connections() == baseline)

    @pytest.mark.parametrize("how", ["logout", "deactivated"])
    def test_a_socket_whose_login_ends_is_closed_with_4401(
        self, live: LiveServer, runtime: Runtime, monkeypatch: pytest.MonkeyPatch, how: str
    ) -> None:
        monkeypatch.setattr(endpoints, "REVALIDATE_SECONDS", 0.2)
        token = live.login()
        with open_socket(live.ws_url, token) as ws:
            assert receive(ws)["type"] == "hello"
            if how == "logout":
                response = httpx.post(
                    live.http + "/api/v1/auth/logout",
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert response.status_code == 204
            else:
                with session_scope(runtime.session_factory) as session:
                    session.execute(update(User).values(is_active=False))
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=10)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4401

    def test_a_client_that_stops_reading_is_closed_with_1013_not_buffered_for(
        self, live: LiveServer, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(endpoints, "QUEUED_EVENTS_PER_CONNECTION", 10)
        broker = runtime.broker
        assert isinstance(broker, InProcessBroker)
        with stalled_client(live, live.login()) as ws:
            assert receive(ws)["type"] == "hello"
            # Far more than the socket buffers between server and client hold (a few MB).
            for sequence in range(1000):
                broker.publish(Event("test.bulk", {"sequence": sequence, "pad": "x" * 65536}))
            received = 0
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=15)
                    received += 1
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1013
        assert received < 1000
        wait_for(lambda: broker.subscriber_count == 0)


def stalled_client(live: LiveServer, token: str) -> ClientConnection:
    """A client that reads nothing until told: a small receive buffer, no compression and a
    one-message queue, so the server's writes back up quickly as they would for a stalled
    browser tab."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = live.host.split(":")
    sock.connect((host, int(port)))
    return connect(
        live.ws_url,
        sock=sock,
        compression=None,
        max_queue=1,
        additional_headers={"Authorization": f"Bearer {token}"},
        proxy=None,
    )


def test_a_viewer_may_watch_too(live: LiveServer, runtime: Runtime) -> None:
    create_user(runtime, email="viewer@example.com", role=Role.viewer)
    with open_socket(live.ws_url, live.login("viewer@example.com")) as ws:
        assert receive(ws)["data"]["user"]["role"] == "viewer"
