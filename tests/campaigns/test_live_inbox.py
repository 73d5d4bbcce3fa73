"""A campaign as an open inbox hears it: one `conversations.touched` event per chunk naming
every doctor's conversation and its new last message, not an event per message: what a
dashboard receives grows with the chunks (about two a second per number), not the messages."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from httpx import Request, Response

from surgiai.conversations.events import TOUCHED_EVENT
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.kit.events import Event
from surgiai.kit.time import utcnow
from surgiai.runtime import Runtime
from surgiai.templates.models import MessageTemplate
from tests.conftest import drain
from tests.fixtures import GRAPH, WABA_ID, create_number, create_user, graph_accepted
from tests.realtime.conftest import open_socket, receive, receive_until, serving

SENTINEL = "test.sentinel"
DOCTORS = {
    "919876500011": "Dr. Asha Rao",
    "919876500012": "Dr. Rajesh Kulkarni",
    "919876500013": "Dr. Meera Iyer",
    "919876500014": "Dr. Farah Khan",
}


@pytest.fixture
def audience(runtime: Runtime) -> None:
    create_user(runtime)
    # Four messages a second: chunks of two (half a second's worth), so four doctors take two.
    create_number(runtime, throughput_mps=4)
    with session_scope(runtime.session_factory) as session:
        session.add_all(
            Doctor(name=name, wa_id=wa_id, city="Pune") for wa_id, name in DOCTORS.items()
        )
        session.add(
            MessageTemplate(
                waba_id=WABA_ID,
                name="cme_invite",
                language="en",
                status="APPROVED",
                category="MARKETING",
                components=[{"type": "BODY", "text": "Namaste {{1}}, the CME opens today."}],
                synced_at=utcnow(),
            )
        )


@pytest.fixture
def graph() -> Iterator[None]:
    wamids = itertools.count(1)

    def accept(request: Request) -> Response:
        to = json.loads(request.content).get("to", "")
        return Response(200, json=graph_accepted(f"wamid.live.{next(wamids)}", to))

    with respx.mock(assert_all_called=False) as router:
        router.route(host="127.0.0.1").pass_through()  # the served app itself
        router.post(url__regex=rf"{GRAPH}/\d+/messages").mock(side_effect=accept)
        yield


def campaign_to_pune(segment_id: int) -> dict[str, Any]:
    return {
        "name": "CME, Pune",
        "kind": "template",
        "segment_id": segment_id,
        "variants": [
            {
                "key": "A",
                "template_name": "cme_invite",
                "language": "en",
                "parameters": {"body": {"1": {"field": "name"}}},
            }
        ],
    }


def test_a_chunk_tells_the_inbox_once_which_threads_it_wrote_to(
    runtime: Runtime, audience: None, graph: None
) -> None:
    with serving(runtime) as server:
        token = server.login()
        api = httpx.Client(
            base_url=server.http + "/api/v1", headers={"Authorization": f"Bearer {token}"}
        )
        with api, open_socket(server.ws_url, token) as socket:
            assert receive(socket)["type"] == "hello"
            segment = api.post("/segments", json={"name": "Pune", "filters": {"city": ["Pune"]}})
            campaign = api.post("/campaigns", json=campaign_to_pune(segment.json()["id"]))
            assert api.post(f"/campaigns/{campaign.json()['id']}/start").is_success
            drain(runtime.queue)

            runtime.broker.publish(Event(SENTINEL, {}))
            heard = receive_until(socket, lambda message: message["type"] == SENTINEL)
            conversations = api.get("/conversations").json()["items"]

    # One event per chunk, naming its two doctors' conversations; none per message.
    chunks = [
        message["data"]["conversations"] for message in heard if message["type"] == TOUCHED_EVENT
    ]
    assert [len(chunk) for chunk in chunks] == [2, 2]
    assert not [m for m in heard if m["type"] in ("message.created", "conversation.updated")]
    # What the dashboard then reads: each conversation, its campaign message last.
    assert sorted(c["doctor"]["wa_id"] for c in conversations) == sorted(DOCTORS)
    assert sorted(chunks[0] + chunks[1], key=lambda c: c["id"]) == sorted(
        ({"id": c["id"], "last_message_id": c["last_message"]["id"]} for c in conversations),
        key=lambda c: c["id"],
    )
    assert {c["last_message"]["text"] for c in conversations} == {
        f"Namaste {name}, the CME opens today." for name in DOCTORS.values()
    }
