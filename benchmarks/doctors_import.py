"""Importing doctors, embedded mode (SQLite): a 50,000-row list typed by hand (numbers in many
formats, 2% invalid, 2% repeated, Devanagari names) read, merged and applied as the task does
(batches committed one by one), from CSV and from XLSX; and the same CSV again (nothing
changes). Target: ≤ 20 s each."""

from __future__ import annotations

import io
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from surgiai.all_tasks import task_registry
from surgiai.config import Settings
from surgiai.db.engine import session_scope
from surgiai.db.migrate import upgrade
from surgiai.doctors.import_service import doctor_import_service
from surgiai.doctors.importing import file_mime_type
from surgiai.media.service import media_service
from surgiai.runtime import Runtime

ROWS = 50_000
TARGET_SECONDS = 20.0
HEADER = ["Dr Name", "Mobile", "Speciality", "City", "Hospital", "Tags", "Notes"]
SPECIALTIES = ["General Surgery", "Gynaecology", "Orthopaedics", "Urology", "ENT"]
CITIES = ["Pune", "Mumbai", "Jaipur", "Chennai", "Kochi", "Lucknow"]


def table(rows: int, seed: int = 17) -> list[list[Any]]:
    rng = random.Random(seed)
    out: list[list[Any]] = [HEADER]
    for index in range(rows):
        number = 9_000_000_000 + index * 7
        style = index % 4
        if index % 50 == 0:
            mobile: Any = f"98{index:03d}"  # too short: rejected
        elif index % 50 == 2:
            mobile = f"+91 {number - 7}"  # the previous row's number again: merged
        elif style == 0:
            mobile = f"+91 {str(number)[:5]} {str(number)[5:]}"
        elif style == 1:
            mobile = f"0{number}"
        elif style == 2:
            mobile = f"0091-{number}"
        else:
            mobile = number
        name = f"डॉ. अनीता {index}" if index % 3 == 0 else f"Dr. Anil Kumar {index}"
        out.append(
            [
                name,
                mobile,
                rng.choice(SPECIALTIES),
                rng.choice(CITIES),
                f"Hospital {index % 900}",
                "hot, laparoscopy" if index % 7 == 0 else "",
                f"note {index}",
            ]
        )
    return out


def as_csv(rows: list[list[Any]]) -> bytes:
    return "\n".join(",".join(str(cell) for cell in row) for row in rows).encode("utf-8")


def as_xlsx(rows: list[list[Any]]) -> bytes:
    import openpyxl  # type: ignore[import-untyped]

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Doctors")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed_import(runtime: Runtime, filename: str, data: bytes) -> dict[str, Any]:
    settings = runtime.settings
    started = time.perf_counter()
    with session_scope(runtime.session_factory) as session:
        mapping = doctor_import_service.checked_mapping(filename=filename, data=data, mapping=None)
        media = media_service.store(
            session, settings.data_dir / "media", data, mime_type=file_mime_type(data)
        )
        doctor_import = doctor_import_service.create(
            session, filename=filename, mapping=mapping, media_file_id=media.id, user_id=None
        )
        session.commit()
        report = doctor_import_service.run(
            session, doctor_import, data, settings.default_region, checkpoint=session.commit
        )
        figures = {
            "seconds": round(time.perf_counter() - started, 2),
            "rows": report.rows_total,
            "added": report.added,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": len(report.rejected),
        }
    return figures


def fresh_runtime(directory: Path) -> Runtime:
    settings = Settings(data_dir=directory, secret_key="bench-secret-key-0123456789")
    runtime = Runtime(settings, task_registry())
    upgrade(runtime.engine)
    return runtime


def run() -> dict[str, Any]:
    rows = table(ROWS)
    csv_data, xlsx_data = as_csv(rows), as_xlsx(rows)
    figures: dict[str, Any] = {"rows": ROWS, "target_seconds": TARGET_SECONDS}
    with tempfile.TemporaryDirectory() as directory:
        runtime = fresh_runtime(Path(directory) / "csv")
        try:
            figures["csv"] = timed_import(runtime, "doctors.csv", csv_data)
            figures["csv_again"] = timed_import(runtime, "doctors.csv", csv_data)
        finally:
            runtime.close()
        runtime = fresh_runtime(Path(directory) / "xlsx")
        try:
            figures["xlsx"] = timed_import(runtime, "doctors.xlsx", xlsx_data)
        finally:
            runtime.close()
    figures["within_target"] = all(
        figures[name]["seconds"] <= TARGET_SECONDS for name in ("csv", "csv_again", "xlsx")
    )
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
