"""WhatsApp formatting rendered as safe HTML, and template variables."""

from __future__ import annotations

import pytest

from surgiai.conversations.formatting import fill_variables, to_html


class TestToHtml:
    @pytest.mark.parametrize(
        ("text", "html"),
        [
            ("*bold*", "<strong>bold</strong>"),
            ("_italic_ and ~gone~", "<em>italic</em> and <del>gone</del>"),
            ("```no *bold* here```", "<code>no *bold* here</code>"),
            ("use `code`", "use <code>code</code>"),
            ("*Price:* ₹4,500", "<strong>Price:</strong> ₹4,500"),
            ("2*3*4 stays", "2*3*4 stays"),
            ("a * not bold *", "a * not bold *"),
            ("snake_case_name", "snake_case_name"),
            ("line one\nline two", "line one<br>line two"),
            ("- sterile\n- single use", "• sterile<br>• single use"),
            ("1. open\n2. close", "1. open<br>2. close"),
            ("> quoted", "<blockquote>quoted</blockquote>"),
        ],
    )
    def test_whatsapp_markers(self, text: str, html: str) -> None:
        assert to_html(text) == html

    def test_markup_in_text_is_escaped_never_interpreted(self) -> None:
        hostile = '<img src=x onerror="alert(1)"> *<script>alert(2)</script>*'
        rendered = to_html(hostile)
        assert "<img" not in rendered and "<script>" not in rendered
        assert rendered == (
            "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; "
            "<strong>&lt;script&gt;alert(2)&lt;/script&gt;</strong>"
        )


class TestFillVariables:
    def test_positional_and_named_values_fill_and_missing_ones_are_reported(self) -> None:
        text, missing = fill_variables(
            "Dear {{1}}, your {{ course }} starts {{2}}", {"1": "Dr Rao", "course": "CME"}
        )
        assert text == "Dear Dr Rao, your CME starts {{2}}"
        assert missing == ["2"]
