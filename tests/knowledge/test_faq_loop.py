"""The Admin-Approved FAQ loop end to end, through signed webhooks and the Master Agent: a
question nothing approved answers is handed to the team with a suggestion; an admin approves it
(with edits, answering the doctor); the same question in other words, from another doctor, is
then answered automatically, citing the FAQ. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy import select

from surgiai.auth.roles import Role
from surgiai.config import Settings
from surgiai.conversations.models import Conversation, ConversationMode, Message, SenderKind
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.runtime import Runtime
from tests.agents.test_master import doctor_writes, replies
from tests.agents.test_master import graph as graph_fixture
from tests.conftest import make_settings
from tests.fixtures import create_number, create_user, login
from tests.knowledge.conftest import upload_and_process
from tests.knowledge.pdfs import catalogue_pdf

graph = graph_fixture
FIRST = "919876543210"
SECOND = "919812345678"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url, agents_enabled=True)


@pytest.fixture
def number_id(runtime: Runtime) -> int:
    return create_number(runtime)


@pytest.fixture
def admin(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime, email="meera@example.com", role=Role.admin)
    return login(client, "meera@example.com")


@pytest.fixture
def agent_user(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime, email="ravi@example.com", role=Role.agent)
    return login(client, "ravi@example.com")


@pytest.fixture(autouse=True)
def _graph(graph: respx.MockRouter, number_id: int) -> Iterator[None]:
    yield


def mode_of(runtime: Runtime, wa_id: str) -> ConversationMode:
    with session_scope(runtime.session_factory) as session:
        return session.scalars(
            select(Conversation.mode)
            .join(Doctor, Doctor.id == Conversation.doctor_id)
            .where(Doctor.wa_id == wa_id)
        ).one()


def test_an_unanswered_question_is_suggested_approved_and_then_answered_in_other_words(
    client: TestClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    doctor_writes(client, runtime, "Do you give GST invoice with the order?", "wamid.q1")

    # Nothing approved answers it: the doctor is promised a colleague, the team gets it.
    [(agent, text, _)] = replies(runtime, FIRST)
    assert agent == "human_handoff"
    assert "colleague" in (text or "")
    assert mode_of(runtime, FIRST) is ConversationMode.human
    suggested = client.get("/api/v1/faqs?status=suggested", headers=admin).json()
    [entry] = suggested["items"]
    assert entry["question"] == "Do you give GST invoice with the order?"
    assert entry["asked_count"] == 1
    assert suggested["counts"]["suggested"] == 1

    # The admin rewrites the question, writes the answer and sends it to the doctor.
    approved = client.post(
        f"/api/v1/faqs/{entry['id']}/approve",
        json={
            "question": "Do you provide a GST invoice?",
            "answer": "Yes. Every order comes with a GST invoice in your clinic's name.",
            "reply_to_asker": True,
        },
        headers=admin,
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["reply_problem"] is None
    assert body["entry"]["status"] == "approved"
    # The doctor's own wording is kept: it is how doctors ask.
    assert body["entry"]["phrasings"] == ["Do you give GST invoice with the order?"]
    with session_scope(runtime.session_factory) as session:
        reply = session.get(Message, body["reply_message_id"])
        assert reply is not None
        assert reply.sender_kind is SenderKind.admin
        assert reply.text is not None and reply.text.startswith("Yes. Every order comes")

    # Another doctor asks the same in other words: answered at once, citing the FAQ.
    doctor_writes(client, runtime, "will i get gst invoice for my order?", "wamid.q2", wa_id=SECOND)
    [(agent, text, _)] = replies(runtime, SECOND)
    assert agent == "smart_reply"
    assert "GST invoice in your clinic's name" in (text or "")
    assert mode_of(runtime, SECOND) is ConversationMode.ai


def test_the_same_question_twice_is_one_suggestion_asked_twice(
    client: TestClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    doctor_writes(client, runtime, "Do you deliver to Port Blair?", "wamid.a")
    doctor_writes(client, runtime, "do u deliver in port blair??", "wamid.b", wa_id=SECOND)
    [entry] = client.get("/api/v1/faqs?status=suggested", headers=admin).json()["items"]
    assert entry["asked_count"] == 2
    assert entry["phrasings"] == ["do u deliver in port blair??"]


def test_a_clinical_question_goes_to_a_person_and_is_never_suggested(
    client: TestClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    doctor_writes(
        client, runtime, "What dose of tranexamic acid should I give my patient?", "wamid.c"
    )
    [(agent, text, _)] = replies(runtime, FIRST)
    assert agent == "human_handoff"
    assert "clinical" in (text or "").lower()
    assert mode_of(runtime, FIRST) is ConversationMode.human
    assert client.get("/api/v1/faqs", headers=admin).json()["items"] == []


class TestFaqApi:
    def test_only_owners_and_admins_decide_but_the_team_reads(
        self, client: TestClient, admin: dict[str, str], agent_user: dict[str, str]
    ) -> None:
        new = {"question": "Do you accept UPI?", "answer": "Yes, UPI and bank transfer."}
        assert client.post("/api/v1/faqs", json=new, headers=agent_user).status_code == 403
        created = client.post("/api/v1/faqs", json=new, headers=admin)
        assert created.status_code == 201, created.text
        entry = created.json()
        assert entry["status"] == "approved"
        assert entry["citation"] == "Answered by meera"
        listed = client.get("/api/v1/faqs", headers=agent_user)
        assert [item["id"] for item in listed.json()["items"]] == [entry["id"]]
        path = f"/api/v1/faqs/{entry['id']}"
        assert client.delete(path, headers=agent_user).status_code == 403
        assert client.delete(path, headers=admin).status_code == 204
        assert client.get(path, headers=admin).status_code == 404

    def test_bad_input_is_refused_clearly(self, client: TestClient, admin: dict[str, str]) -> None:
        assert client.post("/api/v1/faqs", json={"question": "x"}, headers=admin).status_code == 422
        too_long = {"question": "q" * 501, "answer": "a"}
        assert client.post("/api/v1/faqs", json=too_long, headers=admin).status_code == 422
        assert client.get(f"/api/v1/faqs/{2**64}", headers=admin).status_code == 422
        assert client.get("/api/v1/faqs/99", headers=admin).status_code == 404
        created = client.post(
            "/api/v1/faqs", json={"question": "COD?", "answer": "Yes."}, headers=admin
        ).json()
        path = f"/api/v1/faqs/{created['id']}"
        assert client.patch(path, json={"answer": None}, headers=admin).status_code == 422
        assert client.post(f"{path}/approve", json={}, headers=admin).status_code == 409

    def test_a_suggestion_without_a_draft_cannot_be_approved_without_an_answer(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        doctor_writes(client, runtime, "Do you deliver to Port Blair?", "wamid.pb")
        [entry] = client.get("/api/v1/faqs?status=suggested", headers=admin).json()["items"]
        refused = client.post(f"/api/v1/faqs/{entry['id']}/approve", json={}, headers=admin)
        assert refused.status_code == 422
        assert "Write the answer" in refused.json()["detail"]
        rejected = client.post(f"/api/v1/faqs/{entry['id']}/reject", headers=admin)
        assert rejected.json()["status"] == "rejected"


def test_a_doctor_is_answered_from_an_uploaded_catalogue_citing_its_page(
    client: TestClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    document = upload_and_process(client, runtime, admin, catalogue_pdf())
    assert document["state"] == "ready", document

    doctor_writes(client, runtime, "TR-1000 ka rate kya hai?", "wamid.p1")
    [(agent, text, _)] = replies(runtime, FIRST)
    assert agent == "smart_reply"
    assert text is not None and "₹2,890" in text
    assert "_Source: Catalogue 2026, p. 2_" in text

    # Policy text only a document holds: held for approval under the default answer policy,
    # and suggested as an FAQ with its citation.
    doctor_writes(client, runtime, "What is your return policy?", "wamid.p2", wa_id=SECOND)
    assert replies(runtime, SECOND) == []
    drafts = client.get("/api/v1/drafts?status=pending", headers=admin).json()["items"]
    assert [draft["agent"] for draft in drafts] == ["smart_reply"]
    [entry] = client.get("/api/v1/faqs?status=suggested", headers=admin).json()["items"]
    assert (entry["citation"] or "").startswith("Catalogue 2026, p. ")
