"""Admin commands: the team steering SurgiAI in words, from their registered WhatsApp phones
(through the Master Agent) or from the dashboard (`POST /api/v1/commands`).

Both channels parse with the one grammar (`surgiai.commands.grammar`) and go through
`AdminCommandService.execute`, so the permissions, the confirmation and the answers are the
same. Who may do what follows the roles: `status` and `help` need `read`, pausing and resuming
agents `manage_settings` (the same switch as `POST /api/v1/agents/{name}/disable`, audit-logged).
A refusal is an answer, never a change.

An irreversible command (a pause) is only proposed at first: it is kept as a `PendingCommand`
for five minutes and carried out when the same user answers YES (NO cancels it). The dashboard,
which asks in its own dialog, may send it already confirmed. A newer proposal replaces an older
one, so YES always answers the question last asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import cast

import structlog
from sqlalchemy.orm import Session

from surgiai.agents.health import AgentState
from surgiai.agents.registry import default_registry
from surgiai.agents.service import agent_service
from surgiai.auth.models import User
from surgiai.auth.repository import UserRepository
from surgiai.auth.roles import Permission, has_permission
from surgiai.commands.grammar import (
    USAGE,
    Command,
    CommandAction,
    TargetKind,
    describe,
    parse_command,
)
from surgiai.commands.models import PendingCommand, PendingCommandState
from surgiai.commands.repository import PendingCommandRepository
from surgiai.conversations.models import Conversation, Message, SenderKind
from surgiai.conversations.service import OutboundRequest, message_service
from surgiai.errors import NotFound, SurgiAIError
from surgiai.kit.time import utcnow
from surgiai.monitoring.service import observe_number
from surgiai.numbers.repository import NumberRepository
from surgiai.worker.heartbeat import worker_statuses

log = structlog.get_logger(__name__)

ADMIN_COMMANDS_AGENT = "admin_commands"
CONFIRMATION_TTL = timedelta(minutes=5)
# A YES or NO this long after its question expired is still recognised as the answer to it,
# so the admin hears that nothing was done instead of getting a doctor's reply.
LATE_ANSWER_GRACE = timedelta(hours=1)


class CommandStatus(StrEnum):
    done = "done"
    confirmation_required = "confirmation_required"
    refused = "refused"
    not_a_command = "not_a_command"


@dataclass(frozen=True)
class CommandResult:
    status: CommandStatus
    message: str


@dataclass(frozen=True)
class AdminMessage:
    """A command sent from the registered phone of an active user."""

    user: User
    command: Command


class AdminCommandService:
    # --- Recognising ----------------------------------------------------------------------

    def recognise(
        self, session: Session, wa_id: str | None, text: str, *, now: datetime | None = None
    ) -> AdminMessage | None:
        """The command in `text` if its sender is an active user writing from their registered
        phone; None for ordinary text and for everyone else (a doctor who types "pause agent
        greeting" is just a doctor). A bare YES or NO counts only while that user has a
        question open."""
        command = parse_command(text, known_agents=agent_service.known_names())
        if command is None:
            return None  # the common case, decided without touching the database
        user = self.user_for_phone(session, wa_id)
        if user is None:
            return None
        if command.action in ("confirm", "cancel") and (
            self._open_question(session, user, now or utcnow()) is None
        ):
            return None
        return AdminMessage(user, command)

    def user_for_phone(self, session: Session, wa_id: str | None) -> User | None:
        """The active user whose phone is `wa_id`; None for no phone (a username-only sender
        proves nothing)."""
        if not wa_id:
            return None
        # The API stores phones as digits; comparing digits also matches one written with a
        # "+" or spaces some other way. In Python: few users have a phone.
        users = UserRepository(session).list_with_phone()
        return next(
            (user for user in users if user.is_active and _digits(user.phone) == wa_id), None
        )

    # --- Executing ------------------------------------------------------------------------

    def run_text(
        self, session: Session, user: User, text: str, *, confirmed: bool, channel: str
    ) -> CommandResult:
        """A command typed on the dashboard (or anything else that is not WhatsApp)."""
        command = parse_command(text, known_agents=agent_service.known_names())
        if command is None:
            return CommandResult(CommandStatus.not_a_command, f"That is not a command. {USAGE}")
        return self.execute(session, user, command, confirmed=confirmed, channel=channel)

    def execute(
        self,
        session: Session,
        user: User,
        command: Command,
        *,
        confirmed: bool,
        channel: str,
        now: datetime | None = None,
    ) -> CommandResult:
        """Carry out `command` for `user`, or propose it when it is irreversible and not
        `confirmed`; the result says what happened in a sentence for the user."""
        now = now or utcnow()
        if not has_permission(user.role, Permission.read):
            return _refused(user, "use commands")
        if command.action == "help":
            return CommandResult(CommandStatus.done, USAGE)
        if command.action == "status":
            return CommandResult(CommandStatus.done, self.status_text(session, now))
        if command.action == "confirm":
            return self._confirm(session, user, channel, now)
        if command.action == "cancel":
            return self._cancel(session, user, now)
        if command.target_kind == "campaign":
            return CommandResult(
                CommandStatus.refused,
                f"There are no campaigns yet, so there is no campaign {command.target} to "
                f"{command.action}.",
            )
        if not has_permission(user.role, Permission.manage_settings):
            return _refused(user, "pause or resume agents")
        if not command.known:
            return CommandResult(CommandStatus.refused, describe(command))
        if command.irreversible and not confirmed:
            self._supersede(session, user, now)
            PendingCommandRepository(session).add(
                PendingCommand(
                    user_id=user.id,
                    action=command.action,
                    target_kind=command.target_kind,
                    target=command.target,
                    created_at=now,
                    expires_at=now + CONFIRMATION_TTL,
                )
            )
            return CommandResult(CommandStatus.confirmation_required, describe(command))
        if command.irreversible:
            # Confirmed in the dashboard's own dialog: a YES sent later must not repeat it.
            self._supersede(session, user, now)
        return self._switch(session, user, command, channel)

    def _confirm(self, session: Session, user: User, channel: str, now: datetime) -> CommandResult:
        pending = self._open_question(session, user, now)
        if pending is None:
            return CommandResult(CommandStatus.not_a_command, "Nothing is waiting for a YES.")
        command = _command(pending)
        if pending.expires_at <= now:
            self._answer(session, pending, PendingCommandState.expired, now)
            return CommandResult(
                CommandStatus.refused,
                f"Too late: the {command.action} of {_subject(command)} waited more than "
                f"{_minutes(CONFIRMATION_TTL)} minutes for a YES, so nothing was done. Send it "
                "again if you still want it.",
            )
        if not self._answer(session, pending, PendingCommandState.confirmed, now):
            return CommandResult(CommandStatus.refused, "That command was already answered.")
        # The role may have changed since the question was asked.
        if not has_permission(user.role, Permission.manage_settings):
            return _refused(user, "pause or resume agents")
        return self._switch(session, user, command, channel)

    def _cancel(self, session: Session, user: User, now: datetime) -> CommandResult:
        pending = self._open_question(session, user, now)
        if pending is None:
            return CommandResult(CommandStatus.not_a_command, "Nothing is waiting to be cancelled.")
        self._answer(session, pending, PendingCommandState.cancelled, now)
        return CommandResult(
            CommandStatus.done, f"Cancelled: {_subject(_command(pending))} stays as it was."
        )

    def _switch(
        self, session: Session, user: User, command: Command, channel: str
    ) -> CommandResult:
        assert command.target is not None
        name = command.target
        paused = name in agent_service.disabled(session)
        try:
            if command.action == "pause":
                if paused:
                    return CommandResult(CommandStatus.done, f"Agent {name} is already paused.")
                agent_service.disable(session, name, user, f"Paused by a command ({channel}).")
                return CommandResult(CommandStatus.done, _paused_sentence(name))
            if not paused:
                return CommandResult(CommandStatus.done, f"Agent {name} is not paused.")
            agent_service.enable(session, name, user)
        except NotFound as error:  # removed from the registry since the question was asked
            return CommandResult(CommandStatus.refused, error.detail)
        return CommandResult(CommandStatus.done, f"Agent {name} resumed.")

    # --- Pending questions ----------------------------------------------------------------

    def _open_question(self, session: Session, user: User, now: datetime) -> PendingCommand | None:
        """The user's latest unanswered proposal, even one expired within the grace period."""
        return PendingCommandRepository(session).latest_open(
            user.id, expiring_after=now - LATE_ANSWER_GRACE
        )

    def _answer(
        self, session: Session, pending: PendingCommand, state: PendingCommandState, now: datetime
    ) -> bool:
        """Close the question; False if a concurrent answer (the other channel) closed it."""
        return PendingCommandRepository(session).answer(pending.id, state, now)

    def _supersede(self, session: Session, user: User, now: datetime) -> None:
        PendingCommandRepository(session).supersede_open(user.id, now)

    # --- Status ---------------------------------------------------------------------------

    def status_text(self, session: Session, now: datetime) -> str:
        """Every agent's and number's state in a few lines, fit for a WhatsApp message."""
        agents = []
        for health in agent_service.health(session, now=now):
            line = f"{health.name} {health.state.value}"
            if health.state is not AgentState.healthy and health.reason:
                line += f" ({health.reason})"
            if health.last_1h.runs:
                rate = health.last_1h.error_rate or 0.0
                line += f", {health.last_1h.runs} runs/h, {rate:.0%} failed"
            agents.append(line)
        numbers = []
        for number in NumberRepository(session).list():
            observation = observe_number(number)
            line = f"{number.label} {observation.state.value}"
            if observation.reason:
                line += f" ({observation.reason})"
            numbers.append(line)
        workers = worker_statuses(session, now)
        alive = sum(1 for worker in workers if worker.alive)
        return "\n".join(
            [
                "Agents: " + "; ".join(agents) + ".",
                "Numbers: " + ("; ".join(numbers) if numbers else "none") + ".",
                f"Workers: {alive} of {len(workers)} alive.",
            ]
        )

    # --- WhatsApp -------------------------------------------------------------------------

    def answer_on_whatsapp(
        self, session: Session, conversation: Conversation, newest: Message, admin: AdminMessage
    ) -> CommandResult:
        """Execute a command from an admin's phone and reply there, through the one send path
        (their window is open: they just wrote)."""
        result = self.execute(
            session, admin.user, admin.command, confirmed=False, channel="WhatsApp"
        )
        log.info(
            "commands.executed",
            user_id=admin.user.id,
            action=admin.command.action,
            target=admin.command.target,
            status=result.status.value,
        )
        try:
            with session.begin_nested():
                message_service.queue_outbound(
                    session,
                    OutboundRequest(
                        doctor_id=conversation.doctor_id,
                        type="text",
                        payload={"body": result.message},
                        sender_kind=SenderKind.system,
                        sender_agent=ADMIN_COMMANDS_AGENT,
                        number_id=conversation.number_id,
                        context_message_id=newest.wamid,
                    ),
                )
        except SurgiAIError as error:
            # The command stands; only its answer is lost (a person holds this conversation).
            log.info("commands.reply_refused", error=error.public_name)
        return result


def _digits(phone: str | None) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())


def _command(pending: PendingCommand) -> Command:
    # Stored from a `Command`, so the strings are the grammar's own.
    return Command(
        cast(CommandAction, pending.action),
        cast(TargetKind | None, pending.target_kind),
        pending.target,
    )


def _subject(command: Command) -> str:
    return f"{command.target_kind} {command.target}"


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _paused_sentence(name: str) -> str:
    registration = default_registry().get(name)
    standby = registration.standby if registration is not None else None
    if standby is not None:
        return f"Agent {name} paused; its standby {standby.name} answers meanwhile."
    return f"Agent {name} paused."


def _refused(user: User, what: str) -> CommandResult:
    return CommandResult(
        CommandStatus.refused,
        f"Sorry, your role ({user.role.value}) may not {what}; an owner or admin can.",
    )


admin_command_service = AdminCommandService()
