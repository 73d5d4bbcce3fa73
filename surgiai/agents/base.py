"""What an agent is: a name, the intents it handles, a Pydantic config, and `handle(context)`
returning typed actions. Agents never write to the database or call a channel: the Master
Agent applies their actions through the domain services and the one send path."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel

from surgiai.agents.intents import Classification
from surgiai.agents.language import Intent
from surgiai.doctors.models import LifecycleStage

# --- Actions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A message to the doctor in the Cloud API's shape (`type` + its object). With
    `needs_approval_because`, it waits in the approval queue instead of going out."""

    type: str
    payload: Mapping[str, Any]
    needs_approval_because: str | None = None
    # Where the answer came from ("Catalogue 2026, p. 3", "FAQ #12"), shown to whoever approves.
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class SendTemplate:
    name: str
    language: str
    components: tuple[Mapping[str, Any], ...] = ()
    category: str | None = None


@dataclass(frozen=True)
class AddTags:
    tags: tuple[str, ...]


@dataclass(frozen=True)
class AdjustScore:
    delta: int
    reason: str


@dataclass(frozen=True)
class UpdateLead:
    """What lead scoring concluded: the score and its breakdown, tags to add and remove, a
    specialty or city the doctor stated, a stage. None and empty leave a thing as it is; an
    admin's score or stage, and a profile's specialty or city, are never replaced."""

    score: int | None = None
    reasons: Mapping[str, int] = field(default_factory=dict)
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    specialty: str | None = None
    city: str | None = None
    stage: LifecycleStage | None = None


@dataclass(frozen=True)
class HandOff:
    """Give the conversation to a person: human mode, the team notified, the doctor told
    (`notice`, or the standard sentence that a person will answer)."""

    reason: str
    notice: str | None = None


@dataclass(frozen=True)
class SetMarketingPreference:
    opted_out: bool


@dataclass(frozen=True)
class NotifyTeam:
    title: str
    body: str | None = None


@dataclass(frozen=True)
class SuggestFaq:
    """A question SurgiAI could not answer from what admins approved: it waits on the FAQ page
    with a draft answer (from documents, with its citation) for an admin to approve, edit or
    reject. `answer` is empty when nothing could be drafted."""

    question: str
    answer: str
    citation: str | None = None
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schedule:
    """Send `action` to the doctor `after` this long (a follow-up), unless the doctor writes
    again first (`unless_doctor_replies`). When it comes due it goes out like any automatic
    message: a conversation taken over by a person, or a doctor who opted out of marketing,
    stops it then."""

    action: Reply | SendTemplate
    after: timedelta
    reason: str
    unless_doctor_replies: bool = True

    def __post_init__(self) -> None:
        if self.after <= timedelta(0):
            raise ValueError("a scheduled action must come later, not now")


Action = (
    Reply
    | SendTemplate
    | AddTags
    | AdjustScore
    | UpdateLead
    | HandOff
    | SetMarketingPreference
    | NotifyTeam
    | SuggestFaq
    | Schedule
)


# --- Context -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageView:
    id: int
    direction: str
    type: str
    text: str | None
    sender_kind: str
    created_at: datetime


@dataclass(frozen=True)
class DoctorView:
    id: int
    # None for a doctor who reached us by username, with no phone number.
    wa_id: str | None
    username: str | None
    display_name: str
    marketing_opted_out: bool
    tags: tuple[str, ...]
    lead_score: int
    # What lead scoring reads (besides the burst and the history).
    score_reasons: Mapping[str, int] = field(default_factory=dict)
    score_overridden: bool = False
    stage: LifecycleStage = LifecycleStage.new
    stage_overridden: bool = False
    specialty: str | None = None
    city: str | None = None
    # Their latest message as their record has it (None before their first).
    last_inbound_at: datetime | None = None
    # In the last 30 days, over all their conversations: their messages (this burst
    # included) and ours that they read.
    inbound_recent: int = 0
    reads_recent: int = 0


@dataclass(frozen=True)
class CampaignView:
    """The campaign the doctor is answering: the latest that reached them in the 72 h before
    their message."""

    id: int
    name: str
    variant: str
    # The message as they read it (the template's text with their values).
    preview: str | None
    sent_at: datetime


@dataclass(frozen=True)
class AgentContext:
    """Everything an agent may know about the message it handles; a snapshot, read before
    any agent runs, so agents need no database."""

    conversation_id: int
    number_id: int
    mode: str
    assigned_user_id: int | None
    doctor: DoctorView
    # The doctor's new messages (a burst answered as one), oldest first.
    burst: tuple[MessageView, ...]
    # The conversation before the burst, oldest first (up to 20 messages).
    history: tuple[MessageView, ...]
    window_open: bool
    classification: Classification
    funnel_stage: str | None = None
    campaign: CampaignView | None = None
    # Filled by context providers that later agents register (orders, courses …).
    extras: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(message.text for message in self.burst if message.text)

    @property
    def intent(self) -> Intent:
        return self.classification.intent


# --- Agents --------------------------------------------------------------------------------------


class AgentConfig(BaseModel):
    """Settings every agent has; agents extend it with their own."""

    # Seconds before a run counts as timed out and the standby takes over.
    timeout_seconds: float = 2.0


class Agent(Protocol):
    name: ClassVar[str]
    description: ClassVar[str]
    handles: ClassVar[frozenset[Intent]]

    @property
    def config(self) -> AgentConfig: ...

    def handle(self, context: AgentContext) -> list[Action]: ...
