"""The Master Agent end to end: signed webhooks in, the queue drained as a worker would, the
replies read back from the database. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import respx
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, update

from surgiai.agents.base import AgentConfig, AgentContext
from surgiai.agents.greeting.agent import AcknowledgementAgent, GreetingAgent, GreetingConfig
from surgiai.agents.language import Intent
from surgiai.agents.master import MASTER, Decision, MasterAgent
from surgiai.agents.models import AgentRun, CrashReport
from surgiai.agents.registry import AgentRegistry, Registration, default_registry
from surgiai.agents.service import agent_service
from surgiai.agents.tasks import redrive_inbound
from surgiai.auth.models import User
from surgiai.conversations.models import (
    Conversation,
    ConversationMode,
    ConversationNote,
    Direction,
    Message,
)
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.external_events.tasks import process_pending
from surgiai.kit.chaos import Chaos, parse_chaos
from surgiai.kit.time import utcnow
from surgiai.runtime import Runtime, TaskContext
from tests.conftest import drain
from tests.fixtures import (
    GRAPH,
    PHONE_NUMBER_ID,
    create_number,
    create_user,
    gone_claimant,
    graph_accepted,
    run_scheduled,
    sign,
    text_message_value,
    webhook_body,
)
from tests.knowledge.catalogue import add_product

HOST = socket.gethostname()

DOCTOR = "919876543210"
SEND_URL = f"{GRAPH}/{PHONE_NUMBER_ID}/messages"


@pytest.fixture
def number_id(runtime: Runtime) -> int:
    return create_number(runtime)


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        counter = iter(range(1, 10_000))
        router.post(SEND_URL).mock(
            side_effect=lambda request: Response(
                200,
                json=graph_accepted(f"wamid.out.{next(counter)}")
                if b'"status"' not in request.content
                else {"success": True},
            )
        )
        yield router


def sent_messages(graph: respx.MockRouter) -> list[dict[str, Any]]:
    """The messages sent to Graph, without read receipts and typing indicators."""
    return [
        json.loads(call.request.content)
        for call in graph.calls
        if b'"status"' not in call.request.content
    ]


def use_master(runtime: Runtime, registry: AgentRegistry, chaos: str | None = None) -> MasterAgent:
    master = MasterAgent(
        registry,
        settings=runtime.settings,
        sessions=runtime.session_factory,
        chaos=Chaos(parse_chaos(chaos)),
    )
    runtime.provide(MASTER, master)
    return master


def doctor_writes(
    client: TestClient, runtime: Runtime, text: str, wamid: str, *, wa_id: str = DOCTOR
) -> None:
    body = webhook_body(text_message_value(wamid, text, wa_id=wa_id))
    assert client.post("/webhooks/whatsapp", content=body, headers=sign(body)).status_code == 200
    drain(runtime.queue)


def store_without_answering(runtime: Runtime) -> None:
    """Store what the webhooks brought, and lose the Master Agent's queued task."""
    with session_scope(runtime.session_factory) as session:
        process_pending(TaskContext(session, runtime))
    runtime.queue.huey.flush()


def replies(runtime: Runtime, wa_id: str = DOCTOR) -> list[tuple[str | None, str | None, str]]:
    """(sender_agent, text, status) of every message sent to the doctor, oldest first."""
    with session_scope(runtime.session_factory) as session:
        rows = session.execute(
            select(Message.sender_agent, Message.text, Message.status)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .join(Doctor, Conversation.doctor_id == Doctor.id)
            .where(Doctor.wa_id == wa_id, Message.direction == Direction.outbound)
            .order_by(Message.id)
        ).all()
        return [(agent, text, status.value) for agent, text, status in rows]


def runs(runtime: Runtime) -> list[tuple[str, str, str]]:
    with session_scope(runtime.session_factory) as session:
        rows = session.execute(
            select(AgentRun.agent, AgentRun.role, AgentRun.outcome).order_by(AgentRun.id)
        ).all()
        return [(agent, role, outcome.value) for agent, role, outcome in rows]


def fast_registry(timeout: float = 0.3) -> AgentRegistry:
    """The greeting agent and its standby, quick to time out, answering every question: the
    failover tests watch the Master Agent, not what the specialists know."""
    base = default_registry()
    greeting = Registration(
        GreetingAgent(GreetingConfig(timeout_seconds=timeout)),
        standby=AcknowledgementAgent(AgentConfig(timeout_seconds=timeout)),
    )
    registrations = [greeting] + [r for r in base.registrations() if r.name != "greeting"]
    routes = {
        **base.routes,
        **{intent: "greeting" for intent in (Intent.product_question, Intent.order, Intent.offer)},
    }
    return AgentRegistry(registrations, routes, base.side_effects, base.context_providers)


@pytest.fixture
def catalogue(runtime: Runtime) -> None:
    add_product(runtime, "Disposable Trocar 5 mm", code="SG-TR05", price="2450")
    add_product(runtime, "Disposable Trocar 10 mm", code="SG-TR10", price="2890")


class TestRouting:
    def test_a_product_question_is_answered_from_the_catalogue(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        add_product(runtime, "Disposable Trocar 5 mm", price="2450")
        add_product(runtime, "Disposable Trocar 10 mm", code="SG-TR10", price="2890")
        doctor_writes(client, runtime, "What is the price of the 5 mm trocar?", "wamid.q1")
        drain(runtime.queue)

        [(agent, text, status)] = replies(runtime)
        assert agent == "smart_reply"
        assert text is not None and "2,450" in text and "Disposable Trocar 5 mm" in text
        # Never the price of a product that was not asked about.
        assert "2,890" not in text
        assert status in {"accepted", "sent"}
        assert runs(runtime) == [
            ("smart_reply", "primary", "ok"),
            ("lead_scoring", "side_effect", "ok"),
        ]

    def test_a_question_about_an_unknown_product_goes_to_a_person_not_a_guess(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        add_product(runtime, "Disposable Trocar 5 mm", price="2450")
        doctor_writes(client, runtime, "What is the price of the bariatric stapler?", "wamid.q1")
        drain(runtime.queue)

        [(agent, text, _)] = replies(runtime)
        assert agent == "human_handoff"
        assert text is not None and "colleague" in text and "Dr. Asha Rao" in text
        assert "2,450" not in text
        with session_scope(runtime.session_factory) as session:
            conversation = session.scalars(select(Conversation)).one()
            assert conversation.mode is ConversationMode.human

    @pytest.mark.parametrize(
        "text", ["I need some info", "Send me some info please", "mujhe thodi info chahiye"]
    )
    def test_a_vague_wish_for_information_is_asked_what_about_not_handed_off(
        self,
        client: TestClient,
        runtime: Runtime,
        number_id: int,
        graph: respx.MockRouter,
        text: str,
    ) -> None:
        doctor_writes(client, runtime, text, "wamid.info1")
        drain(runtime.queue)

        [(agent, reply, _)] = replies(runtime)
        assert agent == "smart_reply"
        assert (
            reply is not None and reply.startswith("Of course") and "What would you like" in reply
        )
        with session_scope(runtime.session_factory) as session:
            conversation = session.scalars(select(Conversation)).one()
            assert conversation.mode is ConversationMode.ai
            assert not session.scalars(select(Doctor)).one().marketing_opted_out

    def test_stop_records_the_opt_out_and_confirms_it(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        doctor_writes(client, runtime, "STOP", "wamid.s1")
        run_scheduled(runtime)
        drain(runtime.queue)

        [(agent, text, _)] = replies(runtime)
        assert agent == "opt_out" and text is not None and "START" in text
        with session_scope(runtime.session_factory) as session:
            doctor = session.scalars(select(Doctor).where(Doctor.wa_id == DOCTOR)).one()
            assert doctor.marketing_opted_out is True

        doctor_writes(client, runtime, "START", "wamid.s2")
        run_scheduled(runtime)
        drain(runtime.queue)
        with session_scope(runtime.session_factory) as session:
            doctor = session.scalars(select(Doctor).where(Doctor.wa_id == DOCTOR)).one()
            assert doctor.marketing_opted_out is False
        assert len(replies(runtime)) == 2

    @pytest.mark.usefixtures("catalogue")
    def test_a_burst_of_three_messages_gets_one_considered_reply(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        for index, text in enumerate(["Hi", "Dr Rao here", "price of the 5mm trocar?"]):
            body = webhook_body(text_message_value(f"wamid.b{index}", text, wa_id=DOCTOR))
            client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        drain(runtime.queue)
        run_scheduled(runtime)  # the waits the first two messages scheduled find nothing left
        drain(runtime.queue)

        [(agent, answer, _)] = replies(runtime)
        assert agent == "smart_reply" and answer is not None and "2,450" in answer
        with session_scope(runtime.session_factory) as session:
            states = session.scalars(
                select(Message.agent_state).where(Message.direction == Direction.inbound)
            ).all()
        assert states == ["done", "done", "done"]

    def test_a_doctor_asking_for_a_person_is_told_and_no_agent_answers(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        doctor_writes(client, runtime, "Please can someone call me?", "wamid.h1")
        drain(runtime.queue)

        [(agent, text, _)] = replies(runtime)
        assert agent == "human_handoff" and text is not None and "team" in text
        with session_scope(runtime.session_factory) as session:
            conversation = session.scalars(select(Conversation)).one()
            assert conversation.mode is ConversationMode.human


class TestHumanMode:
    def test_every_agent_is_silent_but_a_stop_is_still_honoured(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        doctor_writes(client, runtime, "Is the stapler in stock?", "wamid.m1")
        drain(runtime.queue)
        with session_scope(runtime.session_factory) as session:
            conversation = session.scalars(select(Conversation)).one()
            conversation.mode = ConversationMode.human
        before = len(replies(runtime))

        doctor_writes(client, runtime, "And what about the 3.5 mm clips?", "wamid.m2")
        doctor_writes(client, runtime, "STOP", "wamid.m3")
        run_scheduled(runtime)
        drain(runtime.queue)

        assert len(replies(runtime)) == before  # nothing automatic reached the doctor
        with session_scope(runtime.session_factory) as session:
            doctor = session.scalars(select(Doctor).where(Doctor.wa_id == DOCTOR)).one()
            assert doctor.marketing_opted_out is True


class TestFailover:
    def test_a_primary_that_raises_is_replaced_by_its_standby(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        use_master(runtime, fast_registry(), chaos="greeting=raise:1.0")
        doctor_writes(client, runtime, "Do you have titanium clips?", "wamid.f1")
        drain(runtime.queue)

        assert [agent for agent, _, _ in replies(runtime)] == ["acknowledgement"]
        assert runs(runtime) == [
            ("greeting", "primary", "error"),
            ("acknowledgement", "standby", "ok"),
            ("lead_scoring", "side_effect", "ok"),
        ]

    def test_a_primary_that_times_out_is_replaced_by_its_standby(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        use_master(runtime, fast_registry(timeout=0.2), chaos="greeting=timeout:1.0")
        doctor_writes(client, runtime, "Do you have titanium clips?", "wamid.t1")
        drain(runtime.queue)

        assert [agent for agent, _, _ in replies(runtime)] == ["acknowledgement"]
        assert runs(runtime)[0] == ("greeting", "primary", "timeout")

    def test_after_repeated_failures_the_circuit_opens_and_the_primary_is_not_called(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        master = use_master(runtime, fast_registry(), chaos="greeting=raise:1.0")
        for index in range(6):
            doctor_writes(
                client,
                runtime,
                "Price of the stapler please?",
                f"wamid.c{index}",
                wa_id=f"9198765000{index:02d}",
            )
            drain(runtime.queue)

        outcomes = [outcome for agent, _, outcome in runs(runtime) if agent == "greeting"]
        assert outcomes == ["error"] * 5 + ["circuit_open"]
        assert master.breakers.state("greeting").value == "open"
        answered = [a for a, _, o in runs(runtime) if a == "acknowledgement" and o == "ok"]
        assert len(answered) == 6

    @pytest.mark.usefixtures("catalogue")
    def test_a_disabled_agent_routes_to_its_standby_until_enabled(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        owner = create_user(runtime)
        with session_scope(runtime.session_factory) as session:
            user = session.get(User, owner.id)
            assert user is not None
            agent_service.disable(session, "smart_reply", user, "testing the standby")
        doctor_writes(client, runtime, "5mm trocar ka rate kya hai?", "wamid.d1")
        drain(runtime.queue)
        with session_scope(runtime.session_factory) as session:
            user = session.get(User, owner.id)
            assert user is not None
            agent_service.enable(session, "smart_reply", user)
        doctor_writes(client, runtime, "And the price of the 10 mm trocar?", "wamid.d2")
        drain(runtime.queue)

        # The standby answers from the catalogue too: no question waits for the primary.
        [(first, first_text, _), (second, second_text, _)] = replies(runtime)
        assert first == "approved_answers" and first_text and "2,450" in first_text
        assert second == "smart_reply" and second_text and "2,890" in second_text
        assert runs(runtime)[0] == ("smart_reply", "primary", "disabled")

    def test_when_every_option_fails_a_person_takes_over_with_a_note_and_a_crash_report(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        use_master(runtime, fast_registry(), chaos="greeting=raise:1.0,acknowledgement=raise:1.0")
        doctor_writes(client, runtime, "Can you quote 10 boxes of 3.5 mm clips?", "wamid.x1")
        drain(runtime.queue)

        assert [agent for agent, _, _ in replies(runtime)] == ["human_handoff"]
        with session_scope(runtime.session_factory) as session:
            conversation = session.scalars(select(Conversation)).one()
            assert conversation.mode is ConversationMode.human
            note = session.scalars(select(ConversationNote)).one()
            assert "greeting failed" in note.body and "acknowledgement failed" in note.body
            report = session.scalars(select(CrashReport)).one()
            assert report.agent == "acknowledgement" and "ChaosError" in report.stack_trace


class TestExactlyOnce:
    def test_duplicate_webhooks_and_rerun_tasks_answer_once(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        body = webhook_body(text_message_value("wamid.e1", "Price of 5mm trocar?", wa_id=DOCTOR))
        for _ in range(3):
            client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        drain(runtime.queue)
        with session_scope(runtime.session_factory) as session:
            conversation_id = session.scalars(select(Conversation.id)).one()
            runtime.get(MASTER).process(session, conversation_id)
        drain(runtime.queue)

        assert len(replies(runtime)) == 1
        assert len(graph.calls) == 1

    @pytest.mark.usefixtures("catalogue")
    def test_a_burst_held_by_a_dead_worker_is_answered_once_after_the_sweep(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        body = webhook_body(text_message_value("wamid.k1", "Price of 5mm trocar?", wa_id=DOCTOR))
        client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        store_without_answering(runtime)
        # A worker claimed the message and died before answering.
        with session_scope(runtime.session_factory) as session:
            session.execute(
                update(Message)
                .where(Message.wamid == "wamid.k1")
                .values(
                    agent_state="processing",
                    agent_claim="dead-worker",
                    agent_claimed_at=utcnow() - timedelta(minutes=5),
                )
            )
        assert replies(runtime) == []

        with session_scope(runtime.session_factory) as session:
            assert redrive_inbound(TaskContext(session, runtime)) == 1
        drain(runtime.queue)
        with session_scope(runtime.session_factory) as session:
            assert redrive_inbound(TaskContext(session, runtime)) == 0
        drain(runtime.queue)

        assert [agent for agent, _, _ in replies(runtime)] == ["smart_reply"]

    @pytest.mark.usefixtures("catalogue")
    def test_a_burst_held_by_a_process_that_is_gone_is_answered_at_once(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        """`surgiai run` killed just after claiming, and restarted: no 2-minute wait."""
        body = webhook_body(text_message_value("wamid.k2", "Price of 5mm trocar?", wa_id=DOCTOR))
        client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        store_without_answering(runtime)
        live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            for claimant, released in ((f"{HOST}:{live.pid}:0badf00d", 0), (gone_claimant(), 1)):
                with session_scope(runtime.session_factory) as session:
                    session.execute(
                        update(Message)
                        .where(Message.wamid == "wamid.k2")
                        .values(
                            agent_state="processing",
                            agent_claim="killed",
                            agent_claimed_at=utcnow(),
                            agent_claimed_by=claimant,
                        )
                    )
                with session_scope(runtime.session_factory) as session:
                    assert redrive_inbound(TaskContext(session, runtime)) == released
        finally:
            live.kill()
            live.wait()
        drain(runtime.queue)
        assert [agent for agent, _, _ in replies(runtime)] == ["smart_reply"]

    def test_a_slow_worker_whose_claim_was_taken_writes_nothing(
        self,
        client: TestClient,
        runtime: Runtime,
        number_id: int,
        graph: respx.MockRouter,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        master = use_master(runtime, fast_registry())
        body = webhook_body(text_message_value("wamid.l1", "Price of 5mm trocar?", wa_id=DOCTOR))
        client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        store_without_answering(runtime)
        original = master.decide
        stalled: list[bool] = []

        def slow_decide(
            context: AgentContext, disabled: frozenset[str] | set[str] = frozenset()
        ) -> Decision:
            if stalled:  # the second worker, which answers normally
                return original(context, disabled)
            stalled.append(True)
            # Meanwhile the sweeper thought this worker dead and another answered.
            with session_scope(runtime.session_factory) as other:
                other.execute(
                    update(Message)
                    .where(Message.wamid == "wamid.l1")
                    .values(agent_claimed_at=utcnow() - timedelta(minutes=5))
                )
            with session_scope(runtime.session_factory) as other:
                redrive_inbound(TaskContext(other, runtime))
            drain(runtime.queue)
            return original(context, disabled)

        with monkeypatch.context() as patch:
            patch.setattr(master, "decide", slow_decide)
            with session_scope(runtime.session_factory) as session:
                conversation_id = session.scalars(select(Conversation.id)).one()
                master.process(session, conversation_id)
        drain(runtime.queue)

        assert len(replies(runtime)) == 1


@pytest.mark.usefixtures("catalogue")
def test_the_reply_quotes_the_doctors_message_and_goes_to_the_same_doctor(
    client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
) -> None:
    doctor_writes(client, runtime, "How many in a box of the 5mm trocar?", "wamid.z1")
    drain(runtime.queue)
    sent = sent_messages(graph)
    assert len(sent) == 1
    assert sent[0]["to"] == DOCTOR and sent[0]["type"] == "text"
    assert sent[0]["context"] == {"message_id": "wamid.z1"}


def test_a_sentence_the_model_reads_as_opt_out_asks_instead_of_unsubscribing(
    client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
) -> None:
    doctor_writes(client, runtime, "please don't stop sending me your offers", "wamid.n1")
    run_scheduled(runtime)
    drain(runtime.queue)
    with session_scope(runtime.session_factory) as session:
        doctor = session.scalars(select(Doctor).where(Doctor.wa_id == DOCTOR)).one()
        assert doctor.marketing_opted_out is False


def test_a_doctor_with_only_a_username_is_answered_by_name_at_their_user_id(
    client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
) -> None:
    value = text_message_value("wamid.u1", "5mm trocar ka price kya hai?")
    contact = {"profile": {"username": "dr.iyer.surgeon"}, "user_id": "IN.2210457781930466"}
    messages = value["messages"]
    assert isinstance(messages, list)
    [message] = messages
    del message["from"]
    message["from_user_id"] = contact["user_id"]
    value["contacts"] = [contact]
    body = webhook_body(value)
    assert client.post("/webhooks/whatsapp", content=body, headers=sign(body)).status_code == 200
    drain(runtime.queue)
    drain(runtime.queue)
    sent = sent_messages(graph)
    assert len(sent) == 1
    assert sent[0]["recipient"] == "IN.2210457781930466" and "to" not in sent[0]
    assert "@dr.iyer.surgeon" in sent[0]["text"]["body"]
