from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from surgiai.doctors.filters import DoctorFilter
from surgiai.doctors.models import ImportState


class DoctorImportRejection(BaseModel):
    row: int
    reason: str


class DoctorImportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    mapping: dict[str, str]
    state: ImportState
    failure_reason: str | None
    rows_total: int | None
    rows_done: int
    added: int
    updated: int
    unchanged: int
    rejected: list[DoctorImportRejection]
    created_at: datetime
    finished_at: datetime | None


class PreviewRowRead(BaseModel):
    row: int
    # field → the cell as read (the mobile number as E.164 when it is one).
    values: dict[str, str]
    problem: str | None


class ImportPreviewRead(BaseModel):
    # "CSV (UTF-8)", "XLSX sheet 'Doctors'"
    source: str
    # The file's columns, in order.
    headers: list[str]
    # field → column header: detected from the headers, or as sent.
    mapping: dict[str, str]
    # The fields a column can fill (columns mapped to none become custom fields).
    fields: list[str]
    rows: list[PreviewRowRead]


class DoctorExportQuery(DoctorFilter):
    format: Literal["csv", "xlsx"] = "csv"
