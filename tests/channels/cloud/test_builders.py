from __future__ import annotations

import pytest

from surgiai.channels.cloud import builders
from surgiai.channels.cloud.builders import ListRow, ListSection, MediaHeader, ReplyButton
from surgiai.channels.validation import OutboundValidationError

TO = "+919812345678"


class TestBuildersRefuseEarly:
    def test_text_too_long(self) -> None:
        with pytest.raises(OutboundValidationError, match="text body has 4097"):
            builders.text_message(TO, "x" * 4097)

    def test_caption_too_long(self) -> None:
        with pytest.raises(OutboundValidationError, match="caption has 1025"):
            builders.image_message(TO, media_id="1", caption="c" * 1025)

    def test_media_needs_exactly_one_source(self) -> None:
        with pytest.raises(OutboundValidationError, match="not both"):
            builders.document_message(TO, media_id="1", link="https://x/y.pdf")
        with pytest.raises(OutboundValidationError, match="needs a media id or a link"):
            builders.audio_message(TO, voice=True)

    def test_four_buttons(self) -> None:
        four = [ReplyButton(str(n), f"Option {n}") for n in range(4)]
        with pytest.raises(OutboundValidationError, match="4 reply buttons"):
            builders.buttons_message(TO, "Pick", four)

    def test_button_title_over_twenty(self) -> None:
        with pytest.raises(OutboundValidationError, match="title has 21 characters"):
            builders.buttons_message(TO, "Pick", [ReplyButton("a", "x" * 21)])

    def test_header_text_and_media(self) -> None:
        with pytest.raises(OutboundValidationError, match="either text or media"):
            builders.buttons_message(
                TO,
                "Pick",
                [ReplyButton("a", "A")],
                header_text="Hi",
                header_media=MediaHeader("image", id="1"),
            )

    def test_eleven_rows(self) -> None:
        sections = [ListSection(None, [ListRow(str(n), f"Row {n}") for n in range(11)])]
        with pytest.raises(OutboundValidationError, match="11 list rows"):
            builders.list_message(TO, "Pick", "Options", sections)

    def test_template_media_header_source(self) -> None:
        with pytest.raises(OutboundValidationError, match="header needs a media id or a link"):
            builders.template_message(TO, "promo", "en", header_media=MediaHeader("image"))

    def test_template_text_and_media_header(self) -> None:
        with pytest.raises(OutboundValidationError, match="either text or media"):
            builders.template_message(
                TO, "promo", "en", header_params=["x"], header_media=MediaHeader("image", id="1")
            )

    def test_template_params_must_not_be_a_bare_string(self) -> None:
        with pytest.raises(OutboundValidationError, match="list or a mapping"):
            builders.template_message(TO, "promo", "en", body_params="Priya")

    def test_bad_template_name(self) -> None:
        with pytest.raises(OutboundValidationError, match="lowercase"):
            builders.template_message(TO, "Promo Offer", "en")


class TestBuilderShapes:
    def test_voice_flag_only_when_voice(self) -> None:
        assert builders.audio_message(TO, media_id="1").payload == {"id": "1"}
        assert builders.audio_message(TO, media_id="1", voice=True).payload == {
            "id": "1",
            "voice": True,
        }

    def test_reaction_removal(self) -> None:
        message = builders.reaction_message(TO, "wamid.X", "")
        assert message.payload == {"message_id": "wamid.X", "emoji": ""}
        assert message.context_message_id is None
