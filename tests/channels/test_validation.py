from __future__ import annotations

from typing import Any

import pytest

from surgiai.channels.base import OutboundMessage
from surgiai.channels.validation import (
    OutboundValidationError,
    outbound_problems,
    validate_outbound,
    validate_upload,
)

TO = "+919812345678"


def problems(type_: str, payload: dict[str, Any], **extra: Any) -> list[str]:
    return outbound_problems(OutboundMessage(to=TO, type=type_, payload=payload, **extra))


def buttons(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {
        "type": "button",
        "body": {"text": "Pick one"},
        "action": {
            "buttons": [{"type": "reply", "reply": {"id": i, "title": t}} for i, t in pairs]
        },
    }


def a_list(sections: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "list",
        "body": {"text": "Pick"},
        "action": {"button": "Options", "sections": sections},
        **extra,
    }


def rows(count: int, start: int = 0) -> list[dict[str, str]]:
    return [{"id": f"r{n}", "title": f"Row {n}"} for n in range(start, start + count)]


class TestText:
    def test_limit_is_inclusive(self) -> None:
        assert problems("text", {"body": "x" * 4096}) == []

    def test_too_long(self) -> None:
        assert problems("text", {"body": "x" * 4097}) == [
            "text body has 4097 characters; the limit is 4096"
        ]

    @pytest.mark.parametrize("payload", [{}, {"body": ""}, {"body": "   "}, {"body": 5}])
    def test_empty(self, payload: dict[str, Any]) -> None:
        assert problems("text", payload) == ["text body is empty"]


class TestMedia:
    def test_caption_limit(self) -> None:
        assert problems("image", {"id": "1", "caption": "c" * 1024}) == []
        assert problems("document", {"id": "1", "caption": "c" * 1025}) == [
            "caption has 1025 characters; the limit is 1024"
        ]

    def test_id_xor_link(self) -> None:
        assert problems("video", {"id": "1", "link": "https://x/y.mp4"}) == [
            "video must have a media id or a link, not both"
        ]
        assert problems("audio", {"voice": True}) == ["audio needs a media id or a link"]

    @pytest.mark.parametrize("media_type", ["audio", "sticker"])
    def test_no_caption_on_audio_or_sticker(self, media_type: str) -> None:
        assert problems(media_type, {"id": "1", "caption": "hi"}) == [
            f"{media_type} messages cannot have a caption"
        ]


class TestReplyButtons:
    def test_three_is_fine(self) -> None:
        assert problems("interactive", buttons(("a", "A"), ("b", "B"), ("c", "C"))) == []

    def test_four_is_too_many(self) -> None:
        payload = buttons(("a", "A"), ("b", "B"), ("c", "C"), ("d", "D"))
        assert problems("interactive", payload) == ["4 reply buttons; the limit is 3"]

    def test_title_length(self) -> None:
        assert problems("interactive", buttons(("a", "x" * 20))) == []
        assert problems("interactive", buttons(("a", "x" * 21))) == [
            "button 1 title has 21 characters; the limit is 20"
        ]

    def test_unique_ids_and_titles(self) -> None:
        assert problems("interactive", buttons(("a", "Yes"), ("a", "Yes"))) == [
            "reply button ids must be unique",
            "reply button titles must be unique",
        ]

    def test_id_length_and_empty_title(self) -> None:
        assert problems("interactive", buttons(("i" * 257, ""))) == [
            "button 1 id has 257 characters; the limit is 256",
            "button 1 title is empty",
        ]

    def test_body_footer_header(self) -> None:
        payload = buttons(("a", "A"))
        payload["body"] = {"text": "b" * 1025}
        payload["footer"] = {"text": "f" * 61}
        payload["header"] = {"type": "text", "text": "h" * 61}
        assert problems("interactive", payload) == [
            "footer has 61 characters; the limit is 60",
            "body has 1025 characters; the limit is 1024",
            "header has 61 characters; the limit is 60",
        ]

    def test_no_buttons(self) -> None:
        assert problems("interactive", buttons()) == [
            "reply buttons message needs at least one button"
        ]

    def test_media_header_needs_a_source(self) -> None:
        payload = buttons(("a", "A"))
        payload["header"] = {"type": "image", "image": {}}
        assert problems("interactive", payload) == ["image header needs a media id or a link"]


class TestList:
    def test_valid(self) -> None:
        sections = [{"title": "One", "rows": rows(5)}, {"title": "Two", "rows": rows(5, 5)}]
        assert problems("interactive", a_list(sections)) == []

    def test_single_section_needs_no_title(self) -> None:
        assert problems("interactive", a_list([{"rows": rows(1)}])) == []

    def test_more_than_ten_rows_in_total(self) -> None:
        sections = [{"title": "One", "rows": rows(6)}, {"title": "Two", "rows": rows(5, 6)}]
        assert problems("interactive", a_list(sections)) == [
            "11 list rows in total; the limit is 10"
        ]

    def test_more_than_ten_sections(self) -> None:
        sections = [{"title": f"S{n}", "rows": rows(1, n)} for n in range(11)]
        assert problems("interactive", a_list(sections)) == [
            "11 list sections; the limit is 10",
            "11 list rows in total; the limit is 10",
        ]

    def test_text_limits(self) -> None:
        sections: list[dict[str, Any]] = [
            {
                "title": "s" * 25,
                "rows": [{"id": "i" * 201, "title": "t" * 25, "description": "d" * 73}],
            },
            {"rows": rows(1)},
        ]
        payload = a_list(sections, header={"type": "image", "image": {"id": "1"}})
        payload["action"]["button"] = "b" * 21
        assert problems("interactive", payload) == [
            "header type 'image' is not allowed here (use text)",
            "list button label has 21 characters; the limit is 20",
            "section 1 title has 25 characters; the limit is 24",
            "row 1 id has 201 characters; the limit is 200",
            "row 1 title has 25 characters; the limit is 24",
            "row 1 description has 73 characters; the limit is 72",
            "section 2 title is empty",
        ]

    def test_duplicate_row_ids_and_empty_section(self) -> None:
        sections = [{"title": "A", "rows": rows(2)}, {"title": "B", "rows": rows(1)}]
        sections.append({"title": "C", "rows": []})
        assert problems("interactive", a_list(sections)) == [
            "section 3 has no rows",
            "list row ids must be unique",
        ]


class TestOtherTypes:
    def test_reaction(self) -> None:
        assert problems("reaction", {"message_id": "wamid.X", "emoji": ""}) == []
        assert problems("reaction", {"emoji": 1}) == [
            "reaction needs the message_id it reacts to",
            'reaction needs an emoji ("" removes the reaction)',
        ]

    def test_template(self) -> None:
        assert problems("template", {"name": "hello_world", "language": {"code": "en"}}) == []
        assert problems("template", {"name": "Hello World", "components": {}}) == [
            "template name 'Hello World' must be 1-512 lowercase letters, digits or _",
            "template needs a language code",
            "template components must be a list",
        ]

    def test_unknown_types_are_left_to_meta(self) -> None:
        assert problems("location", {"latitude": 1, "longitude": 2}) == []


class TestEnvelope:
    @pytest.mark.parametrize("to", ["+91 98123 45678", "919812345678", "+1 (650) 555-1234"])
    def test_phone_formats(self, to: str) -> None:
        message = OutboundMessage(to=to, type="text", payload={"body": "Hi"})
        assert outbound_problems(message) == []

    @pytest.mark.parametrize("to", ["", "doctor", "+", "91-98x"])
    def test_bad_recipient(self, to: str) -> None:
        message = OutboundMessage(to=to, type="text", payload={"body": "Hi"})
        assert outbound_problems(message) == [f"recipient {to!r} is not a phone number"]

    def test_callback_data_limit(self) -> None:
        assert problems("text", {"body": "Hi"}, biz_opaque_callback_data="x" * 513) == [
            "biz_opaque_callback_data has 513 characters; the limit is 512"
        ]

    def test_empty_context(self) -> None:
        assert problems("text", {"body": "Hi"}, context_message_id="") == [
            "context message id is empty"
        ]


class TestValidateOutbound:
    def test_raises_a_400_listing_every_problem(self) -> None:
        message = OutboundMessage(to="doctor", type="text", payload={"body": ""})
        with pytest.raises(OutboundValidationError) as caught:
            validate_outbound(message)
        assert caught.value.status_code == 400
        assert caught.value.problems == [
            "recipient 'doctor' is not a phone number",
            "text body is empty",
        ]
        assert caught.value.detail == "recipient 'doctor' is not a phone number; text body is empty"

    def test_valid_message_passes(self) -> None:
        validate_outbound(OutboundMessage(to=TO, type="text", payload={"body": "Hi"}))


class TestValidateUpload:
    @pytest.mark.parametrize(
        ("mime_type", "size"),
        [
            ("audio/ogg; codecs=opus", 16 * 1024 * 1024),
            ("application/pdf", 100 * 1024 * 1024),
            ("image/JPEG", 1),
            ("image/webp", 500 * 1024),
        ],
    )
    def test_accepted(self, mime_type: str, size: int) -> None:
        validate_upload(mime_type, size)

    @pytest.mark.parametrize(
        ("mime_type", "size", "message"),
        [
            ("image/png", 5 * 1024 * 1024 + 1, "image/png files are limited to 5120 KB"),
            ("image/webp", 500 * 1024 + 1, "image/webp files are limited to 500 KB"),
            ("image/gif", 10, "WhatsApp does not accept image/gif files"),
            ("", 10, "WhatsApp does not accept untyped files"),
            ("video/mp4", 0, "the file is empty"),
        ],
    )
    def test_refused(self, mime_type: str, size: int, message: str) -> None:
        with pytest.raises(OutboundValidationError, match=message):
            validate_upload(mime_type, size)
