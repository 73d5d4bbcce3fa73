"""The SurgiAI Master Agent: every doctor's message goes through here.

For each conversation with new messages: wait while the doctor is evidently still typing (a
greeting, a fragment), claim the whole burst, build the context, classify it, run the agent
for its intent (its standby if it raises, times out, has an open circuit or is disabled), run
the side-effect agents, and apply their actions through the domain services. If every option
fails, a person takes the conversation with a note saying why and a crash report is filed.
An admin command from a user's registered phone is no doctor's message: it goes to
`admin_commands` instead of the agents.

Exactly once: the burst is claimed with a token and committed before any agent runs; the
reply and the `done` marks are written in one transaction that first checks the token is still
ours. A worker that dies mid-way leaves the claim to the sweeper, which hands the messages to
another worker; the first worker, if it was only slow, finds its token gone and writes nothing.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import structlog
from prometheus_client import Histogram
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session, sessionmaker

from surgiai.agents import metrics
from surgiai.agents.actions import apply_action
from surgiai.agents.ai_replies_off import handled_without_ai_replies
from surgiai.agents.base import (
    Action,
    Agent,
    AgentContext,
    CampaignView,
    DoctorView,
    HandOff,
    MessageView,
    Schedule,
)
from surgiai.agents.circuit import CircuitBreakers
from surgiai.agents.classifier import default_model
from surgiai.agents.intents import classify
from surgiai.agents.language import Intent
from surgiai.agents.llm import LanguageModel
from surgiai.agents.models import AgentRun, RunOutcome
from surgiai.agents.registry import AgentRegistry, Registration, default_registry
from surgiai.agents.repository import InboundRepository
from surgiai.agents.scheduled import scheduled_action_service
from surgiai.agents.service import agent_service
from surgiai.campaigns.replies import campaign_replied_to
from surgiai.commands.service import ADMIN_COMMANDS_AGENT, AdminMessage, admin_command_service
from surgiai.config import Settings
from surgiai.conversations.inbox import inbox_service
from surgiai.conversations.models import Conversation, ConversationMode, Message
from surgiai.conversations.window import window_open
from surgiai.db.engine import session_scope
from surgiai.db.outbox import enqueue
from surgiai.doctors.scoring import WINDOW
from surgiai.errors import SurgiAIError
from surgiai.kit.chaos import Chaos, parse_chaos
from surgiai.kit.time import utcnow
from surgiai.runtime import PerProcess, Runtime
from surgiai.workspace.service import workspace_service

log = structlog.get_logger(__name__)

OVERHEAD = Histogram(
    "surgiai_master_overhead_seconds",
    "Master Agent time per burst outside the agents (context, routing, bookkeeping)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
)

PROCESS_TASK = "agents.process_conversation"
# Messages the agents answer; reactions and system notices are not questions.
ANSWERABLE_TYPES = frozenset(
    {"text", "interactive", "button", "image", "video", "document", "audio", "location", "sticker"}
)
HISTORY_LENGTH = 20
# How far back the doctor's activity is counted for lead scoring.
ACTIVITY_WINDOW = WINDOW
# No typing indicator for answers that come at once; one for those that take a while.
TYPING_AFTER_SECONDS = 1.0
STANDALONE_INTENTS = frozenset({Intent.opt_out, Intent.opt_in, Intent.human_request})
# Intents that still get an answer while a person has the conversation: the doctor's consent.
ALWAYS_HANDLED = frozenset({Intent.opt_out, Intent.opt_in})


def settle_seconds(text: str | None, burst_seconds: float) -> float:
    """How long to wait for more before answering: a question, a sentence or a request that
    stands alone (STOP, START, "call me") is answered at once; a greeting, a fragment or a
    bare attachment waits for what usually follows."""
    stripped = (text or "").strip()
    if stripped.endswith("?") or len(stripped.split()) >= 4:
        return 0.0
    if stripped and classify(stripped).intent in STANDALONE_INTENTS:
        return 0.0
    return burst_seconds


@dataclass
class RunResult:
    agent: str
    role: str
    outcome: RunOutcome
    started_at: datetime
    seconds: float = 0.0
    actions: list[Action] = field(default_factory=list)
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is RunOutcome.ok


@dataclass
class Answered:
    messages: int
    decision: Decision
    # Context, routing and bookkeeping: the time spent neither in the agents nor in the
    # domain services carrying out their actions (queuing a reply costs what an admin's does).
    overhead_seconds: float
    actions_seconds: float


@dataclass
class Decision:
    runs: list[RunResult]
    # The agent whose actions are applied, with them; None when every option failed.
    answered_by: str | None
    actions: list[tuple[str, Action]]
    failure: RunResult | None = None


def queue_inbound(session: Session, settings: Settings, message: Message) -> None:
    """A doctor's new message waits for the Master Agent. With AI replies off in the workspace
    settings, only consent and users' commands do; the rest waits for the team."""
    if not settings.agents_enabled or message.type not in ANSWERABLE_TYPES:
        return
    workspace = workspace_service.current(session, settings)
    if not workspace.ai_replies_enabled and not handled_without_ai_replies(session, message):
        return
    message.agent_state = "pending"
    delay = settle_seconds(message.text, workspace.burst_seconds)
    enqueue(session, PROCESS_TASK, message.conversation_id, delay=delay or None)


class MasterAgent:
    """One per process (`MASTER`): its circuit breakers and thread pool are shared by every
    conversation the process answers."""

    def __init__(
        self,
        registry: AgentRegistry,
        *,
        settings: Settings,
        sessions: sessionmaker[Session],
        breakers: CircuitBreakers | None = None,
        chaos: Chaos | None = None,
        max_threads: int = 32,
    ) -> None:
        """`sessions`: for what happens beside a burst's own transaction (the typing
        indicator shown while agents think)."""
        self.registry = registry
        self.settings = settings
        self.sessions = sessions
        self.breakers = breakers or CircuitBreakers()
        self.chaos = chaos or Chaos(parse_chaos(settings.chaos))
        self._executor = ThreadPoolExecutor(max_workers=max_threads, thread_name_prefix="agent")
        default_model()  # trained now, not on the first doctor's message

    # --- Processing -----------------------------------------------------------------------

    def process(self, session: Session, conversation_id: int) -> Answered | None:
        """Answer the conversation's new messages; None when there was nothing to do yet."""
        started = time.perf_counter()
        inbound = InboundRepository(session)
        pending = inbound.pending(conversation_id)
        if not pending:
            return None
        newest = pending[-1]
        now = utcnow()
        wait = (
            settle_seconds(
                newest.text, workspace_service.current(session, self.settings).burst_seconds
            )
            - (now - newest.created_at).total_seconds()
        )
        if wait > 0.05:
            # The doctor is still writing: a later run answers the whole burst.
            enqueue(session, PROCESS_TASK, conversation_id, delay=wait)
            return None
        ids = [message.id for message in pending]
        conversation = newest.conversation
        text = "\n".join(message.text for message in pending if message.text)
        admin = admin_command_service.recognise(session, conversation.doctor.wa_id, text, now=now)
        if admin is None:
            # Read and classified before the claim, the transaction's first write: on SQLite
            # the write lock is held from there to the commit, so only for the claim.
            context = self.build_context(session, conversation, pending)
            disabled = agent_service.disabled_recently(session)
        token = uuid.uuid4().hex
        if not inbound.claim(ids, token, now):
            session.rollback()  # another worker has them
            return None
        if admin is not None:
            return self._answer_admin(session, conversation, pending, token, admin, started)
        session.commit()

        typing = threading.Timer(TYPING_AFTER_SECONDS, self._show_typing, (conversation_id,))
        typing.daemon = True
        typing.start()
        try:
            decision = self.decide(context, disabled)
        finally:
            typing.cancel()

        actions_seconds = self.apply(session, conversation, newest, context, decision)
        # The claim is checked last, so that the actions' reads come before the transaction's
        # first write (on SQLite the write lock is held from there to the commit). A claim
        # lost meanwhile (a sweeper judged this worker dead) undoes them all.
        if not inbound.finish(ids, token):
            session.rollback()
            log.warning("agents.burst.lost_claim", conversation_id=conversation_id)
            return None
        session.flush()
        agents_seconds = sum(run.seconds for run in decision.runs)
        overhead = time.perf_counter() - started - agents_seconds - actions_seconds
        OVERHEAD.observe(overhead)
        return Answered(
            messages=len(ids),
            decision=decision,
            overhead_seconds=overhead,
            actions_seconds=actions_seconds,
        )

    def _answer_admin(
        self,
        session: Session,
        conversation: Conversation,
        burst: Sequence[Message],
        token: str,
        admin: AdminMessage,
        started: float,
    ) -> Answered:
        """A user's command from their registered phone: no agent runs, so the claim, the
        command, its answer and the `done` marks all go in this one transaction."""
        ids = [message.id for message in burst]
        InboundRepository(session).finish(ids, token)
        run_started_at = utcnow()
        began = time.perf_counter()
        admin_command_service.answer_on_whatsapp(session, conversation, burst[-1], admin)
        seconds = time.perf_counter() - began
        run = RunResult(ADMIN_COMMANDS_AGENT, "primary", RunOutcome.ok, run_started_at, seconds)
        self._record_runs(session, conversation, burst[-1], None, [run])
        session.flush()
        overhead = time.perf_counter() - started - seconds
        OVERHEAD.observe(overhead)
        return Answered(
            messages=len(ids),
            decision=Decision(runs=[run], answered_by=ADMIN_COMMANDS_AGENT, actions=[]),
            overhead_seconds=overhead,
            actions_seconds=seconds,
        )

    def build_context(
        self, session: Session, conversation: Conversation, burst: Sequence[Message]
    ) -> AgentContext:
        inbound = InboundRepository(session)
        doctor = conversation.doctor
        history = inbound.history(conversation.id, before_id=burst[0].id, limit=HISTORY_LENGTH)
        views = tuple(_view(message) for message in burst)
        text = "\n".join(message.text for message in views if message.text)
        now = utcnow()
        inbound_recent, reads_recent = inbound.activity(doctor.id, now - ACTIVITY_WINDOW)
        return AgentContext(
            conversation_id=conversation.id,
            number_id=conversation.number_id,
            mode=conversation.mode.value,
            assigned_user_id=conversation.assigned_user_id,
            doctor=DoctorView(
                id=doctor.id,
                wa_id=doctor.wa_id,
                username=doctor.username,
                display_name=doctor.display_name,
                marketing_opted_out=doctor.marketing_opted_out,
                tags=tuple(inbound.tags(doctor.id)),
                lead_score=doctor.lead_score,
                score_reasons=doctor.score_reasons,
                score_overridden=doctor.score_overridden,
                stage=doctor.stage,
                stage_overridden=doctor.stage_overridden,
                specialty=doctor.specialty,
                city=doctor.city,
                last_inbound_at=doctor.last_inbound_at,
                inbound_recent=inbound_recent,
                reads_recent=reads_recent,
            ),
            burst=views,
            history=tuple(reversed(history)),
            window_open=window_open(conversation, now),
            classification=classify(text),
            campaign=_campaign_answered(session, doctor.id, burst[0]),
            extras=self._extras(session),
        )

    def _extras(self, session: Session) -> dict[str, object]:
        """What the context providers know; one that fails is left out (its agents fail over
        to their standbys, which need less)."""
        extras: dict[str, object] = {}
        for name, provide in self.registry.context_providers.items():
            try:
                extras[name] = provide(session, self.settings)
            except Exception:
                log.exception("agents.context_provider.failed", provider=name)
        return extras

    def decide(
        self, context: AgentContext, disabled: frozenset[str] | set[str] = frozenset()
    ) -> Decision:
        """Run the agents for this context (no database here: agents only see the snapshot).
        While a person has the conversation, only consent is answered; the side-effect agents,
        which never answer, still run."""
        intent = context.intent
        silent = context.mode == ConversationMode.human.value
        registration = self.registry.primary_for(intent)
        if silent and intent not in ALWAYS_HANDLED:
            registration = None
        runs: list[RunResult] = []
        actions: list[tuple[str, Action]] = []
        answered_by: str | None = None
        failure: RunResult | None = None
        if registration is not None:
            for agent, role in _options(registration):
                result = self._run(agent, role, context, disabled)
                runs.append(result)
                if result.ok:
                    answered_by = agent.name
                    actions += [(agent.name, action) for action in result.actions]
                    break
            else:
                failure = next((r for r in reversed(runs) if r.error is not None), runs[-1])
                if registration.critical:
                    actions.append((HANDOFF, HandOff(_failure_note(runs))))
        for name in self.registry.side_effects:
            side = self.registry.get(name)
            if side is None:
                continue
            # Its standby runs when it fails, as a primary's does.
            for agent, role in _options(side):
                role = "side_effect" if role == "primary" else role
                result = self._run(agent, role, context, disabled)
                runs.append(result)
                if result.ok:
                    actions += [(agent.name, action) for action in result.actions]
                    break
        return Decision(runs=runs, answered_by=answered_by, actions=actions, failure=failure)

    def _run(
        self, agent: Agent, role: str, context: AgentContext, disabled: frozenset[str] | set[str]
    ) -> RunResult:
        started_at = utcnow()
        if agent.name in disabled:
            return RunResult(agent.name, role, RunOutcome.disabled, started_at)
        if not self.breakers.allow(agent.name):
            return RunResult(agent.name, role, RunOutcome.circuit_open, started_at)
        timeout = agent.config.timeout_seconds
        started = time.perf_counter()
        future = self._executor.submit(self._call, agent, context, timeout)
        try:
            actions = future.result(timeout=timeout)
        except FutureTimeout as error:
            self.breakers.record_failure(agent.name)
            return _finished(agent.name, role, RunOutcome.timeout, started_at, started, error=error)
        except Exception as error:
            self.breakers.record_failure(agent.name)
            log.warning("agents.run.failed", agent=agent.name, error=repr(error))
            return _finished(agent.name, role, RunOutcome.error, started_at, started, error=error)
        self.breakers.record_success(agent.name)
        return _finished(agent.name, role, RunOutcome.ok, started_at, started, actions=actions)

    def _call(self, agent: Agent, context: AgentContext, timeout: float) -> list[Action]:
        self.chaos.strike(agent.name, timeout)
        return list(agent.handle(context))

    def _show_typing(self, conversation_id: int) -> None:
        try:
            with session_scope(self.sessions) as session:
                conversation = session.get(Conversation, conversation_id)
                if conversation is not None and conversation.mode is not ConversationMode.human:
                    inbox_service.typing(session, conversation, active=True, agent="master")
        except Exception:
            log.exception("agents.typing.failed", conversation_id=conversation_id)

    # --- Applying -------------------------------------------------------------------------

    def apply(
        self,
        session: Session,
        conversation: Conversation,
        newest: Message,
        context: AgentContext,
        decision: Decision,
    ) -> float:
        """Apply the actions and record the runs; returns the seconds the actions took."""
        started = time.perf_counter()
        for name, action in decision.actions:
            try:
                with session.begin_nested():
                    self._apply(session, conversation, newest, name, action)
            except SurgiAIError as error:
                # A refusal (window closed, human took over meanwhile …) loses only this action.
                log.info(
                    "agents.action.refused",
                    agent=name,
                    action=type(action).__name__,
                    error=error.public_name,
                )
        actions_seconds = time.perf_counter() - started
        self._record_runs(session, conversation, newest, context.intent.value, decision.runs)
        if decision.failure is not None and decision.failure.error is not None:
            agent_service.file_crash_report(
                session,
                agent=decision.failure.agent,
                message_id=newest.id,
                conversation_id=conversation.id,
                error=decision.failure.error,
            )
        return actions_seconds

    def _record_runs(
        self,
        session: Session,
        conversation: Conversation,
        newest: Message,
        intent: str | None,
        runs: list[RunResult],
    ) -> None:
        if not runs:
            return
        # One Core statement for all the runs: nothing reads these rows back in this session.
        session.connection().execute(
            _INSERT_RUN,
            [
                {
                    "agent": result.agent,
                    "role": result.role,
                    "message_id": newest.id,
                    "conversation_id": conversation.id,
                    "intent": intent,
                    "started_at": result.started_at,
                    "duration_ms": round(result.seconds * 1000, 3),
                    "outcome": result.outcome,
                    "error": _describe(result.error),
                    "actions": len(result.actions),
                }
                for result in runs
            ],
        )
        for result in runs:
            metrics.observe_run(result.agent, result.outcome.value, result.seconds)

    def _apply(
        self,
        session: Session,
        conversation: Conversation,
        newest: Message,
        agent: str,
        action: Action,
    ) -> None:
        if isinstance(action, Schedule):
            scheduled_action_service.schedule(session, conversation, newest, agent, action)
            return
        apply_action(session, conversation, newest, agent, action)


HANDOFF = "human_handoff"
_INSERT_RUN = insert(cast(Table, AgentRun.__table__))


def _options(registration: Registration) -> list[tuple[Agent, str]]:
    options: list[tuple[Agent, str]] = [(registration.agent, "primary")]
    if registration.standby is not None:
        options.append((registration.standby, "standby"))
    return options


def _finished(
    agent: str,
    role: str,
    outcome: RunOutcome,
    started_at: datetime,
    started: float,
    *,
    actions: list[Action] | None = None,
    error: BaseException | None = None,
) -> RunResult:
    return RunResult(
        agent,
        role,
        outcome,
        started_at,
        seconds=time.perf_counter() - started,
        actions=actions or [],
        error=error,
    )


def _describe(error: BaseException | None) -> str | None:
    if error is None:
        return None
    if isinstance(error, FutureTimeout):
        return "Timed out."
    return f"{type(error).__name__}: {error}"[:1000]


def _failure_note(runs: list[RunResult]) -> str:
    parts = []
    for run in runs:
        what = {
            RunOutcome.error: f"failed ({_describe(run.error)})",
            RunOutcome.timeout: "timed out",
            RunOutcome.circuit_open: "was skipped (its circuit breaker is open)",
            RunOutcome.disabled: "is disabled by an admin",
        }.get(run.outcome, run.outcome.value)
        parts.append(f"{run.agent} {what}")
    return "SurgiAI could not answer this message: " + "; ".join(parts) + "."


def _view(message: Message) -> MessageView:
    return MessageView(
        id=message.id,
        direction=message.direction.value,
        type=message.type,
        text=message.text,
        sender_kind=message.sender_kind.value,
        created_at=message.created_at,
    )


def _campaign_answered(session: Session, doctor_id: int, first: Message) -> CampaignView | None:
    """The campaign the burst answers: the latest that reached the doctor in the 72 h before
    their first message of it."""
    found = campaign_replied_to(session, doctor_id, first.timestamp or first.created_at)
    if found is None:
        return None
    return CampaignView(
        id=found.campaign_id,
        name=found.name,
        variant=found.variant,
        preview=found.preview,
        sent_at=found.sent_at,
    )


def _make_master(runtime: Runtime) -> MasterAgent:
    return MasterAgent(
        default_registry(LanguageModel.from_settings(runtime.settings)),
        settings=runtime.settings,
        sessions=runtime.session_factory,
    )


MASTER = PerProcess("agents.master", _make_master)
