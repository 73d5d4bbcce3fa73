"""What a template shows and asks for, derived from its components as WhatsApp returns them."""

from __future__ import annotations

from typing import Any

from surgiai.templates.models import MessageTemplate
from tests.templates.graph import COURSE_REMINDER, ORDER_CONFIRMATION


def template(graph: dict[str, Any]) -> MessageTemplate:
    return MessageTemplate(
        name=graph["name"],
        language=graph["language"],
        status=graph["status"],
        parameter_format=graph["parameter_format"],
        components=graph["components"],
    )


class TestPositionalTemplate:
    def test_texts(self) -> None:
        course = template(COURSE_REMINDER)
        assert course.header_format == "TEXT"
        assert course.header_text == "{{1}} starts soon"
        assert course.body_text == (
            "Dear Dr. {{1}}, {{2}} starts on {{3}}. Reply to book a seat, Dr. {{1}}."
        )
        assert course.footer_text == "SurgiAI CME"
        assert course.button_texts == ["Book a seat", "Course page"]
        assert course.sendable

    def test_variables_per_component_each_once_in_number_order(self) -> None:
        assert template(COURSE_REMINDER).variables == {
            "header": ["1"],
            "body": ["1", "2", "3"],
            "button:1": ["1"],
        }

    def test_positional_variables_are_sorted_by_number_not_by_text(self) -> None:
        reordered = MessageTemplate(
            parameter_format="POSITIONAL",
            components=[{"type": "BODY", "text": "{{10}} then {{2}} then {{1}}"}],
        )
        assert reordered.variables == {"body": ["1", "2", "10"]}


class TestNamedTemplate:
    def test_media_header_has_no_text_and_no_variables(self) -> None:
        order = template(ORDER_CONFIRMATION)
        assert order.header_format == "IMAGE"
        assert order.header_text is None
        assert order.footer_text is None
        assert order.button_texts == []
        assert not order.sendable  # PENDING

    def test_named_variables_keep_the_order_of_the_text(self) -> None:
        assert template(ORDER_CONFIRMATION).variables == {"body": ["first_name", "order_number"]}
        assert template(ORDER_CONFIRMATION).body_text == (
            "Thank you, {{first_name}}! Order {{order_number}} is confirmed."
        )


class TestOddComponents:
    def test_nothing_to_read(self) -> None:
        empty = MessageTemplate(parameter_format="POSITIONAL", components=[])
        assert (empty.body_text, empty.header_text, empty.header_format) == (None, None, None)
        assert empty.button_texts == []
        assert empty.variables == {}

    def test_lowercase_types_a_header_without_format_and_junk_are_tolerated(self) -> None:
        odd = MessageTemplate(
            parameter_format="POSITIONAL",
            components=[
                "junk",
                {"type": "header", "text": "Hi {{1}}"},
                {"type": "body", "text": 42},
                {"type": "buttons", "buttons": ["junk", {"type": "PHONE_NUMBER", "text": "Call"}]},
            ],
        )
        assert odd.header_format == "TEXT"
        assert odd.header_text == "Hi {{1}}"
        assert odd.body_text is None
        assert odd.button_texts == ["Call"]
        assert odd.variables == {"header": ["1"]}
