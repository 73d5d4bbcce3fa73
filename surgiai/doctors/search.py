"""Free-text search over doctors: one stored, case-folded column (`doctor.search_text`) holding
what a person may type to find a doctor: name, WhatsApp profile name, username, hospital,
registration number, email and number.

One `LIKE '%…%'` over one column scans 100,000 doctors in about 20 ms where six `lower(...)`
comparisons took 65 ms (`make bench`, doctors_list). `models.search_text_of` writes the column
on every ORM flush and in the import's bulk statements."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement

from surgiai.doctors.models import Doctor

# A query of digits and the punctuation numbers are written with ("98765 43210",
# "+91-98765-43210") is a number: its digits are searched, whatever spacing the doctor's has.
_NUMBER_LIKE = re.compile(r"[\d\s+()\-.]+")


def matches(query: str) -> ColumnElement[bool] | None:
    """The condition for a typed query, or None when it holds nothing to search for."""
    query = query.strip()
    if _NUMBER_LIKE.fullmatch(query):
        needle = "".join(ch for ch in query if ch.isdigit())
    else:
        needle = " ".join(query.casefold().split())
    if not needle:
        return None
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Doctor.search_text.like(f"%{escaped}%", escape="\\")
