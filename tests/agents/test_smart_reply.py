"""The Smart Reply agent on its own (no database: a context built by hand), and its optional
language model against a local stand-in that speaks the OpenAI chat-completions protocol."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from surgiai.agents.base import AgentContext, DoctorView, HandOff, MessageView, Reply, SuggestFaq
from surgiai.agents.intents import classify
from surgiai.agents.llm import LanguageModel
from surgiai.agents.smart_reply.agent import (
    ANSWER_POLICY,
    DOCUMENT_REASON,
    KNOWLEDGE,
    ApprovedAnswersAgent,
    SmartReplyAgent,
)
from surgiai.knowledge.answers import Answerer
from surgiai.knowledge.index import Knowledge
from surgiai.knowledge.snapshot import FaqFact, KnowledgeSnapshot, Passage, ProductFact
from surgiai.workspace.models import AnswerPolicy

SNAPSHOT = KnowledgeSnapshot(
    revision=1,
    products=(
        ProductFact(
            1,
            "Disposable Trocar 5 mm",
            "SG-TR05",
            "Box of 6",
            Decimal("2450"),
            "INR",
            "Laparoscopy",
            True,
            "Catalogue 2026, p. 3",
        ),
    ),
    faqs=(
        FaqFact(
            1,
            "Do you accept UPI?",
            ("UPI se payment ho jayega?",),
            "Yes, we accept UPI and bank transfer.",
            "Answered by Meera",
        ),
    ),
    passages=(
        Passage(
            1,
            1,
            "Terms 2026",
            4,
            "text",
            "Warranty. Reusable instruments carry a warranty of 12 months against "
            "manufacturing defects from the date of invoice.",
        ),
    ),
)


def context_for(text: str, policy: AnswerPolicy = AnswerPolicy.approved_only) -> AgentContext:
    now = datetime.now(UTC)
    return AgentContext(
        conversation_id=1,
        number_id=1,
        mode="ai",
        assigned_user_id=None,
        doctor=DoctorView(1, "919876543210", None, "Asha Rao", False, (), 0),
        burst=(MessageView(1, "in", "text", text, "doctor", now),),
        history=(),
        window_open=True,
        classification=classify(text),
        extras={KNOWLEDGE: Knowledge(SNAPSHOT, Answerer(SNAPSHOT)), ANSWER_POLICY: policy},
    )


def body(action: object) -> str:
    assert isinstance(action, Reply)
    text = action.payload["body"]
    assert isinstance(text, str)
    return text


class TestAnswers:
    def test_a_price_question_gets_the_price_and_its_source(self) -> None:
        [reply] = SmartReplyAgent().handle(context_for("5mm trocar kitne ka hai?"))
        assert "₹2,450" in body(reply) and "Catalogue 2026, p. 3" in body(reply)
        assert isinstance(reply, Reply) and reply.needs_approval_because is None
        # Carried with the reply, for whoever approves a draft of it.
        assert reply.sources == ("Catalogue 2026, p. 3",)

    def test_an_approved_faq_answers_other_wordings(self) -> None:
        [reply] = SmartReplyAgent().handle(context_for("can I pay by UPI?"))
        assert "UPI and bank transfer" in body(reply)

    def test_an_answer_from_document_text_waits_for_approval_unless_the_policy_allows_it(
        self,
    ) -> None:
        question = "What is the warranty on reusable instruments?"
        reply, suggestion = SmartReplyAgent().handle(context_for(question))
        assert isinstance(reply, Reply) and reply.needs_approval_because == DOCUMENT_REASON
        assert "12 months" in body(reply)
        assert reply.sources == ("Terms 2026, p. 4",)
        assert isinstance(suggestion, SuggestFaq) and suggestion.citation == "Terms 2026, p. 4"

        reply, _ = SmartReplyAgent().handle(context_for(question, AnswerPolicy.allow_documents))
        assert isinstance(reply, Reply) and reply.needs_approval_because is None

    def test_a_clinical_question_is_handed_to_a_person_without_an_answer(self) -> None:
        [handoff] = SmartReplyAgent().handle(
            context_for("which mesh should I use for my patient with a recurrent hernia?")
        )
        assert isinstance(handoff, HandOff) and handoff.notice is not None
        assert "colleague" in handoff.notice and "Dr. Asha Rao" in handoff.notice

    def test_an_unknown_product_is_suggested_and_handed_off_never_guessed(self) -> None:
        suggestion, handoff = SmartReplyAgent().handle(
            context_for("Price of the bariatric stapler 60 mm?")
        )
        assert isinstance(suggestion, SuggestFaq) and suggestion.answer == ""
        assert isinstance(handoff, HandOff) and "2,450" not in (handoff.notice or "")

    def test_without_its_index_the_primary_fails_and_the_standby_still_answers(self) -> None:
        context = context_for("SG-TR05 price?")
        broken = AgentContext(
            **{**context.__dict__, "extras": {KNOWLEDGE: Knowledge(SNAPSHOT, None)}}
        )
        with pytest.raises(RuntimeError):
            SmartReplyAgent().handle(broken)
        [reply] = ApprovedAnswersAgent().handle(broken)
        assert "₹2,450" in body(reply)


class StandIn(BaseHTTPRequestHandler):
    """An OpenAI-compatible `/chat/completions` that answers with the server's `content`."""

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        request = json.loads(self.rfile.read(length))
        server: Any = self.server
        server.requests.append((self.path, dict(self.headers), request))
        if server.status != 200:
            self.send_response(server.status)
            self.end_headers()
            return
        answer = {"choices": [{"message": {"role": "assistant", "content": server.content}}]}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[Any]:
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    server.requests = []
    server.status = 200
    server.content = ""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def model_at(server: Any) -> LanguageModel:
    host, port = server.server_address
    return LanguageModel(base_url=f"http://{host}:{port}/v1", model="local", api_key="sk-test")


class TestLanguageModel:
    def test_its_wording_goes_out_when_it_keeps_to_the_sources(self, stand_in: Any) -> None:
        stand_in.content = (
            "Ji Doctor, *Disposable Trocar 5 mm* (SG-TR05) is ₹2,450 for a box of 6.\n"
            "_Source: Catalogue 2026, p. 3_"
        )
        [reply] = SmartReplyAgent(language_model=model_at(stand_in)).handle(
            context_for("5mm trocar kitne ka hai?")
        )
        assert body(reply) == stand_in.content
        [(path, headers, request)] = stand_in.requests
        assert path == "/v1/chat/completions"
        assert headers["Authorization"] == "Bearer sk-test"
        assert request["model"] == "local"
        assert "₹2,450" in request["messages"][-1]["content"]

    def test_an_invented_price_or_discount_is_discarded_for_the_template(
        self, stand_in: Any
    ) -> None:
        stand_in.content = "The 5 mm trocar is ₹2,450, and 10% off this week only: ₹2,205!"
        [reply] = SmartReplyAgent(language_model=model_at(stand_in)).handle(
            context_for("5mm trocar kitne ka hai?")
        )
        assert "10%" not in body(reply) and "2,205" not in body(reply)
        assert "₹2,450" in body(reply)

    def test_a_failing_model_costs_nothing_but_its_wording(self, stand_in: Any) -> None:
        stand_in.status = 500
        [reply] = SmartReplyAgent(language_model=model_at(stand_in)).handle(
            context_for("5mm trocar kitne ka hai?")
        )
        assert "₹2,450" in body(reply)

    def test_a_clinical_question_never_reaches_the_model(self, stand_in: Any) -> None:
        SmartReplyAgent(language_model=model_at(stand_in)).handle(
            context_for("what dose of tranexamic acid for my patient?")
        )
        assert stand_in.requests == []
