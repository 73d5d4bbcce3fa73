"""A chunk's sends go at their slots without waiting for the answers before them (Meta answers
in a few hundred milliseconds: waiting, a number at 80 msg/s sent 27 a second), but only a
second's worth of them await WhatsApp's answer at once."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import respx
from fastapi.testclient import TestClient
from httpx import Request, Response

from surgiai.campaigns.tasks import _Send, _send_all, in_flight_limit
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.kit.time import utcnow
from surgiai.numbers.channel import adapter_for
from surgiai.numbers.models import WhatsAppNumber
from surgiai.runtime import Runtime
from surgiai.templates.models import MessageTemplate
from tests.campaigns.helpers import campaign_body, segment, start
from tests.conftest import drain
from tests.fixtures import GRAPH, WABA_ID, create_number, create_user, graph_accepted, login


class SlowGraph:
    def __init__(self, answer_seconds: float) -> None:
        self.answer_seconds = answer_seconds
        self.sent: list[str] = []
        self.waiting = 0
        self.most_waiting = 0
        self._ids = itertools.count(1)

    async def answer(self, request: Request) -> Response:
        body = json.loads(request.content)
        self.waiting += 1
        self.most_waiting = max(self.most_waiting, self.waiting)
        await asyncio.sleep(self.answer_seconds)
        self.waiting -= 1
        self.sent.append(body["to"])
        return Response(200, json=graph_accepted(f"wamid.s{next(self._ids)}", body["to"]))


@contextmanager
def slow_graph(answer_seconds: float) -> Iterator[SlowGraph]:
    slow = SlowGraph(answer_seconds)
    with respx.mock(assert_all_called=False) as router:
        router.post(url__regex=rf"{GRAPH}/\d+/messages").mock(side_effect=slow.answer)
        yield slow


def test_sends_do_not_wait_for_the_answers_before_them(
    client: TestClient, runtime: Runtime
) -> None:
    """24 doctors at 80 msg/s go out in 0.3 s: with answers taking 0.3 s, most of them are
    awaiting theirs together (the old bound of 8 kept the number at 27 msg/s)."""
    with slow_graph(0.3) as graph:
        campaign_id, admin = _run_campaign(client, runtime, doctors=24)

    assert len(set(graph.sent)) == len(graph.sent) == 24
    assert graph.most_waiting >= 12
    read = client.get(f"/api/v1/campaigns/{campaign_id}", headers=admin).json()
    assert (read["status"], read["counts"]["sent"]) == ("completed", 24)


def test_a_numbers_chunks_keep_at_most_a_second_of_sends_awaiting_answers(
    runtime: Runtime,
) -> None:
    """WhatsApp answering in 1.5 s: the number's sends slow down instead of piling up. Two
    chunks of the number overlap, as they do on the workers (the next one starts sending
    while the answers of the one before are awaited)."""
    number_id = create_number(runtime)
    with session_scope(runtime.session_factory) as session:
        number = session.get(WhatsAppNumber, number_id)
        assert number is not None
        session.expunge(number)
    limit = in_flight_limit(80)
    adapter = adapter_for(number, runtime, connections=limit)
    sends = [
        _Send(i, i, f"9198765{i:05d}", None, "text", {"body": "Namaste, CME ka link"})
        for i in range(120)
    ]
    begin = time.time()
    with slow_graph(1.5) as graph:
        chunks = [
            runtime.io.submit(_send_all(adapter, number, chunk, at, 1 / 80, limit))
            for chunk, at in ((sends[:60], begin), (sends[60:], begin + 60 / 80))
        ]
        results = [result for chunk in chunks for result in chunk.result(timeout=60)]

    assert all(isinstance(result, str) for result in results)
    assert sorted(graph.sent) == sorted(str(send.to) for send in sends)
    assert graph.most_waiting == limit == 80


def _run_campaign(
    client: TestClient, runtime: Runtime, *, doctors: int
) -> tuple[int, dict[str, str]]:
    create_user(runtime)
    create_number(runtime)
    with session_scope(runtime.session_factory) as session:
        session.add_all(
            Doctor(name=f"Dr. Kavita Reddy {i}", wa_id=f"9198765{i:05d}", city="Hyderabad")
            for i in range(doctors)
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
    return campaign_id, admin
