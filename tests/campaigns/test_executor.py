"""Campaigns through the API with the executor run as a worker would, on SQLite and PostgreSQL:
what WhatsApp receives (the exact JSON), each doctor once, and how each error is met."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import respx
from fastapi.testclient import TestClient
from httpx import ConnectError, Request, Response
from sqlalchemy import select, update

from surgiai.campaigns.models import CampaignRecipient, RecipientState
from surgiai.conversations.models import Conversation, Message
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.kit.time import utcnow
from surgiai.numbers.models import WhatsAppNumber
from surgiai.runtime import Runtime
from surgiai.templates.models import MessageTemplate
from tests.campaigns.helpers import campaign_body, segment, start
from tests.conftest import drain
from tests.fixtures import (
    GRAPH,
    PHONE_NUMBER_ID,
    WABA_ID,
    create_number,
    create_user,
    graph_accepted,
    graph_error,
    login,
    sign,
    status_value,
    webhook_body,
)

SECOND_PNID = "106540352242999"
DOCTORS = [
    ("Dr. Asha Rao", "919876500001", "Gynaecology", "Pune"),
    ("Dr. Rajesh Kulkarni", "919876500002", "General Surgery", "Pune"),
    ("Dr. Meera Iyer", "919876500003", "Gynaecology", "Pune"),
    ("Dr. Vikram Singh", "919876500004", "General Surgery", "Nagpur"),
    ("Dr. Farah Khan", "919876500005", "Gynaecology", "Pune"),
]


@pytest.fixture
def admin(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime)
    return login(client, "owner@example.com")


@pytest.fixture
def numbers(runtime: Runtime) -> list[int]:
    return [create_number(runtime)]


@pytest.fixture
def doctors(runtime: Runtime) -> dict[str, int]:
    with session_scope(runtime.session_factory) as session:
        rows = [
            Doctor(name=name, wa_id=wa_id, specialty=specialty, city=city)
            for name, wa_id, specialty, city in DOCTORS
        ]
        session.add_all(rows)
        session.add(
            MessageTemplate(
                waba_id=WABA_ID,
                name="cme_invite",
                language="en",
                status="APPROVED",
                category="MARKETING",
                components=[
                    {"type": "BODY", "text": "Namaste {{1}}, the {{2}} CME in {{3}} opens today."}
                ],
                synced_at=utcnow(),
            )
        )
        session.flush()
        return {row.wa_id or "": row.id for row in rows}


class Graph:
    """WhatsApp's send endpoint: accepts, or answers what a test tells it to per doctor."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.sent: list[dict[str, Any]] = []
        self.errors: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        router.post(url__regex=rf"{GRAPH}/\d+/messages").mock(side_effect=self._answer)

    def _answer(self, request: Request) -> Response:
        body = json.loads(request.content)
        if body.get("status") == "read":
            return Response(200, json={"success": True})
        to = body.get("to", "")
        if to in self.errors:
            return Response(400, json=self.errors.pop(to))
        self.sent.append({"pnid": request.url.path.split("/")[-2], **body})
        return Response(200, json=graph_accepted(f"wamid.c{next(self._ids)}", to))

    def to(self, wa_id: str) -> list[dict[str, Any]]:
        return [s for s in self.sent if s.get("to") == wa_id]


@pytest.fixture
def graph() -> Iterator[Graph]:
    with respx.mock(assert_all_called=False) as router:
        yield Graph(router)


def recipients(runtime: Runtime, campaign_id: int) -> dict[int, CampaignRecipient]:
    with session_scope(runtime.session_factory) as session:
        rows = session.scalars(
            select(CampaignRecipient).where(CampaignRecipient.campaign_id == campaign_id)
        ).all()
        session.expunge_all()
        return {row.doctor_id: row for row in rows}


class TestSending:
    def test_each_doctor_gets_their_own_values_once_and_opt_outs_are_left_out(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            session.execute(
                update(Doctor)
                .where(Doctor.wa_id == "919876500005")
                .values(marketing_opted_out=True)
            )
        segment_id = segment(client, admin, city=["Pune"])
        plan = client.post("/api/v1/campaigns/plan", json=campaign_body(segment_id), headers=admin)
        assert plan.status_code == 200, plan.text
        assert plan.json()["recipients"] == 3
        assert plan.json()["skipped"] == {"Opted out of marketing": 1}
        assert plan.json()["samples"][0]["text"] == (
            "Namaste Dr. Asha Rao, the Advanced Laparoscopy CME in Pune opens today."
        )

        campaign_id = start(client, admin, campaign_body(segment_id))
        drain(runtime.queue)

        assert sorted(s["to"] for s in graph.sent) == [
            "919876500001",
            "919876500002",
            "919876500003",
        ]
        assert graph.to("919876500002")[0]["template"] == {
            "name": "cme_invite",
            "language": {"code": "en"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Dr. Rajesh Kulkarni"},
                        {"type": "text", "text": "Advanced Laparoscopy"},
                        {"type": "text", "text": "Pune"},
                    ],
                }
            ],
        }
        read = client.get(f"/api/v1/campaigns/{campaign_id}", headers=admin).json()
        assert read["status"] == "completed"
        assert (read["counts"]["sent"], read["counts"]["skipped"], read["counts"]["total"]) == (
            3,
            1,
            4,
        )

        # Pressing start or resume again sends nobody anything new.
        assert (
            client.post(f"/api/v1/campaigns/{campaign_id}/start", headers=admin).status_code == 409
        )
        assert (
            client.post(f"/api/v1/campaigns/{campaign_id}/resume", headers=admin).status_code == 409
        )
        drain(runtime.queue)
        assert len(graph.sent) == 3

    def test_the_campaign_message_is_in_the_doctors_thread_with_its_ticks(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        campaign_id = start(client, admin, campaign_body(segment(client, admin, city=["Nagpur"])))
        drain(runtime.queue)
        [row] = recipients(runtime, campaign_id).values()
        body = webhook_body(status_value("wamid.c1", "read", wa_id="919876500004"))
        client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        drain(runtime.queue)
        conversations = client.get("/api/v1/conversations", headers=admin).json()["items"]
        [conversation] = [c for c in conversations if c["doctor"]["wa_id"] == "919876500004"]
        [message] = client.get(
            f"/api/v1/conversations/{conversation['id']}/messages", headers=admin
        ).json()["items"]
        assert message["id"] == row.message_id
        assert message["status"] == "read"
        assert message["text"] == (
            "Namaste Dr. Vikram Singh, the Advanced Laparoscopy CME in Nagpur opens today."
        )
        counts = client.get(f"/api/v1/campaigns/{campaign_id}", headers=admin).json()["counts"]
        assert (counts["sent"], counts["delivered"], counts["read"]) == (1, 1, 1)


class TestErrors:
    def test_each_error_is_met_as_whatsapp_means_it(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        graph.errors["919876500001"] = graph_error(131050, "User stopped marketing")
        graph.errors["919876500002"] = graph_error(131026, "Message undeliverable")
        graph.errors["919876500003"] = graph_error(131049, "Healthy ecosystem")
        graph.errors["919876500005"] = graph_error(130429, "Rate limit hit")
        campaign_id = start(client, admin, campaign_body(segment(client, admin, city=["Pune"])))
        drain(runtime.queue)

        rows = recipients(runtime, campaign_id)
        opted, unreachable, capped, throttled = (
            rows[doctors[wa_id]]
            for wa_id in ("919876500001", "919876500002", "919876500003", "919876500005")
        )
        assert (opted.state, opted.reason) == (RecipientState.failed, "Opted out of marketing")
        assert (unreachable.state, unreachable.reason) == (
            RecipientState.failed,
            "Not reachable on WhatsApp",
        )
        # 131049: once more, a day later; 130429: after WhatsApp's wait, not written off.
        assert capped.state is RecipientState.pending and capped.marketing_limit_retried
        assert capped.not_before is not None and capped.not_before - utcnow() > timedelta(hours=23)
        assert throttled.state is RecipientState.pending and throttled.not_before is not None
        with session_scope(runtime.session_factory) as session:
            assert session.get(Doctor, doctors["919876500001"]).marketing_opted_out  # type: ignore[union-attr]
            assert session.get(Doctor, doctors["919876500002"]).unreachable_reason  # type: ignore[union-attr]

        # Their time comes: each goes once more, and the campaign completes.
        with session_scope(runtime.session_factory) as session:
            session.execute(update(CampaignRecipient).values(not_before=None))
        client.post(f"/api/v1/campaigns/{campaign_id}/pause", headers=admin)
        client.post(f"/api/v1/campaigns/{campaign_id}/resume", headers=admin)
        drain(runtime.queue)
        assert len(graph.to("919876500003")) == 1 and len(graph.to("919876500005")) == 1
        assert (
            client.get(f"/api/v1/campaigns/{campaign_id}", headers=admin).json()["status"]
            == "completed"
        )

    def test_a_number_that_is_stopped_hands_its_remainder_to_the_other(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        second = create_number(
            runtime,
            phone_number_id=SECOND_PNID,
            label="Sales Mumbai",
            display_phone_number="15550783882",
        )
        graph.errors["919876500001"] = graph_error(131031, "Account locked")
        with session_scope(runtime.session_factory) as session:
            # Everyone sticks to the first number, so the error meets them all there.
            session.execute(update(Doctor).values(sticky_number_id=numbers[0]))
        campaign_id = start(client, admin, campaign_body(segment(client, admin, city=["Pune"])))
        drain(runtime.queue)

        rows = recipients(runtime, campaign_id)
        assert {row.state for row in rows.values()} == {RecipientState.sent}
        # The first doctor's message was refused on the stopped number and went from the other.
        assert [s["pnid"] for s in graph.to("919876500001")] == [SECOND_PNID]
        assert len(graph.sent) == len(rows) == 4
        with session_scope(runtime.session_factory) as session:
            assert session.get(WhatsAppNumber, numbers[0]).paused  # type: ignore[union-attr]
        notifications = client.get("/api/v1/notifications", headers=admin).json()
        assert any("moved off Sales" in n["title"] for n in notifications["items"]), notifications
        assert second


class TestControls:
    def test_a_paused_campaign_sends_nothing_until_resumed_and_cancel_drops_the_rest(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        campaign_id = start(client, admin, campaign_body(segment(client, admin)))
        paused = client.post(f"/api/v1/campaigns/{campaign_id}/pause", headers=admin)
        assert paused.json()["status"] == "paused"
        drain(runtime.queue)
        assert graph.sent == []
        cancelled = client.post(f"/api/v1/campaigns/{campaign_id}/cancel", headers=admin)
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["counts"]["cancelled"] == 5
        drain(runtime.queue)
        assert graph.sent == []

    def test_an_opt_out_after_the_start_is_honoured(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        campaign_id = start(client, admin, campaign_body(segment(client, admin)))
        stop = client.post(
            f"/api/v1/doctors/{doctors['919876500001']}/consent",
            json={"opted_out": True, "reason": "Said STOP on a call"},
            headers=admin,
        )
        assert stop.status_code == 200, stop.text
        drain(runtime.queue)
        client.post(f"/api/v1/campaigns/{campaign_id}/resume", headers=admin)
        drain(runtime.queue)
        assert graph.to("919876500001") == []
        assert len(graph.sent) == 4
        row = recipients(runtime, campaign_id)[doctors["919876500001"]]
        assert (row.state, row.reason) == (RecipientState.skipped, "Opted out of marketing")


def worker_died_after_claiming(
    runtime: Runtime, campaign_id: int, claimed_ago: timedelta
) -> list[int]:
    """What a worker leaves when it is killed after claiming a chunk and creating its messages,
    before recording what WhatsApp answered: recipients in `sending`, by a process now gone."""
    from surgiai.campaigns import tasks
    from surgiai.campaigns.models import Campaign
    from surgiai.campaigns.repository import CampaignRepository
    from tests.fixtures import gone_claimant

    with session_scope(runtime.session_factory) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        number = session.scalars(select(WhatsAppNumber)).first()
        assert number is not None
        ids = CampaignRepository(session).claim(
            campaign_id, number.id, limit=100, now=utcnow(), claimant=gone_claimant()
        )
        sends, _ = tasks._prepare(session, campaign, number, ids, utcnow())
        session.execute(
            update(CampaignRecipient)
            .where(CampaignRecipient.id.in_(ids))
            .values(claimed_at=utcnow() - claimed_ago)
        )
        return [send.message_id for send in sends]


class TestCrashes:
    def run_sweeper(self, runtime: Runtime) -> int:
        from surgiai.runtime import TaskContext
        from surgiai.worker.sweeper import sweep

        with session_scope(runtime.session_factory) as session:
            return sweep(TaskContext(session, runtime))["campaigns.recipients"]

    def test_a_send_whatsapp_accepted_before_the_crash_is_never_sent_again(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        campaign_id = start(client, admin, campaign_body(segment(client, admin, city=["Nagpur"])))
        runtime.queue.huey.flush()  # the worker died holding the chunk
        [message_id] = worker_died_after_claiming(runtime, campaign_id, timedelta(minutes=3))
        # WhatsApp had accepted it: its status webhook names our message in the callback data.
        body = webhook_body(
            status_value(
                "wamid.before-crash",
                "delivered",
                wa_id="919876500004",
                callback=f"surgiai:{message_id}",
            )
        )
        client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        drain(runtime.queue)

        assert self.run_sweeper(runtime) == 1
        drain(runtime.queue)
        assert graph.sent == []
        [row] = recipients(runtime, campaign_id).values()
        assert row.state is RecipientState.sent and row.message_id == message_id

    def test_a_send_cut_off_before_whatsapp_goes_once_after_the_grace(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        campaign_id = start(client, admin, campaign_body(segment(client, admin, city=["Nagpur"])))
        runtime.queue.huey.flush()
        [message_id] = worker_died_after_claiming(runtime, campaign_id, timedelta(seconds=5))
        # Within the grace a webhook may still come: the claim is left alone.
        assert self.run_sweeper(runtime) == 0
        with session_scope(runtime.session_factory) as session:
            session.execute(
                update(CampaignRecipient).values(claimed_at=utcnow() - timedelta(minutes=3))
            )
        assert self.run_sweeper(runtime) == 1
        drain(runtime.queue)
        drain(runtime.queue)
        # The same message (and callback data) went once.
        [sent] = graph.sent
        assert sent["biz_opaque_callback_data"] == f"surgiai:{message_id}"
        [row] = recipients(runtime, campaign_id).values()
        assert row.state is RecipientState.sent
        assert (
            client.get(f"/api/v1/campaigns/{campaign_id}", headers=admin).json()["status"]
            == "completed"
        )

    def test_duplicate_status_webhooks_count_once(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        campaign_id = start(client, admin, campaign_body(segment(client, admin, city=["Nagpur"])))
        drain(runtime.queue)
        body = webhook_body(status_value("wamid.c1", "read", wa_id="919876500004"))
        for _ in range(3):
            client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        drain(runtime.queue)
        counts = client.get(f"/api/v1/campaigns/{campaign_id}", headers=admin).json()["counts"]
        assert (counts["sent"], counts["read"]) == (1, 1)


class TestRetryFailed:
    def test_retry_sends_a_new_message_once_however_often_it_is_pressed(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        campaign_id = start(client, admin, campaign_body(segment(client, admin, city=["Nagpur"])))
        drain(runtime.queue)
        # WhatsApp accepted it, then reported a temporary error (131000): a retry can help.
        body = webhook_body(
            status_value(
                "wamid.c1",
                "failed",
                wa_id="919876500004",
                errors=[{"code": 131000, "title": "Something went wrong"}],
            )
        )
        client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        drain(runtime.queue)
        results = client.get(f"/api/v1/campaigns/{campaign_id}/results", headers=admin).json()
        assert results["failed_by_reason"] == {"Temporary WhatsApp error": 1}
        assert results["retryable_reasons"] == ["Temporary WhatsApp error"]

        first = client.post(
            f"/api/v1/campaigns/{campaign_id}/retry-failed",
            json={"reasons": ["Temporary WhatsApp error"]},
            headers=admin,
        )
        second = client.post(
            f"/api/v1/campaigns/{campaign_id}/retry-failed",
            json={"reasons": ["Temporary WhatsApp error"]},
            headers=admin,
        )
        drain(runtime.queue)
        assert (first.json(), second.json()) == ({"requeued": 1}, {"requeued": 0})
        # WhatsApp is called again (not just marked queued), once.
        assert len(graph.to("919876500004")) == 2
        [row] = recipients(runtime, campaign_id).values()
        assert row.state is RecipientState.sent
        with session_scope(runtime.session_factory) as session:
            statuses = session.scalars(
                select(Message.status)
                .join(Conversation)
                .where(Conversation.doctor_id == row.doctor_id)
            ).all()
        assert sorted(s.value for s in statuses) == ["accepted", "failed"]

    def test_a_reason_a_retry_cannot_help_is_refused_and_nobody_is_requeued(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        graph.errors["919876500001"] = graph_error(131050, "User stopped marketing")
        graph.errors["919876500002"] = graph_error(131026, "Message undeliverable")
        graph.errors["919876500003"] = graph_error(132012, "Parameter format does not match")
        campaign_id = start(client, admin, campaign_body(segment(client, admin, city=["Pune"])))
        drain(runtime.queue)
        results = client.get(f"/api/v1/campaigns/{campaign_id}/results", headers=admin).json()
        assert set(results["failed_by_reason"]) == {
            "Opted out of marketing",
            "Not reachable on WhatsApp",
            "Parameter format does not match",
        }
        assert results["retryable_reasons"] == []

        refused = client.post(
            f"/api/v1/campaigns/{campaign_id}/retry-failed",
            json={"reasons": ["Rate limited", "Not reachable on WhatsApp"]},
            headers=admin,
        )
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"] == "BadRequest"
        assert "cannot help" in refused.json()["detail"]
        assert "Not reachable on WhatsApp" in refused.json()["detail"]
        # With no reason named, only retryable failures go again: here none.
        every = client.post(
            f"/api/v1/campaigns/{campaign_id}/retry-failed", json={"reasons": []}, headers=admin
        )
        assert every.json() == {"requeued": 0}
        drain(runtime.queue)
        assert len(graph.sent) == 1  # Dr. Farah Khan's, once
        assert {
            row.state
            for doctor_id, row in recipients(runtime, campaign_id).items()
            if doctor_id != doctors["919876500005"]
        } == {RecipientState.failed}
        read = client.get(f"/api/v1/campaigns/{campaign_id}", headers=admin).json()
        assert (read["status"], read["counts"]["failed"]) == ("completed", 3)


class TestBadInput:
    def test_a_campaign_that_cannot_start_says_why_and_sends_nothing(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        body = campaign_body(segment(client, admin))
        body["variants"][0]["template_name"] = "no_such_template"
        created = client.post("/api/v1/campaigns", json=body, headers=admin)
        started = client.post(f"/api/v1/campaigns/{created.json()['id']}/start", headers=admin)
        assert started.status_code == 409
        assert "no_such_template" in started.json()["detail"]
        drain(runtime.queue)
        assert graph.sent == []

    @pytest.mark.parametrize(
        ("change", "status", "words"),
        [
            ({"variants": []}, 422, ""),
            (
                {
                    "variants": [
                        {"key": "A", "share": 60, "template_name": "cme_invite", "language": "en"},
                        {"key": "B", "share": 60, "template_name": "cme_invite", "language": "en"},
                    ]
                },
                400,
                "add up to 100",
            ),
            ({"variants": [{"key": "A", "text": "Hello"}]}, 400, "template"),
            ({"segment_id": 999}, 400, "segment"),
            ({"quiet_start_minute": 1260}, 400, "both a start and an end"),
            ({"scheduled_at": "2020-01-01T00:00:00Z"}, 400, "passed"),
            (
                {
                    "variants": [
                        {
                            "key": "A",
                            "template_name": "cme_invite",
                            "language": "en",
                            "parameters": {"body": {"1": {"field": "name", "value": "x"}}},
                        }
                    ]
                },
                422,
                "",
            ),
        ],
    )
    def test_bad_campaigns_are_refused_clearly(
        self,
        client: TestClient,
        admin: dict[str, str],
        doctors: dict[str, int],
        change: dict[str, Any],
        status: int,
        words: str,
    ) -> None:
        body = {**campaign_body(segment(client, admin)), **change}
        response = client.post("/api/v1/campaigns", json=body, headers=admin)
        assert response.status_code == status, response.text
        assert words in response.text

    def test_a_running_campaign_cannot_be_edited_or_deleted(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        campaign_id = start(client, admin, campaign_body(segment(client, admin)))
        assert (
            client.patch(
                f"/api/v1/campaigns/{campaign_id}", json={"name": "x"}, headers=admin
            ).status_code
            == 409
        )
        assert client.delete(f"/api/v1/campaigns/{campaign_id}", headers=admin).status_code == 409

    def test_agents_and_viewers_follow_campaigns_but_cannot_send_them(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], doctors: dict[str, int]
    ) -> None:
        from surgiai.auth.roles import Role

        body = campaign_body(segment(client, admin))
        for role in (Role.agent, Role.viewer):
            create_user(runtime, email=f"{role.value}@example.com", role=role)
            headers = login(client, f"{role.value}@example.com")
            assert client.post("/api/v1/campaigns", json=body, headers=headers).status_code == 403
            assert client.get("/api/v1/campaigns", headers=headers).status_code == 200
        client.cookies.clear()
        assert client.get("/api/v1/campaigns").status_code == 401


class TestSchedule:
    def run_tick(self, runtime: Runtime) -> None:
        from surgiai.campaigns.tasks import tick
        from surgiai.runtime import TaskContext

        with session_scope(runtime.session_factory) as session:
            tick(TaskContext(session, runtime))

    def test_a_scheduled_campaign_freezes_and_sends_when_its_time_comes(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        later = (utcnow() + timedelta(hours=2)).isoformat()
        campaign_id = start(
            client,
            admin,
            campaign_body(segment(client, admin, city=["Nagpur"]), scheduled_at=later),
        )
        assert (
            client.get(f"/api/v1/campaigns/{campaign_id}", headers=admin).json()["status"]
            == "scheduled"
        )
        self.run_tick(runtime)
        drain(runtime.queue)
        assert graph.sent == [] and recipients(runtime, campaign_id) == {}

        from surgiai.campaigns.models import Campaign

        with session_scope(runtime.session_factory) as session:
            session.execute(update(Campaign).values(scheduled_at=utcnow() - timedelta(seconds=1)))
        self.run_tick(runtime)
        drain(runtime.queue)
        assert [s["to"] for s in graph.sent] == ["919876500004"]
        assert (
            client.get(f"/api/v1/campaigns/{campaign_id}", headers=admin).json()["status"]
            == "completed"
        )

    def test_nothing_is_sent_in_quiet_hours(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        # Quiet hours that hold now, whatever the time: from a minute ago until a minute before.
        from zoneinfo import ZoneInfo

        local = utcnow().astimezone(ZoneInfo("UTC"))
        minute = local.hour * 60 + local.minute
        body = campaign_body(
            segment(client, admin, city=["Nagpur"]),
            quiet_start_minute=(minute - 1) % 1440,
            quiet_end_minute=(minute - 2) % 1440,
        )
        campaign_id = start(client, admin, body)
        drain(runtime.queue)
        assert graph.sent == []
        [row] = recipients(runtime, campaign_id).values()
        assert row.state is RecipientState.pending
        plan = client.get(f"/api/v1/campaigns/{campaign_id}/plan", headers=admin).json()
        assert plan["quiet_hours_pause"] is True


class TestMediaHeader:
    @pytest.mark.parametrize(
        ("header", "stored", "mime_type", "filename", "sent"),
        [
            (
                "IMAGE",
                b"\x89PNG\r\n\x1a\n" + b"0" * 64,
                "image/png",
                "stapler.png",
                {"type": "image", "image": {"id": "media-4471"}},
            ),
            (
                # A document goes with its name: doctors see "Stapler brochure.pdf", not a
                # nameless file.
                "DOCUMENT",
                b"%PDF-1.4\n" + b"0" * 64,
                "application/pdf",
                "Stapler brochure.pdf",
                {
                    "type": "document",
                    "document": {"id": "media-4471", "filename": "Stapler brochure.pdf"},
                },
            ),
        ],
        ids=["image", "document"],
    )
    def test_the_header_file_is_uploaded_once_per_number_and_sent_by_its_id(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        header: str,
        stored: bytes,
        mime_type: str,
        filename: str,
        sent: dict[str, Any],
    ) -> None:

        body = _stapler_campaign(
            client, runtime, admin, header, stored, mime_type=mime_type, filename=filename
        )
        with respx.mock(assert_all_called=False) as router:
            uploads = router.post(f"{GRAPH}/{PHONE_NUMBER_ID}/media").mock(
                return_value=Response(200, json={"id": "media-4471"})
            )
            graph = Graph(router)
            start(client, admin, body)
            drain(runtime.queue)

        assert uploads.call_count == 1
        assert len(graph.sent) == 4
        assert graph.to("919876500002")[0]["template"]["components"] == [
            {"type": "header", "parameters": [sent]},
            {"type": "body", "parameters": [{"type": "text", "text": "Rajesh"}]},
        ]

    def test_a_header_upload_that_fails_leaves_no_row_claimed_and_is_tried_again(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
    ) -> None:
        """WhatsApp not reached for the upload: nothing was sent, so the rows wait WhatsApp's
        delay as a send's would (before, the task failed and they sat claimed for minutes)."""
        from surgiai.campaigns.models import CampaignRecipient, RecipientState
        from surgiai.campaigns.tasks import tick
        from surgiai.runtime import TaskContext

        body = _stapler_campaign(
            client,
            runtime,
            admin,
            "IMAGE",
            b"\x89PNG\r\n\x1a\n" + b"0" * 64,
            mime_type="image/png",
            filename="stapler.png",
        )
        with respx.mock(assert_all_called=False) as router:
            uploads = router.post(f"{GRAPH}/{PHONE_NUMBER_ID}/media").mock(
                side_effect=[
                    ConnectError("connection refused"),
                    Response(200, json={"id": "media-4471"}),
                ]
            )
            graph = Graph(router)
            campaign_id = start(client, admin, body)
            drain(runtime.queue)
            with session_scope(runtime.session_factory) as session:
                states = session.scalars(
                    select(CampaignRecipient.state).where(
                        CampaignRecipient.campaign_id == campaign_id
                    )
                ).all()
                assert (graph.sent, sorted(set(states))) == ([], [RecipientState.pending])
                # WhatsApp's delay over.
                session.execute(
                    update(CampaignRecipient)
                    .where(CampaignRecipient.campaign_id == campaign_id)
                    .values(not_before=utcnow() - timedelta(seconds=1))
                )
            with session_scope(runtime.session_factory) as session:
                tick(TaskContext(session, runtime))
            drain(runtime.queue)

        assert uploads.call_count == 2
        sent_to = [s["to"] for s in graph.sent]
        assert len(sent_to) == len(set(sent_to)) == 4


def _stapler_campaign(
    client: TestClient,
    runtime: Runtime,
    admin: dict[str, str],
    header: str,
    stored: bytes,
    *,
    mime_type: str,
    filename: str,
) -> dict[str, Any]:
    """A campaign to the Pune segment of `new_stapler`, whose header is this stored file."""
    from surgiai.media.service import media_service

    with session_scope(runtime.session_factory) as session:
        session.add(
            MessageTemplate(
                waba_id=WABA_ID,
                name="new_stapler",
                language="en_US",
                status="APPROVED",
                category="MARKETING",
                components=[
                    {"type": "HEADER", "format": header},
                    {"type": "BODY", "text": "Dear {{1}}, meet our new 60 mm stapler."},
                ],
                synced_at=utcnow(),
            )
        )
        media = media_service.store(
            session,
            runtime.settings.data_dir / "media",
            stored,
            mime_type=mime_type,
            filename=filename,
        )
        media_file_id = media.id
    body = campaign_body(segment(client, admin, city=["Pune"]), header_media_file_id=media_file_id)
    body["variants"] = [
        {
            "key": "A",
            "template_name": "new_stapler",
            "language": "en_US",
            "parameters": {"body": {"1": {"field": "first_name"}}},
        }
    ]
    return body


class TestFreeText:
    def test_free_text_reaches_only_doctors_inside_their_window(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        from surgiai.conversations.models import Conversation

        with session_scope(runtime.session_factory) as session:
            for wa_id, hours_ago in (("919876500001", 2), ("919876500002", 30)):
                wrote = utcnow() - timedelta(hours=hours_ago)
                session.execute(
                    update(Doctor).where(Doctor.wa_id == wa_id).values(last_inbound_at=wrote)
                )
                session.add(
                    Conversation(
                        doctor_id=doctors[wa_id], number_id=numbers[0], last_inbound_at=wrote
                    )
                )
        body = {
            "name": "Stock update",
            "kind": "text",
            "segment_id": segment(client, admin, city=["Pune"]),
            "variants": [
                {"key": "A", "text": "Namaste {first_name}, *60 mm reloads* are back in stock."}
            ],
        }
        campaign_id = start(client, admin, body)
        drain(runtime.queue)

        assert [(s["to"], s["text"]["body"]) for s in graph.sent] == [
            ("919876500001", "Namaste Asha, *60 mm reloads* are back in stock.")
        ]
        results = client.get(f"/api/v1/campaigns/{campaign_id}/results", headers=admin).json()
        assert results["skipped_by_reason"] == {"Outside the 24 h window (free text needs one)": 3}


class TestQualityDrop:
    def test_a_number_turning_red_mid_campaign_hands_its_remainder_over(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        numbers: list[int],
        doctors: dict[str, int],
        graph: Graph,
    ) -> None:
        second = create_number(
            runtime,
            phone_number_id=SECOND_PNID,
            label="Sales Mumbai",
            display_phone_number="15550783882",
        )
        with session_scope(runtime.session_factory) as session:
            session.execute(update(Doctor).values(sticky_number_id=numbers[0]))
        campaign_id = start(client, admin, campaign_body(segment(client, admin)))
        # Meta downgrades the first number before its first chunk.
        quality = webhook_body(
            {
                "display_phone_number": "15550783881",
                "event": "DOWNGRADE",
                "current_limit": "TIER_1K",
            },
            field="phone_number_quality_update",
        )
        runtime.queue.huey.flush()
        assert (
            client.post("/webhooks/whatsapp", content=quality, headers=sign(quality)).status_code
            == 200
        )
        drain(runtime.queue)
        # The next chunk on the first number (woken here by the periodic tick) finds it RED.
        TestSchedule().run_tick(runtime)
        drain(runtime.queue)

        assert {s["pnid"] for s in graph.sent} == {SECOND_PNID}
        assert sorted(s["to"] for s in graph.sent) == sorted(doctors)
        rows = recipients(runtime, campaign_id)
        assert {row.number_id for row in rows.values()} == {second}
        assert {row.state for row in rows.values()} == {RecipientState.sent}
