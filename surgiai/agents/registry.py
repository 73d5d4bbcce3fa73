"""Which agents exist, which standby backs each critical one, and which agent answers which
intent. Adding a sub-agent: implement `Agent`, register it here (with its standby if it is
critical), route its intents."""

from __future__ import annotations

from dataclasses import dataclass

from surgiai.agents.base import Agent
from surgiai.agents.greeting.agent import AcknowledgementAgent, GreetingAgent
from surgiai.agents.handoff.agent import HumanHandoffAgent
from surgiai.agents.language import Intent
from surgiai.agents.opt_out.agent import OptOutAgent, OptOutBasicAgent

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
    ) -> None:
        self._by_name = {registration.name: registration for registration in registrations}
        self.routes = routes
        self.side_effects = side_effects
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


def default_registry() -> AgentRegistry:
    greeting = Registration(GreetingAgent(), standby=AcknowledgementAgent())
    return AgentRegistry(
        [
            greeting,
            Registration(OptOutAgent(), standby=OptOutBasicAgent()),
            Registration(HumanHandoffAgent(), critical=False),
        ],
        routes={
            Intent.greeting: "greeting",
            # Until the specialist agents exist, the greeting agent acknowledges these.
            Intent.product_question: "greeting",
            Intent.order: "greeting",
            Intent.course: "greeting",
            Intent.offer: "greeting",
            Intent.complaint: "greeting",
            # Asked what they want to know (the Smart Reply agent will answer it).
            Intent.info_request: "greeting",
            Intent.other: "greeting",
            Intent.opt_out: "opt_out",
            Intent.opt_in: "opt_out",
            Intent.human_request: "human_handoff",
        },
    )
