"""Exporting doctors (the Doctors list's filter) as CSV or XLSX, safe to open in a spreadsheet:
a cell that starts with =, +, -, @, a tab or a carriage return is prefixed with ' so that no
spreadsheet runs it as a formula (OWASP CSV injection). Importing an export takes the prefix off
again."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from surgiai.doctors.filters import DoctorFilter, where
from surgiai.doctors.models import Doctor, DoctorTag

BATCH_SIZE = 1000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADERS = [
    "Name",
    "Mobile",
    "Specialty",
    "City",
    "State",
    "Hospital",
    "Registration No",
    "Email",
    "Language",
    "Tags",
    "Score",
    "Stage",
    "Opted out",
    "Last inbound",
    "Last outbound",
]


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def _custom_headers(session: Session, f: DoctorFilter) -> list[str]:
    """Every custom field any exported doctor has, as a column each (so that the export
    imports back as it was)."""
    found: dict[str, None] = {}
    for fields in session.scalars(select(Doctor.custom_fields).where(where(f))):
        for key in fields or {}:
            found.setdefault(str(key), None)
    return [key for key in found if key not in HEADERS]


def rows(session: Session, f: DoctorFilter) -> Iterator[list[str]]:
    """The header, then one row per doctor with a number, by id, read a batch at a time."""
    custom = _custom_headers(session, f)
    yield [safe_cell(header) for header in [*HEADERS, *custom]]
    last_id = 0
    while True:
        batch = session.scalars(
            select(Doctor)
            .where(where(f), Doctor.id > last_id, Doctor.wa_id.is_not(None))
            .order_by(Doctor.id)
            .limit(BATCH_SIZE)
        ).all()
        if not batch:
            return
        tags: dict[int, list[str]] = {doctor.id: [] for doctor in batch}
        for doctor_id, tag in session.execute(
            select(DoctorTag.doctor_id, DoctorTag.tag)
            .where(DoctorTag.doctor_id.in_(tags))
            .order_by(DoctorTag.tag)
        ):
            tags[doctor_id].append(tag)
        for doctor in batch:
            fields = doctor.custom_fields or {}
            values: list[Any] = [
                doctor.name or doctor.profile_name,
                f"+{doctor.wa_id}",
                doctor.specialty,
                doctor.city,
                doctor.state,
                doctor.hospital,
                doctor.registration_number,
                doctor.email,
                doctor.preferred_language,
                ", ".join(tags[doctor.id]),
                doctor.lead_score,
                doctor.stage.value,
                "opted out" if doctor.marketing_opted_out else "",
                _when(doctor.last_inbound_at),
                _when(doctor.last_outbound_at),
                *(fields.get(key) for key in custom),
            ]
            yield [safe_cell(value) for value in values]
        last_id = batch[-1].id
        session.expunge_all()


def csv_chunks(table: Iterator[list[str]]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark: Excel then reads Devanagari and Tamil names right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield b"\xef\xbb\xbf"
    for count, row in enumerate(table, start=1):
        writer.writerow(row)
        if count % BATCH_SIZE == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_file(table: Iterator[list[str]]) -> Iterator[bytes]:
    """An XLSX workbook; written row by row to a temporary file (openpyxl's write-only mode
    keeps no rows in memory), then sent in chunks."""
    import openpyxl  # type: ignore[import-untyped]

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Doctors")
    for row in table:
        sheet.append(row)
    with tempfile.TemporaryFile() as spool:
        workbook.save(spool)
        spool.seek(0)
        while chunk := spool.read(256 * 1024):
            yield chunk


def stream(
    open_session: Callable[[], Session], f: DoctorFilter, file_format: Literal["csv", "xlsx"]
) -> Iterator[bytes]:
    """The export's bytes, read in a session of its own: the response is sent after the
    request's unit of work has ended."""
    with open_session() as session:
        table = rows(session, f)
        yield from (csv_chunks(table) if file_format == "csv" else xlsx_file(table))
