"""Importing doctors from a spreadsheet and exporting them to one."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile, status
from fastapi.responses import StreamingResponse

from surgiai.auth.dependencies import require
from surgiai.auth.models import User
from surgiai.auth.roles import Permission
from surgiai.dependencies import DbSession, RuntimeDep, SettingsDep, upload_route
from surgiai.doctors import exporting
from surgiai.doctors.filters import DoctorFilter
from surgiai.doctors.import_schemas import (
    DoctorExportQuery,
    DoctorImportRead,
    ImportPreviewRead,
    PreviewRowRead,
)
from surgiai.doctors.import_service import doctor_import_service
from surgiai.doctors.importing import (
    FIELDS,
    MAX_IMPORT_BYTES,
    check_size,
    file_mime_type,
    too_large,
)
from surgiai.errors import Unprocessable
from surgiai.kit.time import utcnow
from surgiai.media.service import media_service
from surgiai.workspace.dependencies import DefaultRegion

router = APIRouter(
    prefix="/api/v1/doctors",
    tags=["doctors"],
    route_class=upload_route(lambda _: MAX_IMPORT_BYTES, too_large),
)
# The whole list of doctors, numbers and all, goes in and out here: owners and admins, who
# manage the workspace, not every agent.
DoctorListManager = Annotated[User, Depends(require(Permission.manage_settings))]
MAX_ID = 2**63 - 1
FileField = Annotated[UploadFile, File(description="A CSV or XLSX file, at most 20 MB")]
MappingField = Annotated[
    str | None,
    Form(
        max_length=10_000,
        description='JSON: field → column header ({"name": "Dr Name", "mobile": "Cell"}). '
        "Without it, columns are mapped by what their headers mean.",
    ),
]
CSV_MIME_TYPE = "text/csv"
XLSX_MIME_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _read(file: UploadFile) -> bytes:
    if file.size is not None:
        check_size(file.size)
    data = await file.read(MAX_IMPORT_BYTES + 1)
    check_size(len(data))
    return data


def _mapping(text: str | None) -> dict[str, str] | None:
    if text is None or not text.strip():
        return None
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError:
        raise Unprocessable("mapping is not JSON.") from None
    if not isinstance(mapping, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in mapping.items()
    ):
        raise Unprocessable("mapping must be an object of field → column header strings.")
    return {key: value for key, value in mapping.items() if value}


@router.post("/import/preview", response_model=ImportPreviewRead)
async def preview_import(
    file: FileField, _: DoctorListManager, region: DefaultRegion, mapping: MappingField = None
) -> ImportPreviewRead:
    """What importing this file would read: its columns, the mapping it would use, and its
    first 20 rows with each one's problem. Changes nothing. 413 over 20 MB, 415 for a file
    that is neither CSV nor XLSX, 422 for an empty file or a mapping that does not fit it."""
    data = await _read(file)
    found = doctor_import_service.preview(
        filename=file.filename,
        data=data,
        mapping=_mapping(mapping),
        default_region=region,
    )
    return ImportPreviewRead(
        source=found.source,
        headers=found.headers,
        mapping=found.mapping,
        fields=list(FIELDS),
        rows=[PreviewRowRead(row=r.row, values=r.values, problem=r.problem) for r in found.rows],
    )


@router.post("/import", response_model=DoctorImportRead, status_code=status.HTTP_202_ACCEPTED)
async def import_doctors(
    file: FileField,
    user: DoctorListManager,
    session: DbSession,
    settings: SettingsDep,
    region: DefaultRegion,
    mapping: MappingField = None,
) -> DoctorImportRead:
    """Add and update doctors from a CSV (UTF-8, UTF-16 or Windows-1252) or XLSX file, in
    the background: poll `GET /api/v1/doctors/imports/{id}` for its progress and report.
    Numbers are read with the workspace's default region; a row without a possible mobile
    number is rejected with its row number and reason; rows with one number are merged; a
    doctor is updated only in the fields the file sets; the same file again changes nothing.
    413 / 415 / 422 as for the preview."""
    data = await _read(file)
    chosen = doctor_import_service.checked_mapping(
        filename=file.filename, data=data, mapping=_mapping(mapping)
    )
    media = media_service.store(
        session,
        settings.data_dir / "media",
        data,
        mime_type=file_mime_type(data),
        filename=file.filename,
    )
    doctor_import = doctor_import_service.create(
        session,
        filename=file.filename,
        mapping=chosen,
        media_file_id=media.id,
        user_id=user.id,
    )
    path = media_service.path(settings.data_dir / "media", media).resolve()
    doctor_import_service.queue(session, doctor_import, str(path), region)
    return DoctorImportRead.model_validate(doctor_import)


@router.get("/imports/{import_id}", response_model=DoctorImportRead)
def get_import(
    import_id: Annotated[int, Path(ge=1, le=MAX_ID)], _: DoctorListManager, session: DbSession
) -> DoctorImportRead:
    return DoctorImportRead.model_validate(doctor_import_service.get(session, import_id))


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_MIME_TYPE: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
def export_doctors(
    query: Annotated[DoctorExportQuery, Query()], _: DoctorListManager, runtime: RuntimeDep
) -> StreamingResponse:
    """The doctors the filter finds (as the Doctors list filters), as CSV (UTF-8) or XLSX.
    Cells that a spreadsheet would run as a formula are prefixed with '."""
    f = DoctorFilter.model_validate(query.model_dump(exclude={"format"}))
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        exporting.stream(runtime.session_factory, f, query.format),
        media_type=CSV_MIME_TYPE + "; charset=utf-8" if query.format == "csv" else XLSX_MIME_TYPE,
        headers={"Content-Disposition": f'attachment; filename="doctors-{stamp}.{query.format}"'},
    )
