"""A campaign completes when its last message is accepted, not at the next minute's tick; a
cancel does not wait for the rows a worker is claiming."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import pytest
import respx
from fastapi.testclient import TestClient
from httpx import Request, Response
from sqlalchemy import select, text

from surgiai.campaigns.repository import CampaignRepository
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.kit.time import utcnow
from surgiai.numbers.models import WhatsAppNumber
from surgiai.runtime import Runtime
from surgiai.templates.models import MessageTemplate
from tests.campaigns.helpers import campaign_body, segment, start
from tests.conftest import drain
from tests.fixtures import GRAPH, WABA_ID, create_number, create_user, graph_accepted, login

DOCTORS = [
    ("Dr. Asha Rao", "919876500001", "Pune"),
    ("Dr. Rajesh Kulkarni", "919876500002", "Pune"),
    ("Dr. Meera Iyer", "919876500003", "Nagpur"),
]


@pytest.fixture
def admin(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime)
    create_number(runtime)
    with session_scope(runtime.session_factory) as session:
        session.add_all(Doctor(name=n, wa_id=w, city=c) for n, w, c in DOCTORS)
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
    return login(client, "owner@example.com")


@pytest.fixture
def graph(runtime: Runtime) -> Iterator[list[str]]:
    """WhatsApp accepts every send; while it answers the first, the worker runs what is
    queued (the chunk queued after this one), as another worker thread would meanwhile."""
    sent: list[str] = []
    ids = itertools.count(1)

    def answer(request: Request) -> Response:
        body = json.loads(request.content)
        if not sent:
            drain(runtime.queue)
        sent.append(body["to"])
        return Response(200, json=graph_accepted(f"wamid.c{next(ids)}", body["to"]))

    with respx.mock(assert_all_called=False) as router:
        router.post(url__regex=rf"{GRAPH}/\d+/messages").mock(side_effect=answer)
        yield sent


def test_the_campaign_completes_once_its_last_chunk_is_recorded(
    client: TestClient, runtime: Runtime, admin: dict[str, str], graph: list[str]
) -> None:
    body = campaign_body(
        segment(client, admin, name="Everyone"),
        name="Advanced Laparoscopy CME",
        body_values={"1": {"field": "name"}},
    )
    campaign_id = start(client, admin, body)
    drain(runtime.queue)

    assert sorted(graph) == [wa_id for _, wa_id, _ in DOCTORS]
    read = client.get(f"/api/v1/campaigns/{campaign_id}", headers=admin).json()
    assert (read["status"], read["counts"]["sent"]) == ("completed", 3)
    assert read["finished_at"] is not None


def test_cancel_does_not_wait_for_rows_a_worker_is_claiming(
    client: TestClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    """On PostgreSQL, cancel waiting on a worker's claimed rows deadlocked with the worker's
    next update of its chunk (seen cancelling a 100,000-doctor campaign mid-send)."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite has one writer)")
    body = campaign_body(
        segment(client, admin, name="Everyone"),
        name="Advanced Laparoscopy CME",
        body_values={"1": {"field": "name"}},
    )
    campaign_id = start(client, admin, body)
    with session_scope(runtime.session_factory) as worker:
        [number_id] = worker.scalars(select(WhatsAppNumber.id)).all()
        claimed = CampaignRepository(worker).claim(
            campaign_id, number_id, limit=1, now=utcnow(), claimant="worker-1"
        )
        assert len(claimed) == 1
        # The worker's transaction is still open: cancel must get on without its row.
        with session_scope(runtime.session_factory) as cancelling:
            cancelling.execute(text("SET LOCAL lock_timeout = '2s'"))
            assert CampaignRepository(cancelling).cancel_unsent(campaign_id) == 2
    states = client.get(f"/api/v1/campaigns/{campaign_id}", headers=admin).json()["counts"]
    assert (states["sending"], states["cancelled"]) == (1, 2)
