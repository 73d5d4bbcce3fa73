"""The catalogue of real-time events (`surgiai.web.events`), which the dashboard's types are
generated from, against what the server actually sends: real flows drive a served app while a
dashboard's WebSocket listens, and every event that arrives must be catalogued, with data that
is exactly its model's. And `events.json`, as `surgiai.web.contract` writes it, must say what
the catalogue says."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from httpx import Request, Response
from pydantic import BaseModel
from websockets.sync.client import ClientConnection

from surgiai.agents.master import MASTER, MasterAgent
from surgiai.agents.registry import default_registry
from surgiai.config import Settings
from surgiai.conversations.inbox import inbox_service
from surgiai.conversations.models import Conversation
from surgiai.db.engine import session_scope
from surgiai.kit.chaos import Chaos, parse_chaos
from surgiai.kit.events import Event
from surgiai.runtime import Runtime
from surgiai.web import contract
from surgiai.web.events import EVENTS, UNION, event_schema_name, events_document
from tests.conftest import drain, make_settings
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
from tests.knowledge.catalogue import add_product
from tests.realtime.conftest import LiveServer, open_socket, receive, receive_until, serving

SEND_URL = f"{GRAPH}/{PHONE_NUMBER_ID}/messages"
SENTINEL = "test.sentinel"
# Catalogued types the flows below do not make the server send, each with the reason. Keep it
# empty if you can: an entry here is a type whose shape nothing checks.
NOT_TRIGGERED: dict[str, str] = {}


# --- events.json ------------------------------------------------------------------------------


def test_events_json_says_what_the_catalogue_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contract, "openapi_spec", dict)  # the REST API is not under test here
    contract.write(tmp_path)
    schemas = json.loads((tmp_path / "events.json").read_text(encoding="utf-8"))["components"][
        "schemas"
    ]

    def named(ref: str) -> str:
        prefix = "#/components/schemas/"
        assert ref.startswith(prefix), ref
        return ref.removeprefix(prefix)

    union = schemas[UNION]
    catalogue: dict[str, str] = {}
    for member in union["oneOf"]:
        properties = schemas[named(member["$ref"])]["properties"]
        [event_type] = properties["type"]["enum"]
        assert event_type not in catalogue, f"{event_type} is in the union twice"
        catalogue[event_type] = named(properties["data"]["$ref"])
    assert catalogue == {event_type: model.__name__ for event_type, model in EVENTS.items()}
    assert union["discriminator"] == {
        "propertyName": "type",
        "mapping": {t: f"#/components/schemas/{event_schema_name(t)}" for t in EVENTS},
    }
    # Each data schema is its model's, as the model serialises, with whatever it refers to.
    for model in set(EVENTS.values()):
        own = model.model_json_schema(
            mode="serialization", ref_template="#/components/schemas/{model}"
        )
        for name, schema in {**own.pop("$defs", {}), model.__name__: own}.items():
            assert schemas[name] == schema, name


def test_the_document_is_the_same_each_time() -> None:
    """The committed copy is compared as text (`make api-client-check`): no set order, no
    dates."""
    assert json.dumps(events_document()) == json.dumps(events_document())


# --- What the server sends --------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # The agents answer (typing, replies, drafts, crash reports), at once.
    return make_settings(tmp_path, database_url, agents_enabled=True, agent_burst_seconds=0)


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    counter = iter(range(1, 10_000))

    def answer(request: Request) -> Response:
        if b'"status"' in request.content:  # read receipts and typing indicators
            return Response(200, json={"success": True})
        return Response(200, json=graph_accepted(f"wamid.out.{next(counter)}"))

    with respx.mock(assert_all_called=False) as router:
        router.route(host="127.0.0.1").pass_through()  # the served app itself
        router.post(SEND_URL).mock(side_effect=answer)
        yield router


class Dashboard:
    """What a logged-in dashboard does and hears: the API over HTTP, events over its socket."""

    def __init__(self, server: LiveServer, socket: ClientConnection, token: str) -> None:
        self.server = server
        self.socket = socket
        self.http = httpx.Client(
            base_url=server.http + "/api/v1", headers={"Authorization": f"Bearer {token}"}
        )

    def call(self, method: str, path: str, **options: Any) -> Any:
        response = self.http.request(method, path, **options)
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def close(self) -> None:
        self.http.close()

    def heard(self) -> list[dict[str, Any]]:
        """Every message the socket received so far (a sentinel published now comes last)."""
        self.server.runtime.broker.publish(Event(SENTINEL, {}))
        messages = receive_until(self.socket, lambda message: message.get("type") == SENTINEL)
        return messages[:-1]


def doctor_writes(server: LiveServer, text: str, wa_id: str) -> None:
    wamid = f"wamid.in.{uuid.uuid4().hex[:12]}"
    body = webhook_body(text_message_value(wamid, text, wa_id=wa_id))
    webhook(server, body)
    drain(server.runtime.queue)


def by_user_id(text: str, user_id: str, phone: str | None = None) -> dict[str, object]:
    """A message naming its sender by WhatsApp user id, and by phone when given."""
    value = text_message_value(f"wamid.in.{uuid.uuid4().hex[:12]}", text)
    contact: dict[str, object] = {"profile": {"username": "dr.user"}, "user_id": user_id}
    message: dict[str, object] = {**value["messages"][0], "from_user_id": user_id}  # type: ignore[index]
    del message["from"]
    if phone:
        contact["wa_id"] = message["from"] = phone
    return {**value, "contacts": [contact], "messages": [message]}


def webhook(server: LiveServer, body: bytes) -> None:
    response = httpx.post(server.http + "/webhooks/whatsapp", content=body, headers=sign(body))
    assert response.is_success, response.text


def the_flows(server: LiveServer, dashboard: Dashboard) -> None:
    """A day in the inbox, as far as it makes the server tell dashboards something."""
    runtime = server.runtime
    doctor, other_doctor = "919876543210", "919811122233"

    # A doctor asks and an agent answers from the catalogue; the answer is sent, then read.
    add_product(runtime, "Disposable Trocar 5 mm")
    doctor_writes(server, "What is the price of the 5 mm trocar?", doctor)
    [conversation] = dashboard.call("GET", "/conversations")["items"]
    path = f"/conversations/{conversation['id']}"
    thread = dashboard.call("GET", path + "/messages")["items"]
    [answer] = [message for message in thread if message["direction"] == "out"]
    webhook(server, webhook_body(status_value(answer["wamid"], "read", wa_id=doctor)))
    drain(runtime.queue)

    # The Master Agent shows it is thinking (it does after a second; called here at once), an
    # admin types, replies (queued, then accepted) and leaves a note.
    with session_scope(runtime.session_factory) as session:
        row = session.get(Conversation, conversation["id"])
        assert row is not None
        inbox_service.typing(session, row, active=True, agent="master")
    dashboard.call("POST", path + "/typing", json={"active": True})
    dashboard.call("POST", path + "/messages", json={"type": "text", "text": {"body": "₹4,500"}})
    drain(runtime.queue)
    dashboard.call("POST", path + "/notes", json={"body": "Wants a quote for ten boxes"})

    # In draft mode the agent's answer waits for an admin, who approves it.
    dashboard.call("PATCH", path, json={"mode": "draft"})
    doctor_writes(server, "Good morning, hope you are all well!", doctor)
    [draft] = dashboard.call("GET", "/drafts")["items"]
    dashboard.call("POST", f"/drafts/{draft['id']}/approve")
    drain(runtime.queue)

    # An admin takes the conversation over.
    dashboard.call("POST", path + "/takeover")

    # Every agent fails for another doctor: a crash report, a note, a notification, and a
    # person takes over.
    runtime.provide(
        MASTER,
        MasterAgent(
            default_registry(),
            settings=runtime.settings,
            sessions=runtime.session_factory,
            chaos=Chaos(parse_chaos("smart_reply=raise:1.0,approved_answers=raise:1.0")),
        ),
    )
    doctor_writes(server, "Can you quote 10 boxes of 3.5 mm clips?", other_doctor)

    # The other doctor writes by username, with no phone (a second conversation), then with
    # both: one doctor again, and that conversation merges into theirs.
    bsuid = "IN.2210457781930466"
    webhook(server, webhook_body(by_user_id("Namaste", bsuid)))
    webhook(server, webhook_body(by_user_id("Mera number yahi hai", bsuid, other_doctor)))
    drain(runtime.queue)

    # The workspace: a number renamed, the settings changed, an agent switched off.
    [number] = dashboard.call("GET", "/numbers")
    dashboard.call("PATCH", f"/numbers/{number['id']}", json={"label": "Sales desk"})
    dashboard.call("PATCH", "/settings", json={"business_name": "Surgi Supplies"})
    dashboard.call("POST", "/agents/greeting/disable", json={"reason": "testing"})

    # A campaign to everyone who wrote today, started: its progress is shown live, and the
    # threads it writes to (the first doctor's, handed back to the AI; people have the other).
    dashboard.call("POST", path + "/release")
    segment = dashboard.call("POST", "/segments", json={"name": "Everyone", "filters": {}})
    campaign = dashboard.call(
        "POST",
        "/campaigns",
        json={
            "name": "Clip offer",
            "kind": "text",
            "segment_id": segment["id"],
            "variants": [{"text": "Dear {name}, 10 % off clips this week."}],
        },
    )
    dashboard.call("POST", f"/campaigns/{campaign['id']}/start")
    drain(runtime.queue)


def test_every_event_sent_is_catalogued_with_its_models_data(
    runtime: Runtime, graph: respx.MockRouter
) -> None:
    create_user(runtime)
    create_number(runtime)
    with serving(runtime) as server:
        token = server.login()
        with open_socket(server.ws_url, token) as socket:
            dashboard = Dashboard(server, socket, token)
            try:
                hello = receive(socket)
                socket.send('{"type": "ping"}')
                the_flows(server, dashboard)
                messages = [hello, *dashboard.heard()]
            finally:
                dashboard.close()

    sent: dict[str, int] = {}
    for message in messages:
        assert set(message) == {"type", "data"}, message
        event_type, data = message["type"], message["data"]
        assert event_type in EVENTS, f"{event_type!r} is sent but not in web/events.py: {data}"
        model: type[BaseModel] = EVENTS[event_type]
        # Exactly the model's shape: nothing missing or mistyped, nothing more.
        assert model.model_validate(data).model_dump(mode="json") == data, event_type
        sent[event_type] = sent.get(event_type, 0) + 1

    typing = [
        message["data"]["actor"]["kind"] for message in messages if message["type"] == "typing"
    ]
    assert sorted(typing) == ["admin", "ai"]
    never_sent = set(EVENTS) - set(sent) - set(NOT_TRIGGERED)
    assert not never_sent, f"catalogued but never sent by these flows: {sorted(never_sent)}"
    assert not set(NOT_TRIGGERED) & set(sent), "sent after all: take it off NOT_TRIGGERED"
