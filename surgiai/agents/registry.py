"""Which agents exist, which standby backs each critical one, and which agent answers which
intent. Adding a sub-agent: implement `Agent`, register it here (with its standby if it is
critical), route its intents."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from surgiai.agents.base import Agent
from surgiai.agents.greeting.agent import AcknowledgementAgent, GreetingAgent
from surgiai.agents.handoff.agent import HumanHandoffAgent
from surgiai.agents.language import Intent
from surgiai.agents.lead_scoring.agent import LEAD_SCORING, LeadScoringAgent, LeadScoringBasicAgent
from surgiai.agents.llm import LanguageModel
from surgiai.agents.opt_out.agent import OptOutAgent, OptOutBasicAgent
from surgiai.agents.smart_reply.agent import (
    ANSWER_POLICY,
    KNOWLEDGE,
    ApprovedAnswersAgent,
    SmartReplyAgent,
)
from surgiai.config import Settings
from surgiai.knowledge.index import knowledge_index
from surgiai.workspace.service import workspace_service

# What fills `AgentContext.extras[name]`, read before any agent runs (agents read no database).
ContextProvider = Callable[[Session, Settings], object]

MASTER_AGENT = "master"
HEALTH_MONITOR_AGENT = "health_monitor"


@dataclass(frozen=True)
class Registration:
    agent: Agent
    standby: Agent | None = None
    # Critical agents answer doctors: when every option fails, a person takes over.
    critical: bool = True

    @property
    def name(self) -> str:
        return self.agent.name


class AgentRegistry:
    def __init__(
        self,
        registrations: list[Registration],
        routes: dict[Intent, str],
        side_effects: tuple[str, ...] = (),
        context_providers: Mapping[str, ContextProvider] | None = None,
    ) -> None:
        self._by_name = {registration.name: registration for registration in registrations}
        self.routes = routes
        self.side_effects = side_effects
        self.context_providers = dict(context_providers or {})
        for intent, name in routes.items():
            if name not in self._by_name:
                raise ValueError(f"intent {intent} routes to unknown agent {name}")

    def registrations(self) -> list[Registration]:
        return list(self._by_name.values())

    def get(self, name: str) -> Registration | None:
        return self._by_name.get(name)

    def primary_for(self, intent: Intent) -> Registration | None:
        name = self.routes.get(intent)
        return self._by_name.get(name) if name else None

    def names(self) -> list[str]:
        """Every agent that runs for messages, primaries and standbys."""
        names: list[str] = []
        for registration in self._by_name.values():
            names.append(registration.name)
            if registration.standby is not None:
                names.append(registration.standby.name)
        return names


def default_registry(language_model: LanguageModel | None = None) -> AgentRegistry:
    """`language_model`: the optional model Smart Reply may phrase its answers with."""
    greeting = Registration(GreetingAgent(), standby=AcknowledgementAgent())
    return AgentRegistry(
        [
            greeting,
            Registration(
                SmartReplyAgent(language_model=language_model), standby=ApprovedAnswersAgent()
            ),
            Registration(OptOutAgent(), standby=OptOutBasicAgent()),
            Registration(HumanHandoffAgent(), critical=False),
            Registration(LeadScoringAgent(), standby=LeadScoringBasicAgent(), critical=False),
        ],
        routes={
            Intent.greeting: "greeting",
            Intent.product_question: "smart_reply",
            Intent.course: "smart_reply",
            # A vague wish for information is asked what about; a specific one answered.
            Intent.info_request: "smart_reply",
            # Policy questions ("do you deliver to Pune?") often read as nothing in particular.
            Intent.other: "smart_reply",
            # Policy questions read as orders or offers ("GST invoice milega?"); what it cannot
            # answer there it acknowledges, as the greeting agent did.
            Intent.order: "smart_reply",
            Intent.offer: "smart_reply",
            # Until the complaints agent exists, the greeting agent acknowledges and alerts.
            Intent.complaint: "greeting",
            Intent.opt_out: "opt_out",
            Intent.opt_in: "opt_out",
            Intent.human_request: "human_handoff",
        },
        side_effects=(LEAD_SCORING,),
        context_providers={
            KNOWLEDGE: lambda session, _: knowledge_index.current(session),
            ANSWER_POLICY: lambda session, settings: (
                workspace_service.current(session, settings).answer_policy
            ),
        },
    )
