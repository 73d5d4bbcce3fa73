"""The source-facts check: a reply may state only numbers, prices, dates, percentages and
product codes that its sources state. Both sides are read the same way and compared by value
("₹ 2,450" == "Rs.2450" == "2450"; "12 Jan 2027" == "12/01/2027" == "2027-01-12"), so wording
never matters and a changed digit always does. A computed figure passes only when the reply
shows its operands ("3 `TIMES` ₹2,450 = ₹7,350") and the arithmetic is right."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

# The multiplication sign replies show arithmetic with.
TIMES = "\N{MULTIPLICATION SIGN}"

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], tuple[int, int, int]], ...] = (
    # (pattern, group numbers of year, month, day)
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), (1, 2, 3)),
    # Day first, as India writes it.
    (re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b"), (3, 2, 1)),
    (re.compile(rf"\b(\d{{1,2}}){_ORDINAL}\s+{_MONTH},?\s+(\d{{4}})\b", re.I), (3, 2, 1)),
    (re.compile(rf"\b{_MONTH}\s+(\d{{1,2}}){_ORDINAL},?\s+(\d{{4}})\b", re.I), (3, 1, 2)),
)
# Upper-case letters and digits, as catalogues print codes: "LT-5100", "OL/CS-3520", "PM1515".
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)*")
_NUMBER = r"(?:₹|\brs\.?|\binr)?\s*(?:\d{1,3}(?:,\d{2,3})+|\d+)(?:\.\d+)?"
_NUMBER_FACT = re.compile(rf"{_NUMBER}\s*%?", re.I)
_ARITHMETIC = re.compile(rf"({_NUMBER})\s*([{TIMES}x*+])\s*({_NUMBER})\s*=\s*({_NUMBER})", re.I)


@dataclass(frozen=True)
class Fact:
    # What it means, for comparison: "num:2450", "date:2027-01-12", "code:LT5100".
    key: str
    # As the text writes it.
    text: str
    start: int
    end: int


def extract_facts(text: str) -> list[Fact]:
    """Every date, product code, number, price and percentage `text` states, in order."""
    facts: list[Fact] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for pattern, (year, month, day) in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if not free(match.start(), match.end()):
                continue
            parsed = _date(match.group(year), match.group(month), match.group(day))
            if parsed is not None:
                facts.append(Fact(f"date:{parsed.isoformat()}", match.group(), *match.span()))
                taken.append(match.span())
    for match in _TOKEN.finditer(text):
        token = match.group()
        is_code = (
            any(c.isdigit() for c in token)
            and any(c.isupper() for c in token)
            and not any(c.islower() for c in token)
        )
        if is_code and free(*match.span()):
            facts.append(Fact(f"code:{code_key(token)}", token, *match.span()))
            taken.append(match.span())
    for match in _NUMBER_FACT.finditer(text):
        if free(*match.span()) and (value := number_value(match.group())) is not None:
            facts.append(Fact(f"num:{value}", match.group().strip(), *match.span()))
    return sorted(facts, key=lambda fact: fact.start)


def stated_facts(text: str) -> tuple[str, ...]:
    """The facts of `text` as it writes them ("₹2,450", "LT-5100", "12 Sep 2026")."""
    return tuple(fact.text for fact in extract_facts(text))


def unsupported_facts(text: str, sources: str) -> list[str]:
    """The facts of `text` that `sources` does not state, as `text` writes them. A result of
    arithmetic shown with its operands is supported when the arithmetic is right (its operands
    are checked like any other fact)."""
    known = {fact.key for fact in extract_facts(sources)}
    derived = {f"num:{value}" for value in _computed_results(text)}
    return [
        fact.text
        for fact in extract_facts(text)
        if fact.key not in known and fact.key not in derived
    ]


def number_value(written: str) -> str | None:
    """A written number as plain digits: "₹ 2,450.00" → "2450", "12%" → "12"."""
    digits = re.sub(r"[^\d.]", "", written.replace("Rs.", "").replace("rs.", "")).strip(".")
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    return _plain(value)


def code_key(code: str) -> str:
    """How codes compare: "lt 5100", "LT-5100" and "LT5100" are one code."""
    return re.sub(r"[^A-Z0-9]", "", code.upper())


def _computed_results(text: str) -> list[str]:
    results = []
    for match in _ARITHMETIC.finditer(text):
        left, right, result = (number_value(match.group(i)) for i in (1, 3, 4))
        operator = match.group(2)
        if left is None or right is None or result is None:
            continue
        computed = (
            Decimal(left) + Decimal(right) if operator == "+" else Decimal(left) * Decimal(right)
        )
        if abs(computed - Decimal(result)) < Decimal("0.005"):
            results.append(result)
    return results


def _plain(value: Decimal) -> str:
    normalized = value.normalize()
    return f"{normalized:f}"


def _date(year: str, month: str, day: str) -> date | None:
    month_number = int(month) if month.isdigit() else _MONTHS[month.lower().rstrip(".")]
    try:
        return date(int(year), month_number, int(day))
    except ValueError:
        return None
