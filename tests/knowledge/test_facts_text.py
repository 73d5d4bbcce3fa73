"""Facts compared as text, whatever their spelling."""

from __future__ import annotations

import pytest

from surgiai.knowledge.facts_text import contains_fact, normalise_fact


class TestNormalise:
    @pytest.mark.parametrize("spelling", ["₹2450", "₹ 2,450", "Rs. 2,450", "2,450", "INR 2450.00"])
    def test_one_price_however_written(self, spelling: str) -> None:
        assert normalise_fact(spelling) == "2450"

    def test_codes_and_sizes(self) -> None:
        assert normalise_fact("TR-0500") == normalise_fact("tr0500") == "tr 0500"
        assert normalise_fact("5mm") == normalise_fact("5 mm")

    def test_indian_grouping(self) -> None:
        assert normalise_fact("₹ 1,25,000") == normalise_fact("125000")


class TestContains:
    def test_found_as_whole_words_only(self) -> None:
        text = normalise_fact("Linear Cutter: Rs. 18,500. Clip: ₹12,450.")
        assert contains_fact(text, "₹ 18,500")
        assert contains_fact(text, "12450")
        assert not contains_fact(text, "2,450")
        assert not contains_fact(text, "1850")

    def test_dates_and_words(self) -> None:
        text = normalise_fact("Held on 14 March 2026 in Pune; returns within 15 days.")
        assert contains_fact(text, "14 March 2026")
        assert contains_fact(text, "15 days")
        assert not contains_fact(text, "14 April 2026")
