"""The inbox live, as a dashboard sees it over its WebSocket: embedded (SQLite, in-process
pub/sub) and distributed (PostgreSQL, Redis pub/sub, the worker in another runtime)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from httpx import Response

from surgiai.runtime import Runtime
from tests.conftest import drain, make_runtime, make_settings
from tests.fixtures import (
    GRAPH,
    PHONE_NUMBER_ID,
    create_number,
    create_user,
    graph_accepted,
    sign,
    status_value,
    text_message_value,
    webhook_body,
)
from tests.realtime.conftest import open_socket, receive, receive_until, serving

SEND_URL = f"{GRAPH}/{PHONE_NUMBER_ID}/messages"


@pytest.fixture
def live_runtime(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str
) -> Iterator[Runtime]:
    """SQLite runs embedded (in-process pub/sub); PostgreSQL runs distributed (Redis)."""
    if database_url.startswith("sqlite"):
        settings = make_settings(tmp_path, database_url)
    else:
        settings = make_settings(
            tmp_path, database_url, redis_url=request.getfixturevalue("redis_url")
        )
    runtime = make_runtime(settings, queue_name=f"surgiai-live-{uuid.uuid4().hex[:8]}")
    yield runtime
    runtime.queue.huey.flush()
    runtime.close()


def wanted(event_type: str, **fields: Any) -> Callable[[dict[str, Any]], bool]:
    def match(message: dict[str, Any]) -> bool:
        data = message.get("data") or {}
        return message.get("type") == event_type and all(
            _field(data, key) == value for key, value in fields.items()
        )

    return match


def _field(data: dict[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("__"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def test_a_doctors_message_its_reply_and_the_ticks_arrive_live(live_runtime: Runtime) -> None:
    runtime = live_runtime
    create_user(runtime)
    create_number(runtime)
    wa_id = f"9198{uuid.uuid4().int % 10**8:08d}"  # unique: other runs may share this Redis
    with serving(runtime) as server, respx.mock(assert_all_called=False) as graph:
        graph.route(host="127.0.0.1").pass_through()
        graph.post(SEND_URL).mock(return_value=Response(200, json=graph_accepted("wamid.live")))
        token = server.login()
        headers = {"Authorization": f"Bearer {token}"}
        with open_socket(server.ws_url, token) as socket:
            assert receive(socket)["type"] == "hello"
            body = webhook_body(text_message_value("wamid.live.in", "Stapler price?", wa_id=wa_id))
            assert httpx.post(
                server.http + "/webhooks/whatsapp", content=body, headers=sign(body)
            ).is_success
            drain(runtime.queue)

            created = receive_until(socket, wanted("message.created", wamid="wamid.live.in"))[-1]
            assert created["data"]["sender"]["label"] == "Doctor"
            assert created["data"]["text"] == "Stapler price?"
            updated = receive_until(socket, wanted("conversation.updated", doctor__wa_id=wa_id))[
                -1
            ]["data"]
            assert updated["unread_count"] == 1
            assert updated["last_message"]["text"] == "Stapler price?"

            url = f"{server.http}/api/v1/conversations/{updated['id']}"
            assert httpx.post(url + "/typing", json={"active": True}, headers=headers).is_success
            typing = receive_until(socket, wanted("typing", conversation_id=updated["id"]))[-1]
            assert typing["data"]["actor"]["kind"] == "admin"

            reply = httpx.post(
                url + "/messages",
                json={"type": "text", "text": {"body": "₹4,500 a box"}},
                headers=headers,
            )
            assert reply.status_code == 202, reply.text
            queued = receive_until(socket, wanted("message.created", id=reply.json()["id"]))[-1]
            assert queued["data"]["sender"]["label"] == "Admin · owner"
            assert queued["data"]["status"] == "queued"
            drain(runtime.queue)
            accepted = receive_until(socket, wanted("message.updated", wamid="wamid.live"))[-1]
            assert accepted["data"]["status"] == "accepted"

            # The time it was read is this run's marker: other runs may share this Redis.
            read_at = datetime.fromtimestamp(1_700_000_000 + uuid.uuid4().int % 10**8, UTC)
            status = webhook_body(
                status_value("wamid.live", "read", wa_id=wa_id, timestamp=int(read_at.timestamp()))
            )
            httpx.post(server.http + "/webhooks/whatsapp", content=status, headers=sign(status))
            drain(runtime.queue)

            def our_tick(message: dict[str, Any]) -> bool:
                return message["type"] == "messages.status_changed" and any(
                    datetime.fromisoformat(change["timestamp"]) == read_at
                    for change in message["data"]["messages"]
                )

            # The tick alone, not the whole message again.
            ticks = receive_until(socket, our_tick)
            assert not [m for m in ticks if wanted("message.updated", wa_id=wa_id)(m)]
            [read] = ticks[-1]["data"]["messages"]
            assert read["id"] == reply.json()["id"]
            assert read["conversation_id"] == updated["id"]
            assert read["status"] == "read"
            assert datetime.fromisoformat(read["read_at"]) == read_at

            taken = httpx.post(url + "/takeover", headers=headers)
            assert taken.is_success
            mode = receive_until(
                socket, wanted("conversation.updated", id=updated["id"], mode="human")
            )
            assert mode[-1]["data"]["assigned_user"]["name"] == "owner"

            numbers = httpx.get(server.http + "/api/v1/numbers", headers=headers).json()
            number_id = numbers[0]["id"]
            label = f"Sales {wa_id[-4:]}"
            renamed = httpx.patch(
                f"{server.http}/api/v1/numbers/{number_id}", json={"label": label}, headers=headers
            )
            assert renamed.is_success, renamed.text
            # The event names the number; the dashboard reads it again, with its traffic.
            card = receive_until(socket, wanted("number.updated", id=number_id))[-1]
            assert card["data"] == {"id": number_id}
            assert (
                httpx.get(f"{server.http}/api/v1/numbers/{number_id}", headers=headers).json()[
                    "label"
                ]
                == label
            )
