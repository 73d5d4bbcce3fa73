"""A chunk's sends go at their slots but only so many await WhatsApp's answer at once: a
1,000 msg/s chunk once put 500 requests in the HTTP pool together and sent ~15 a second."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator

import pytest
import respx
from fastapi.testclient import TestClient
from httpx import Request, Response

from surgiai.campaigns.tasks import in_flight_limit
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.kit.time import utcnow
from surgiai.runtime import Runtime
from surgiai.templates.models import MessageTemplate
from tests.campaigns.helpers import campaign_body, segment, start
from tests.conftest import drain
from tests.fixtures import GRAPH, WABA_ID, create_number, create_user, graph_accepted, login

DOCTORS = 24
# WhatsApp slow to answer: without a bound, a chunk at 80 msg/s has ~24 sends waiting.
ANSWER_SECONDS = 0.3


class SlowGraph:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.waiting = 0
        self.most_waiting = 0
        self._ids = itertools.count(1)

    async def answer(self, request: Request) -> Response:
        body = json.loads(request.content)
        self.waiting += 1
        self.most_waiting = max(self.most_waiting, self.waiting)
        await asyncio.sleep(ANSWER_SECONDS)
        self.waiting -= 1
        self.sent.append(body["to"])
        return Response(200, json=graph_accepted(f"wamid.s{next(self._ids)}", body["to"]))


@pytest.fixture
def graph() -> Iterator[SlowGraph]:
    slow = SlowGraph()
    with respx.mock(assert_all_called=False) as router:
        router.post(url__regex=rf"{GRAPH}/\d+/messages").mock(side_effect=slow.answer)
        yield slow


def test_a_chunk_keeps_a_bounded_number_of_sends_waiting(
    client: TestClient, runtime: Runtime, graph: SlowGraph
) -> None:
    create_user(runtime)
    create_number(runtime)
    with session_scope(runtime.session_factory) as session:
        session.add_all(
            Doctor(name=f"Dr. Kavita Reddy {i}", wa_id=f"9198765{i:05d}", city="Hyderabad")
            for i in range(DOCTORS)
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
    admin = login(client, "owner@example.com")
    body = campaign_body(
        segment(client, admin, name="Hyderabad"),
        name="Robotic surgery CME",
        body_values={"1": {"field": "name"}},
    )
    campaign_id = start(client, admin, body)
    drain(runtime.queue)

    assert len(set(graph.sent)) == len(graph.sent) == DOCTORS
    assert 1 < graph.most_waiting <= in_flight_limit(80)
    read = client.get(f"/api/v1/campaigns/{campaign_id}", headers=admin).json()
    assert (read["status"], read["counts"]["sent"]) == ("completed", DOCTORS)
