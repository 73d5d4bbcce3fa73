"""Greeting and acknowledgement: a warm, specific first answer, so no doctor waits in silence
while the specialist agents (or a person) prepare the full one. Its standby is a fixed
acknowledgement that cannot fail."""

from __future__ import annotations

from typing import ClassVar

from surgiai.agents.base import Action, AgentConfig, AgentContext, NotifyTeam, Reply
from surgiai.agents.language import Intent


class GreetingConfig(AgentConfig):
    company: str = "our team"


def salutation(context: AgentContext) -> str:
    name = context.doctor.display_name
    # A WhatsApp username stands in for a name, as the doctor chose it: "Thank you, @dr.iyer".
    if name.startswith("@"):
        return name
    # A number or an id is not a name: "Hello Doctor" reads better than "Hello +9198…".
    if name.startswith(("+", "WhatsApp user")) or not any(ch.isalpha() for ch in name):
        return "Doctor"
    return name if name.lower().startswith("dr") else f"Dr. {name}"


ACKNOWLEDGEMENTS: dict[Intent, str] = {
    Intent.product_question: (
        "Thank you, {name}. We have your question about our products and will reply with the "
        "details shortly."
    ),
    Intent.order: (
        "Thank you, {name}. We have your order request; our team will confirm the quantities, "
        "price and delivery shortly."
    ),
    Intent.course: (
        "Thank you, {name}. We have your question about our CME courses and will send you the "
        "details shortly."
    ),
    Intent.offer: ("Thank you, {name}. We will send you the offers that apply to you shortly."),
    # A wish for information that does not say about what: ask, rather than guess.
    Intent.info_request: (
        "Of course, {name}. What would you like to know? For example a product's price or pack "
        "size, a CME course's dates and fees, or the status of your order."
    ),
    Intent.complaint: (
        "We are sorry to hear this, {name}. We have noted it and a member of our team will look "
        "into it right away."
    ),
}


class GreetingAgent:
    name: ClassVar[str] = "greeting"
    description: ClassVar[str] = (
        "Greets doctors and acknowledges their questions, orders, course requests and "
        "complaints by what they are about."
    )
    handles: ClassVar[frozenset[Intent]] = frozenset(
        {
            Intent.greeting,
            Intent.product_question,
            Intent.order,
            Intent.course,
            Intent.offer,
            Intent.complaint,
            Intent.info_request,
            Intent.other,
        }
    )

    def __init__(self, config: GreetingConfig | None = None) -> None:
        self.config = config or GreetingConfig()

    def handle(self, context: AgentContext) -> list[Action]:
        name = salutation(context)
        intent = context.intent
        actions: list[Action] = []
        if intent is Intent.greeting:
            first_time = not any(m.direction == "out" for m in context.history)
            text = (
                f"Hello {name}! Welcome to {self.config.company}. How can we help you today? "
                "You can ask about our surgical products, prices, orders or CME courses."
                if first_time
                else f"Hello again, {name}! How can we help you today?"
            )
        else:
            template = ACKNOWLEDGEMENTS.get(
                intent,
                "Thank you, {name}. We have your message and will get back to you shortly.",
            )
            text = template.format(name=name)
        if intent is Intent.complaint:
            actions.append(
                NotifyTeam(
                    f"Complaint from {context.doctor.display_name}",
                    body=context.text[:500] or None,
                )
            )
        actions.insert(0, Reply("text", {"body": text}))
        return actions


class AcknowledgementAgent:
    """Standby for the greeting agent: one fixed sentence, no branching, nothing to fail."""

    name: ClassVar[str] = "acknowledgement"
    description: ClassVar[str] = "Standby: a fixed acknowledgement of any message."
    handles: ClassVar[frozenset[Intent]] = GreetingAgent.handles

    def __init__(self, config: AgentConfig | None = None) -> None:
        self.config = config or AgentConfig(timeout_seconds=1.0)

    def handle(self, context: AgentContext) -> list[Action]:
        return [
            Reply(
                "text",
                {"body": "Thank you for your message. Our team will get back to you shortly."},
            )
        ]
