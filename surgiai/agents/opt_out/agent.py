"""STOP / UNSUBSCRIBE and START: the doctor's marketing preference, recorded (so no marketing
message reaches them again, on any number) and confirmed to them in plain words."""

from __future__ import annotations

from typing import ClassVar

from surgiai.agents.base import Action, AgentConfig, AgentContext, Reply, SetMarketingPreference
from surgiai.agents.language import Intent

OPTED_OUT = (
    "You will no longer receive offers or promotional messages from us. You can still write to "
    "us here at any time. Reply START to receive them again."
)
# The model guessed STOP/START from a sentence (it cannot read negation: "don't stop sending"):
# consent changes only on the doctor's explicit word.
CONFIRM = "To stop our offers and promotions, reply STOP. To receive them again, reply START."
OPTED_IN = (
    "Welcome back! You will receive our offers and course announcements again. Reply STOP at "
    "any time to stop them."
)


class OptOutAgent:
    name: ClassVar[str] = "opt_out"
    description: ClassVar[str] = "Records STOP/UNSUBSCRIBE and START and confirms them."
    handles: ClassVar[frozenset[Intent]] = frozenset({Intent.opt_out, Intent.opt_in})

    def __init__(self, config: AgentConfig | None = None) -> None:
        self.config = config or AgentConfig()

    def handle(self, context: AgentContext) -> list[Action]:
        if context.classification.source != "rule":
            return [Reply("text", {"body": CONFIRM})]
        opted_out = context.intent is Intent.opt_out
        already = context.doctor.marketing_opted_out == opted_out
        text = OPTED_OUT if opted_out else OPTED_IN
        if already:
            text = (
                "You are already unsubscribed from our offers. Reply START to receive them again."
                if opted_out
                else "You are already subscribed to our offers. Reply STOP to stop them."
            )
        return [SetMarketingPreference(opted_out=opted_out), Reply("text", {"body": text})]


class OptOutBasicAgent:
    """Standby: records the preference and confirms with the same fixed sentences."""

    name: ClassVar[str] = "opt_out_basic"
    description: ClassVar[str] = "Standby: records the preference, fixed confirmation."
    handles: ClassVar[frozenset[Intent]] = OptOutAgent.handles

    def __init__(self, config: AgentConfig | None = None) -> None:
        self.config = config or AgentConfig(timeout_seconds=1.0)

    def handle(self, context: AgentContext) -> list[Action]:
        if context.classification.source != "rule":
            return [Reply("text", {"body": CONFIRM})]
        opted_out = context.intent is Intent.opt_out
        return [
            SetMarketingPreference(opted_out=opted_out),
            Reply("text", {"body": OPTED_OUT if opted_out else OPTED_IN}),
        ]
