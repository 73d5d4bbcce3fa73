from __future__ import annotations

import pytest

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
