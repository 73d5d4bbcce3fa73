from decimal import Decimal

import pytest

from surgiai.knowledge.money import format_inr


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        ("125000", "₹1,25,000"),
        ("2450.50", "₹2,450.50"),
        ("2450.5", "₹2,450.50"),
        ("2450.00", "₹2,450"),
        ("999", "₹999"),
        ("1000", "₹1,000"),
        ("12345678.9", "₹1,23,45,678.90"),
        ("0", "₹0"),
        ("-2450", "-₹2,450"),
        ("0.005", "₹0.01"),
    ],
)
def test_indian_grouping(amount: str, written: str) -> None:
    assert format_inr(Decimal(amount)) == written
