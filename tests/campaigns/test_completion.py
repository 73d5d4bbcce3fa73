"""A campaign completes when its last message is accepted, not at the next minute's tick; a
cancel does not wait for the rows a worker is claiming, stops the sending before it cancels the
rows, and pause and cancel stop a chunk still waiting for its slots."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import respx
from fastapi.testclient import TestClient
from httpx import Request, Response
from sqlalchemy import select, text

from surgiai.campaigns.repository import CampaignRepository
from surgiai.conversations.models import Direction, Message, MessageState
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


def test_cancel_stops_the_sending_before_it_cancels_the_rows(
    client: TestClient,
    runtime: Runtime,
    admin: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The executor looks at the campaign before each chunk: committing the status first stops
    it at once, where cancelling 100,000 rows took PostgreSQL 2.5 s of sends. A cancel whose
    rows failed half-way is finished by pressing Cancel again."""
    body = campaign_body(
        segment(client, admin, name="Everyone"),
        name="Advanced Laparoscopy CME",
        body_values={"1": {"field": "name"}},
    )
    campaign_id = start(client, admin, body)
    cancel_rows = CampaignRepository.cancel_unsent

    def rows_fail(self: CampaignRepository, campaign_id: int) -> int:
        raise RuntimeError("connection lost while cancelling the rows")

    monkeypatch.setattr(CampaignRepository, "cancel_unsent", rows_fail)
    with pytest.raises(RuntimeError):
        client.post(f"/api/v1/campaigns/{campaign_id}/cancel", headers=admin)
    monkeypatch.setattr(CampaignRepository, "cancel_unsent", cancel_rows)
    with respx.mock(assert_all_called=False) as router:
        sends = router.post(url__regex=rf"{GRAPH}/\d+/messages")
        drain(runtime.queue)
    read = client.get(f"/api/v1/campaigns/{campaign_id}", headers=admin).json()
    assert (read["status"], read["counts"]["pending"], sends.call_count) == ("cancelled", 3, 0)

    again = client.post(f"/api/v1/campaigns/{campaign_id}/cancel", headers=admin)

    assert again.status_code == 200
    counts = again.json()["counts"]
    assert (counts["pending"], counts["cancelled"]) == (0, 3)


@pytest.mark.parametrize("press", ["pause", "cancel"])
def test_a_chunk_waiting_for_its_slots_sends_nothing_after_pause_or_cancel(
    client: TestClient, runtime: Runtime, admin: dict[str, str], press: str
) -> None:
    """A chunk claims its rows, then waits for its slots (up to the length of the chunk sending
    before it): pressed meanwhile, pause and cancel stop it too, not only the chunks after it."""
    body = campaign_body(
        segment(client, admin, name="Everyone"),
        name="Advanced Laparoscopy CME",
        body_values={"1": {"field": "name"}},
    )
    with session_scope(runtime.session_factory) as session:
        [number_id] = session.scalars(select(WhatsAppNumber.id)).all()
    # The number's next 2 s are someone else's: the chunk's slots come after them.
    runtime.limiter.reserve(
        f"number:{number_id}", rate_per_second=80, burst=1, max_wait=3, count=160
    )
    with respx.mock(assert_all_called=False) as router:
        ids = itertools.count(1)
        sends = router.post(url__regex=rf"{GRAPH}/\d+/messages").mock(
            side_effect=lambda request: Response(
                200, json=graph_accepted(f"wamid.late{next(ids)}", "919876500001")
            )
        )
        campaign_id = start(client, admin, body)
        worker = threading.Thread(target=drain, args=(runtime.queue,))
        worker.start()
        _wait_for(lambda: _counts(client, admin, campaign_id)["sending"] == 3)
        pressed = client.post(f"/api/v1/campaigns/{campaign_id}/{press}", headers=admin)
        assert pressed.status_code == 200
        worker.join(timeout=30)
        assert not worker.is_alive()
        counts = _counts(client, admin, campaign_id)
        assert sends.call_count == 0
        if press == "cancel":
            assert (counts["cancelled"], counts["sending"], counts["pending"]) == (3, 0, 0)
            with session_scope(runtime.session_factory) as session:
                statuses = session.scalars(
                    select(Message.status).where(Message.direction == Direction.outbound)
                ).all()
            assert statuses == [MessageState.cancelled] * 3
            return
        assert (counts["pending"], counts["sending"]) == (3, 0)
        client.post(f"/api/v1/campaigns/{campaign_id}/resume", headers=admin)
        drain(runtime.queue)
    # Resumed: each doctor gets the message once (the same one, prepared before the pause).
    assert sorted(json.loads(c.request.content)["to"] for c in sends.calls) == [
        wa_id for _, wa_id, _ in DOCTORS
    ]
    assert _counts(client, admin, campaign_id)["sent"] == 3


def _counts(client: TestClient, admin: dict[str, str], campaign_id: int) -> dict[str, int]:
    read = client.get(f"/api/v1/campaigns/{campaign_id}", headers=admin).json()
    counts: dict[str, int] = read["counts"]
    return counts


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
