from __future__ import annotations

import pytest

from surgiai.kit.phone import NotAMobileNumber, ParsedPhone, parse_mobile
from surgiai.kit.phone import mask_number as mask_phone


class TestMaskPhone:
    @pytest.mark.parametrize(
        ("number", "masked"),
        [
            ("+919812341234", "+********1234"),
            ("919812341234", "+********1234"),
            ("+1 (650) 555-1234", "+*******1234"),
            ("1234", "****"),
            ("", ""),
            (None, ""),
        ],
    )
    def test_keeps_only_the_last_four_digits(self, number: str | None, masked: str) -> None:
        assert mask_phone(number) == masked


class TestParseMobile:
    @pytest.mark.parametrize(
        "typed",
        ["098765 43210", "+91-98765-43210", "0091 98765 43210", "9876543210", "(+91) 98765.43210"],
    )
    def test_indian_numbers_as_people_type_them(self, typed: str) -> None:
        assert parse_mobile(typed) == ParsedPhone("+919876543210", "919876543210")

    def test_other_countries_with_their_code_and_another_default_region(self) -> None:
        assert parse_mobile("+971 50 123 4567").wa_id == "971501234567"
        assert parse_mobile("07911 123456", default_region="GB").e164 == "+447911123456"

    @pytest.mark.parametrize(
        ("typed", "reason"),
        [
            ("98765", "too few or too many digits"),
            ("98765abcde", "letters"),
            ("011 2345 6789", "landline"),
            ("", "no number"),
            ("+91 55555 55555", "not a valid number"),
        ],
    )
    def test_what_is_no_mobile_number_is_refused_with_the_reason(
        self, typed: str, reason: str
    ) -> None:
        with pytest.raises(NotAMobileNumber, match=reason):
            parse_mobile(typed)
