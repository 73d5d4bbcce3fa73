"""Agents' follow-ups (`Schedule`): stored with the answer, sent once when due, and not sent
when the doctor wrote first, a person took over, or the doctor opted out. SQLite and
PostgreSQL, signed webhooks in, the queue drained as a worker would."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import respx
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, update

from surgiai.agents.base import Action, AgentContext, Reply, Schedule, SendTemplate
from surgiai.agents.greeting.agent import GreetingAgent
from surgiai.agents.language import Intent
from surgiai.agents.master import MASTER, MasterAgent
from surgiai.agents.models import ScheduledAction, ScheduledState
from surgiai.agents.registry import AgentRegistry, Registration, default_registry
from surgiai.agents.tasks import redrive_scheduled
from surgiai.conversations.models import Conversation, ConversationMode
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.kit.time import utcnow
from surgiai.runtime import Runtime, TaskContext
from tests.agents.test_master import DOCTOR, SEND_URL, doctor_writes, replies
from tests.conftest import drain
from tests.fixtures import create_number, graph_accepted, run_scheduled

FOLLOW_UP = "Dr. Rao, did the price list answer your question? Reply here any time."


class FollowingUpGreeting(GreetingAgent):
    """The greeting agent, plus a follow-up a day later (what a follow-up agent will do)."""

    follow_up: Reply | SendTemplate = Reply("text", {"body": FOLLOW_UP})

    def handle(self, context: AgentContext) -> list[Action]:
        return [
            *super().handle(context),
            Schedule(self.follow_up, after=timedelta(days=1), reason="no reply after a day"),
        ]


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


@pytest.fixture
def following_up(runtime: Runtime) -> Iterator[FollowingUpGreeting]:
    create_number(runtime)
    base = default_registry()
    agent = FollowingUpGreeting()
    greeting = base.get("greeting")
    assert greeting is not None
    registrations = [Registration(agent, standby=greeting.standby)] + [
        r for r in base.registrations() if r.name != "greeting"
    ]
    runtime.provide(
        MASTER,
        MasterAgent(
            AgentRegistry(
                registrations,
                # The follow-up agent answers the questions these tests ask.
                {**base.routes, Intent.product_question: "greeting", Intent.course: "greeting"},
                base.side_effects,
                base.context_providers,
            ),
            settings=runtime.settings,
            sessions=runtime.session_factory,
        ),
    )
    yield agent


def scheduled(runtime: Runtime) -> list[tuple[ScheduledState, str | None]]:
    with session_scope(runtime.session_factory) as session:
        rows = session.execute(
            select(ScheduledAction.state, ScheduledAction.outcome).order_by(ScheduledAction.id)
        ).all()
        return [(state, outcome) for state, outcome in rows]


def come_due(runtime: Runtime) -> None:
    """A day passes: the follow-up is due, and its delayed task runs."""
    with session_scope(runtime.session_factory) as session:
        session.execute(update(ScheduledAction).values(due_at=utcnow() - timedelta(seconds=1)))
    run_scheduled(runtime)
    drain(runtime.queue)


def follow_ups_sent(runtime: Runtime) -> list[str | None]:
    return [text for _, text, _ in replies(runtime) if text == FOLLOW_UP]


class TestFollowUps:
    def test_a_follow_up_waits_for_its_time_then_goes_out_once(
        self,
        client: TestClient,
        runtime: Runtime,
        following_up: FollowingUpGreeting,
        graph: respx.MockRouter,
    ) -> None:
        doctor_writes(client, runtime, "What is the price of the 5 mm trocar?", "wamid.f1")
        run_scheduled(runtime)  # early: the task finds it not due and waits again
        drain(runtime.queue)
        assert [agent for agent, _, _ in replies(runtime)] == ["greeting"]
        assert scheduled(runtime) == [(ScheduledState.waiting, None)]

        come_due(runtime)
        come_due(runtime)  # a re-run (a redelivered task) sends nothing more

        assert follow_ups_sent(runtime) == [FOLLOW_UP]
        assert scheduled(runtime) == [(ScheduledState.sent, None)]
        [last] = replies(runtime)[-1:]
        assert last[0] == "greeting"

    def test_a_doctor_who_writes_first_gets_no_follow_up(
        self,
        client: TestClient,
        runtime: Runtime,
        following_up: FollowingUpGreeting,
        graph: respx.MockRouter,
    ) -> None:
        doctor_writes(client, runtime, "What is the price of the 5 mm trocar?", "wamid.f1")
        drain(runtime.queue)
        doctor_writes(client, runtime, "Thanks, and the 10 mm one?", "wamid.f2")
        drain(runtime.queue)
        with session_scope(runtime.session_factory) as session:
            # Only the first follow-up is tested here: the second message scheduled its own.
            first = session.scalars(select(ScheduledAction).order_by(ScheduledAction.id)).first()
            assert first is not None
            first_id = first.id
            session.execute(
                update(ScheduledAction)
                .where(ScheduledAction.id != first_id)
                .values(state=ScheduledState.cancelled)
            )

        come_due(runtime)

        assert follow_ups_sent(runtime) == []
        assert scheduled(runtime)[0] == (ScheduledState.cancelled, "The doctor wrote first.")

    def test_a_person_taking_over_silences_the_follow_up(
        self,
        client: TestClient,
        runtime: Runtime,
        following_up: FollowingUpGreeting,
        graph: respx.MockRouter,
    ) -> None:
        doctor_writes(client, runtime, "What is the price of the 5 mm trocar?", "wamid.f1")
        drain(runtime.queue)
        with session_scope(runtime.session_factory) as session:
            session.execute(update(Conversation).values(mode=ConversationMode.human))

        come_due(runtime)

        assert follow_ups_sent(runtime) == []
        [(state, outcome)] = scheduled(runtime)
        assert state is ScheduledState.cancelled
        assert outcome is not None and "person" in outcome

    def test_a_marketing_template_does_not_reach_a_doctor_who_opted_out(
        self,
        client: TestClient,
        runtime: Runtime,
        following_up: FollowingUpGreeting,
        graph: respx.MockRouter,
    ) -> None:
        following_up.follow_up = SendTemplate("course_reminder", "en", category="MARKETING")
        doctor_writes(client, runtime, "When is the next laparoscopy workshop?", "wamid.f1")
        drain(runtime.queue)
        with session_scope(runtime.session_factory) as session:
            session.execute(update(Doctor).values(marketing_opted_out=True))
        sent_before = len(replies(runtime))

        come_due(runtime)

        assert len(replies(runtime)) == sent_before
        [(state, outcome)] = scheduled(runtime)
        assert (state, outcome) == (
            ScheduledState.cancelled,
            "This doctor has stopped marketing messages.",
        )

    def test_a_follow_up_whose_task_was_lost_is_sent_by_the_sweeper(
        self,
        client: TestClient,
        runtime: Runtime,
        following_up: FollowingUpGreeting,
        graph: respx.MockRouter,
    ) -> None:
        doctor_writes(client, runtime, "What is the price of the 5 mm trocar?", "wamid.f1")
        drain(runtime.queue)
        runtime.queue.huey.flush()  # the embedded queue lost its delayed task
        with session_scope(runtime.session_factory) as session:
            session.execute(update(ScheduledAction).values(due_at=utcnow() - timedelta(minutes=5)))

        with session_scope(runtime.session_factory) as session:
            assert redrive_scheduled(TaskContext(session, runtime)) == 1
        drain(runtime.queue)

        assert follow_ups_sent(runtime) == [FOLLOW_UP]
        assert [text for agent, text, _ in replies(runtime, DOCTOR)][-1] == FOLLOW_UP


class TestScheduleAction:
    def test_a_follow_up_must_come_later(self) -> None:
        with pytest.raises(ValueError, match="later"):
            Schedule(Reply("text", {"body": "now"}), after=timedelta(0), reason="now")
