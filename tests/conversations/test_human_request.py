"""A doctor asking for a person, in the many ways doctors write it."""

from __future__ import annotations

import pytest

from surgiai.conversations.human_request import asks_for_human


@pytest.mark.parametrize(
    "text",
    [
        "Talk to a human",
        "can I speak with someone?",
        "Please call me",
        "Kindly call me back tomorrow",
        "I want a real person",
        "human please",
        "Agent",
        "connect me to your sales team",
        "Could you call me at 5?",
        "I need to speak to a representative",
        "I\u2019d like to talk to customer care",
        "give me a call",
        "stop the bot",
        "please call karo",
        "mujhe kisi se baat karni hai",
        "CALL ME ASAP!!",
    ],
)
def test_requests_for_a_person(text: str) -> None:
    assert asks_for_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "Don't call me",
        "please do not call me, just text",
        "no need to call",
        "What is the price of the 5 mm trocar?",
        "call me Dr. Sharma",
        "The agent was helpful",
        "I am a human being",
        "How do I get the course certificate?",
        "",
    ],
)
def test_everything_else(text: str) -> None:
    assert not asks_for_human(text)
