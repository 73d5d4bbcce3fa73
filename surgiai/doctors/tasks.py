"""Importing doctors from an uploaded file."""

from __future__ import annotations

from pathlib import Path

import structlog

from surgiai.doctors.import_service import (
    FILE_GONE,
    GENERIC_FAILURE,
    IMPORT_TASK,
    doctor_import_service,
)
from surgiai.errors import SurgiAIError
from surgiai.kit.time import utcnow
from surgiai.media.service import media_service
from surgiai.runtime import TaskContext
from surgiai.worker.registry import sweeper, task

log = structlog.get_logger(__name__)


@task(IMPORT_TASK)
def import_doctors(
    context: TaskContext, import_id: int, path: str, default_region: str | None = None
) -> None:
    """Run an import: progress is committed after each batch; a file that cannot be read
    fails the import with the reason. `default_region`: the workspace's when it was queued
    (None when re-driven: the environment's SURGIAI_DEFAULT_REGION)."""
    session = context.session
    doctor_import = doctor_import_service.start(session, import_id)
    session.commit()
    if doctor_import is None:
        return
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        doctor_import_service.fail(session, import_id, FILE_GONE)
        return
    try:
        doctor_import_service.run(
            session,
            doctor_import,
            data,
            default_region or context.settings.default_region,
            checkpoint=session.commit,
        )
    except SurgiAIError as error:
        session.rollback()
        doctor_import_service.fail(session, import_id, error.detail)
    except Exception:
        session.rollback()
        log.exception("doctors.import.failed", import_id=import_id)
        doctor_import_service.fail(session, import_id, GENERIC_FAILURE)


@sweeper("doctors.imports")
def redrive_imports(context: TaskContext) -> int:
    """Imports a dead worker left `processing`, or whose job was lost, run again from the
    batch after the last one committed."""
    session = context.session
    stuck = doctor_import_service.stuck(session, utcnow())
    for doctor_import in stuck:
        stored = media_service.get(session, doctor_import.media_file_id)
        path = media_service.path(context.settings.data_dir / "media", stored).resolve()
        doctor_import_service.redrive(session, doctor_import, str(path))
    return len(stuck)
