"""The one send path: rules before any HTTP call, exact Cloud API JSON, retries, error
reactions and crash re-drive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from surgiai.auth.roles import Role
from surgiai.channels import registry
from surgiai.conversations.models import Message, MessageState
from surgiai.conversations.repository import MessageRepository, SeenStatus
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.kit.time import utcnow
from surgiai.numbers.models import WhatsAppNumber
from surgiai.runtime import Runtime, TaskContext
from surgiai.worker.sweeper import sweep
from tests.conftest import drain
from tests.fixtures import (
    ACCESS_TOKEN,
    GRAPH,
    PHONE_NUMBER_ID,
    create_number,
    create_user,
    gone_claimant,
    graph_accepted,
    graph_error,
    login,
    run_scheduled,
    sign,
    status_value,
    text_message_value,
    webhook_body,
)

DOCTOR = "919876543210"
SEND_URL = f"{GRAPH}/{PHONE_NUMBER_ID}/messages"


@pytest.fixture
def admin(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime)
    return login(client, "owner@example.com")


@pytest.fixture
def number_id(runtime: Runtime) -> int:
    return create_number(runtime)


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def doctor_writes(
    client: TestClient, runtime: Runtime, text: str = "Hello", wamid: str = "wamid.in1"
) -> None:
    body = webhook_body(text_message_value(wamid, text, wa_id=DOCTOR))
    assert client.post("/webhooks/whatsapp", content=body, headers=sign(body)).status_code == 200
    drain(runtime.queue)


def deliver_status(
    client: TestClient,
    runtime: Runtime,
    wamid: str,
    status: str,
    *,
    errors: list[dict[str, object]] | None = None,
    callback: str | None = None,
) -> None:
    value = status_value(wamid, status, wa_id=DOCTOR, errors=errors, callback=callback)
    body = webhook_body(value)
    assert client.post("/webhooks/whatsapp", content=body, headers=sign(body)).status_code == 200
    drain(runtime.queue)


def send_text(
    client: TestClient, headers: dict[str, str], body: str = "Here is the price list"
) -> dict[str, object]:
    response = client.post(
        "/api/v1/messages",
        json={"to": "+91 98765 43210", "type": "text", "text": {"body": body}},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    result: dict[str, object] = response.json()
    return result


def get_message(
    client: TestClient, headers: dict[str, str], message_id: object
) -> dict[str, object]:
    result: dict[str, object] = client.get(f"/api/v1/messages/{message_id}", headers=headers).json()
    return result


class TestHappyPath:
    def test_text_reply_goes_out_as_exact_cloud_api_json_and_follows_its_statuses(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        route = graph.post(SEND_URL).mock(
            return_value=httpx.Response(200, json=graph_accepted("wamid.out1"))
        )
        doctor_writes(client, runtime)
        queued = send_text(client, admin)
        assert queued["status"] == "queued" and queued["wa_id"] == DOCTOR
        assert not route.called  # nothing leaves before the transaction commits and a worker runs
        drain(runtime.queue)
        request = route.calls.last.request
        assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
        assert json.loads(request.content) == {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": DOCTOR,
            "type": "text",
            "text": {"body": "Here is the price list"},
            "biz_opaque_callback_data": f"surgiai:{queued['id']}",
        }
        message = get_message(client, admin, queued["id"])
        assert (message["status"], message["wamid"]) == ("accepted", "wamid.out1")
        for status in ("sent", "read"):
            deliver_status(client, runtime, "wamid.out1", status)
        deliver_status(client, runtime, "wamid.out1", "delivered")  # late, out of order
        deliver_status(client, runtime, "wamid.out1", "read")  # duplicate
        message = get_message(client, admin, queued["id"])
        assert message["status"] == "read"
        assert message["sent_at"] and message["read_at"]
        assert route.call_count == 1

    def test_a_status_read_before_another_worker_moved_the_message_never_moves_it_back(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        graph.post(SEND_URL).mock(return_value=httpx.Response(200, json=graph_accepted("wamid.o")))
        doctor_writes(client, runtime)
        queued = send_text(client, admin)
        drain(runtime.queue)
        deliver_status(client, runtime, "wamid.o", "read")
        # The `delivered` worker read the message while it was still `accepted`, just before
        # the `read` worker committed: its write must not land on what it did not see.
        real = MessageRepository.status_by_wamid
        reads: list[object] = []

        def stale_first(self: MessageRepository, wamid: str) -> SeenStatus | None:
            seen = real(self, wamid)
            reads.append(seen)
            if len(reads) == 1 and seen is not None:
                return seen._replace(status=MessageState.accepted)
            return seen

        monkeypatch.setattr(MessageRepository, "status_by_wamid", stale_first)
        deliver_status(client, runtime, "wamid.o", "delivered")
        message = get_message(client, admin, queued["id"])
        assert (message["status"], message["delivered_at"]) == ("read", None)
        assert len(reads) == 2  # looked again after the compare-and-set missed

    def test_messages_are_listed_per_doctor_and_direction(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        graph.post(SEND_URL).mock(return_value=httpx.Response(200, json=graph_accepted("wamid.o")))
        doctor_writes(client, runtime, "Do you have 10 mm clips?")
        send_text(client, admin)
        drain(runtime.queue)
        everything = client.get(f"/api/v1/messages?wa_id={DOCTOR}", headers=admin).json()["items"]
        assert [(m["direction"], m["sender_kind"]) for m in everything] == [
            ("out", "admin"),
            ("in", "doctor"),
        ]
        inbound = client.get(f"/api/v1/messages?wa_id={DOCTOR}&direction=in", headers=admin).json()
        assert [m["text"] for m in inbound["items"]] == ["Do you have 10 mm clips?"]

    def test_a_stored_image_is_uploaded_once_and_sent_by_its_media_id(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        uploads = graph.post(f"{GRAPH}/{PHONE_NUMBER_ID}/media").mock(
            return_value=httpx.Response(200, json={"id": "media-5120"})
        )
        sends = graph.post(SEND_URL).mock(
            side_effect=[
                httpx.Response(200, json=graph_accepted("wamid.img1")),
                httpx.Response(200, json=graph_accepted("wamid.img2")),
            ]
        )
        doctor_writes(client, runtime)
        png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
        stored = client.post(
            "/api/v1/media", files={"file": ("stapler.png", png, "image/png")}, headers=admin
        ).json()
        for caption in ("The 60 mm stapler", "Its price list"):
            response = client.post(
                "/api/v1/messages",
                json={
                    "to": DOCTOR,
                    "type": "image",
                    "image": {"media_file_id": stored["id"], "caption": caption},
                },
                headers=admin,
            )
            assert response.status_code == 202, response.text
            drain(runtime.queue)
        assert uploads.call_count == 1
        assert [json.loads(call.request.content)["image"] for call in sends.calls] == [
            {"id": "media-5120", "caption": "The 60 mm stapler"},
            {"id": "media-5120", "caption": "Its price list"},
        ]


class TestRulesBeforeSending:
    def test_free_form_outside_the_window_is_refused_before_any_http_call(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        route = graph.post(SEND_URL)
        response = client.post(
            "/api/v1/messages",
            json={"to": DOCTOR, "type": "text", "text": {"body": "hi"}},
            headers=admin,
        )
        assert response.status_code == 409
        assert response.json()["error"] == "TemplateRequired"
        assert "template" in response.json()["detail"]
        assert not route.called

    def test_window_closes_after_24_hours(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        old = int((utcnow() - timedelta(hours=24, minutes=1)).timestamp())
        body = webhook_body(text_message_value("wamid.old", "hello", wa_id=DOCTOR, timestamp=old))
        client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        drain(runtime.queue)
        response = client.post(
            "/api/v1/messages",
            json={"to": DOCTOR, "type": "text", "text": {"body": "hi"}},
            headers=admin,
        )
        assert response.status_code == 409

    def test_what_the_numbers_channel_cannot_do_is_refused_or_skipped(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """A channel without templates and without a 24 h window (as WhatsApp Web will be):
        templates are refused before anything is stored, free-form text goes at any time."""
        cloud = registry.provider("cloud")
        limited = replace(
            cloud,
            capabilities=cloud.capabilities.model_copy(
                update={
                    "outbound_types": cloud.capabilities.outbound_types - {"template"},
                    "service_window": False,
                }
            ),
        )
        monkeypatch.setitem(registry.PROVIDERS, "cloud", limited)
        route = graph.post(SEND_URL).mock(
            return_value=httpx.Response(200, json=graph_accepted("wamid.free"))
        )
        template = {"name": "course_reminder", "language": {"code": "en"}}
        refused = client.post(
            "/api/v1/messages",
            json={"to": DOCTOR, "type": "template", "template": template},
            headers=admin,
        )
        assert refused.status_code == 400
        assert "cannot send template messages" in refused.json()["detail"]
        # Never written to on this number: no window to wait for on such a channel.
        sent = client.post(
            "/api/v1/messages",
            json={"to": DOCTOR, "type": "text", "text": {"body": "Namaste doctor"}},
            headers=admin,
        )
        assert sent.status_code == 202, sent.text
        drain(runtime.queue)
        assert json.loads(route.calls.last.request.content)["text"]["body"] == "Namaste doctor"

    def test_templates_are_allowed_outside_the_window(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        route = graph.post(SEND_URL).mock(
            return_value=httpx.Response(200, json=graph_accepted("wamid.t"))
        )
        template = {
            "name": "course_reminder",
            "language": {"code": "en"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Dr. Rao"}]}],
        }
        response = client.post(
            "/api/v1/messages",
            json={"to": DOCTOR, "type": "template", "template": template},
            headers=admin,
        )
        assert response.status_code == 202
        drain(runtime.queue)
        sent = json.loads(route.calls.last.request.content)
        assert sent["type"] == "template" and sent["template"] == template

    def test_over_long_text_is_refused_with_the_limit(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], number_id: int
    ) -> None:
        doctor_writes(client, runtime)
        response = client.post(
            "/api/v1/messages",
            json={"to": DOCTOR, "type": "text", "text": {"body": "x" * 4097}},
            headers=admin,
        )
        assert response.status_code == 400
        assert "4096" in response.json()["detail"]

    def test_type_object_must_match_the_type(
        self, client: TestClient, admin: dict[str, str], number_id: int
    ) -> None:
        response = client.post(
            "/api/v1/messages",
            json={"to": DOCTOR, "type": "text", "image": {"id": "1"}},
            headers=admin,
        )
        assert response.status_code == 422

    def test_viewer_cannot_send(self, client: TestClient, runtime: Runtime, number_id: int) -> None:
        create_user(runtime, email="viewer@example.com", role=Role.viewer)
        headers = login(client, "viewer@example.com")
        response = client.post(
            "/api/v1/messages",
            json={"to": DOCTOR, "type": "text", "text": {"body": "hi"}},
            headers=headers,
        )
        assert response.status_code == 403

    def test_no_number_means_a_clear_503(self, client: TestClient, admin: dict[str, str]) -> None:
        response = client.post(
            "/api/v1/messages",
            json={
                "to": DOCTOR,
                "type": "template",
                "template": {"name": "x", "language": {"code": "en"}},
            },
            headers=admin,
        )
        assert response.status_code == 503
        assert "No WhatsApp number" in response.json()["detail"]


class TestErrors:
    def test_transient_error_is_retried_and_sent_once(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        route = graph.post(SEND_URL).mock(
            side_effect=[
                httpx.Response(500, json=graph_error(131000, "Something went wrong")),
                httpx.Response(200, json=graph_accepted("wamid.retry")),
            ]
        )
        doctor_writes(client, runtime)
        queued = send_text(client, admin)
        drain(runtime.queue)
        pending = get_message(client, admin, queued["id"])
        assert pending["status"] == "queued" and pending["error_code"] == 131000
        assert pending["next_attempt_at"] is not None
        assert run_scheduled(runtime) == 1
        done = get_message(client, admin, queued["id"])
        assert (done["status"], done["wamid"], done["attempts"]) == ("accepted", "wamid.retry", 2)
        assert route.call_count == 2

    def test_131048_fails_the_message_and_pauses_the_number(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        graph.post(SEND_URL).mock(
            return_value=httpx.Response(400, json=graph_error(131048, "Spam rate limit hit"))
        )
        doctor_writes(client, runtime)
        queued = send_text(client, admin)
        drain(runtime.queue)
        failed = get_message(client, admin, queued["id"])
        assert (failed["status"], failed["error_code"]) == ("failed", 131048)
        assert failed["error_reason"]
        number = client.get(f"/api/v1/numbers/{number_id}", headers=admin).json()
        assert number["health"]["paused"] is True
        assert "131048" in number["health"]["paused_reason"]
        assert number["health"]["can_send"] is False
        refused = client.post(
            "/api/v1/messages",
            json={"to": DOCTOR, "type": "text", "text": {"body": "again"}, "number_id": number_id},
            headers=admin,
        )
        assert refused.status_code == 409

    def test_131047_status_fails_the_message_saying_a_template_is_needed(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        graph.post(SEND_URL).mock(
            return_value=httpx.Response(200, json=graph_accepted("wamid.late"))
        )
        doctor_writes(client, runtime)
        queued = send_text(client, admin)
        drain(runtime.queue)
        errors = [
            {
                "code": 131047,
                "title": "Re-engagement message",
                "message": "Re-engagement message",
                "error_data": {
                    "details": "Message failed to send because more than 24 hours have passed"
                },
            }
        ]
        deliver_status(client, runtime, "wamid.late", "failed", errors=errors)
        deliver_status(client, runtime, "wamid.late", "read")  # failed is terminal
        message = get_message(client, admin, queued["id"])
        assert (message["status"], message["error_code"]) == ("failed", 131047)
        assert "template" in str(message["error_reason"]).lower()

    def test_131026_marks_the_doctor_unreachable(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        graph.post(SEND_URL).mock(return_value=httpx.Response(200, json=graph_accepted("wamid.u")))
        doctor_writes(client, runtime)
        send_text(client, admin)
        drain(runtime.queue)
        errors = [{"code": 131026, "title": "Message undeliverable"}]
        deliver_status(client, runtime, "wamid.u", "failed", errors=errors)
        with session_scope(runtime.session_factory) as session:
            doctor = session.scalar(select(Doctor).where(Doctor.wa_id == DOCTOR))
            assert doctor is not None and doctor.unreachable_reason
        response = client.post(
            "/api/v1/messages",
            json={
                "to": DOCTOR,
                "type": "template",
                "template": {"name": "x", "language": {"code": "en"}},
            },
            headers=admin,
        )
        assert response.status_code == 409


class TestCrashRedrive:
    def test_a_send_killed_before_calling_whatsapp_is_redriven_and_sent_once(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        route = graph.post(SEND_URL).mock(
            return_value=httpx.Response(200, json=graph_accepted("wamid.r"))
        )
        doctor_writes(client, runtime)
        queued = send_text(client, admin)
        runtime.queue.huey.flush()  # the worker died holding the task
        with session_scope(runtime.session_factory) as session:
            session.execute(
                update(Message)
                .where(Message.id == queued["id"])
                .values(status="sending", claimed_at=utcnow() - timedelta(minutes=5), attempts=1)
            )
        with session_scope(runtime.session_factory) as session:
            assert sweep(TaskContext(session, runtime))["conversations.outbound"] == 1
        drain(runtime.queue)
        assert route.call_count == 1
        assert get_message(client, admin, queued["id"])["wamid"] == "wamid.r"
        with session_scope(runtime.session_factory) as session:
            assert sweep(TaskContext(session, runtime))["conversations.outbound"] == 0

    def test_a_send_held_by_a_process_that_is_gone_is_sent_at_once(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        """Claimed a moment ago by a process that no longer exists: no 2-minute wait."""
        route = graph.post(SEND_URL).mock(
            return_value=httpx.Response(200, json=graph_accepted("wamid.g"))
        )
        doctor_writes(client, runtime)
        queued = send_text(client, admin)
        runtime.queue.huey.flush()
        with session_scope(runtime.session_factory) as session:
            session.execute(
                update(Message)
                .where(Message.id == queued["id"])
                .values(
                    status="sending", claimed_at=utcnow(), claimed_by=gone_claimant(), attempts=1
                )
            )
        with session_scope(runtime.session_factory) as session:
            assert sweep(TaskContext(session, runtime))["conversations.outbound"] == 1
        drain(runtime.queue)
        assert route.call_count == 1
        assert get_message(client, admin, queued["id"])["wamid"] == "wamid.g"

    def test_a_send_killed_after_whatsapp_accepted_it_is_never_sent_twice(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        route = graph.post(SEND_URL).mock(
            return_value=httpx.Response(200, json=graph_accepted("wamid.k"))
        )
        doctor_writes(client, runtime)
        queued = send_text(client, admin)
        # WhatsApp accepted the message, then the worker died before recording the wamid.
        with session_scope(runtime.session_factory) as session:
            session.execute(
                update(Message)
                .where(Message.id == queued["id"])
                .values(status="sending", claimed_at=utcnow() - timedelta(minutes=5), attempts=1)
            )
        runtime.queue.huey.flush()
        # Its status webhook carries our id back.
        deliver_status(client, runtime, "wamid.k", "sent", callback=f"surgiai:{queued['id']}")
        with session_scope(runtime.session_factory) as session:
            assert sweep(TaskContext(session, runtime))["conversations.outbound"] == 0
        drain(runtime.queue)
        assert route.call_count == 0
        message = get_message(client, admin, queued["id"])
        assert (message["wamid"], message["status"]) == ("wamid.k", "sent")

    def test_a_lost_queued_task_is_sent_by_the_sweeper(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        route = graph.post(SEND_URL).mock(
            return_value=httpx.Response(200, json=graph_accepted("wamid.l"))
        )
        doctor_writes(client, runtime)
        queued = send_text(client, admin)
        runtime.queue.huey.flush()
        with session_scope(runtime.session_factory) as session:
            session.execute(
                update(Message)
                .where(Message.id == queued["id"])
                .values(created_at=utcnow() - timedelta(minutes=3))
            )
            sweep(TaskContext(session, runtime))
        drain(runtime.queue)
        drain(runtime.queue)
        assert route.call_count == 1


def test_number_model_is_used(runtime: Runtime, number_id: int) -> None:
    with session_scope(runtime.session_factory) as session:
        number = session.get(WhatsAppNumber, number_id)
        assert number is not None and number.access_token_encrypted != ACCESS_TOKEN
