"""Rupee amounts as doctors read them: ₹ with Indian digit grouping (lakh, crore)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def format_inr(amount: Decimal) -> str:
    """ "₹1,25,000", "₹2,450.50": paise only when there are some."""
    sign = "-" if amount < 0 else ""
    whole, _, paise = str(abs(amount).quantize(Decimal("0.01"), ROUND_HALF_UP)).partition(".")
    # The last three digits form one group, every group above them has two.
    head, groups = whole[:-3], [whole[-3:]]
    while head:
        groups.insert(0, head[-2:])
        head = head[:-2]
    grouped = ",".join(groups)
    return f"{sign}₹{grouped}" if paise == "00" else f"{sign}₹{grouped}.{paise}"
