"""Human Handoff: a doctor who asks for a person, and the last resort when every agent for a
message failed. The Master Agent applies `HandOff`: human mode, the team notified, the doctor
told that a person will answer."""

from __future__ import annotations

from typing import ClassVar

from surgiai.agents.base import Action, AgentConfig, AgentContext, HandOff
from surgiai.agents.language import Intent


class HumanHandoffAgent:
    name: ClassVar[str] = "human_handoff"
    description: ClassVar[str] = "Hands the conversation to a person and tells the doctor."
    handles: ClassVar[frozenset[Intent]] = frozenset({Intent.human_request})

    def __init__(self, config: AgentConfig | None = None) -> None:
        self.config = config or AgentConfig()

    def handle(self, context: AgentContext) -> list[Action]:
        return [HandOff("The doctor asked to talk to a person.")]
