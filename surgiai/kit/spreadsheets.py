"""Spreadsheets as people send them: CSV text in whatever encoding Excel or a phone saved it in,
and XLSX cells as the text they show. Shared by every import (products, doctors)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from surgiai.errors import UnsupportedMediaType


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in: UTF-8 with or without a byte-order
    mark, UTF-16 with or without one, else Windows-1252 (Excel's "CSV" on Windows)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "UTF-16"
    sample = data[:4096]
    if sample and sample.count(b"\x00") * 4 >= len(sample):
        # UTF-16 without a byte-order mark: the zero bytes say which end is which.
        codec = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        return data.decode(codec, errors="replace"), "UTF-16"
    if b"\x00" in sample:
        raise UnsupportedMediaType("This is not a CSV or XLSX file: it holds binary data.")
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def xlsx_cell(value: object) -> str:
    """A cell's value as the sheet shows it: a mobile or a price typed into a number cell
    (9876543210.0, 2450.0) without its ".0", dates as ISO dates, booleans as yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        number = Decimal(repr(value))
        return format(number.normalize(), "f") if number == number.to_integral() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
