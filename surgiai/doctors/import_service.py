"""Importing doctors: an upload becomes a `DoctorImport` in state `processing`, which a task
(or the CLI, at once) runs: the file is read (`importing`), each number's record is applied in
batches, each batch in its own short transaction (SQLite has one writer, and doctors' messages
need it more than an import does), and the import ends `done` with its counts and rejected rows,
or `failed` with the reason. Batches already applied stay: importing the file again finishes the
job and changes nothing else."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session

from surgiai.audit.service import audit_service
from surgiai.db.outbox import enqueue
from surgiai.doctors.import_repository import DoctorImportRepository
from surgiai.doctors.importing import (
    MAX_REJECTED,
    PROFILE_FIELDS,
    DoctorRecord,
    PreviewRow,
    Rejection,
    changes_for,
    check_mapping,
    detect_mapping,
    preview,
    read_records,
    read_table,
)
from surgiai.doctors.models import ConsentSource, DoctorImport, ImportState, search_text_of
from surgiai.errors import NotFound
from surgiai.kit.time import utcnow

log = structlog.get_logger(__name__)

IMPORT_TASK = "doctors.import"
# Doctors applied per transaction: large enough for bulk statements to pay, small enough that
# the write lock is held for well under a second.
BATCH_SIZE = 500
GENERIC_FAILURE = (
    "Something went wrong on our side while importing this file; the rows already imported are "
    "kept. Import the file again: what is already there is left as it is."
)
FILE_GONE = "The uploaded file is no longer stored. Import it again."
CRASHED = (
    "The import stopped {attempts} times before it finished (the worker ran out of memory or "
    "was restarted); the rows already imported are kept. Split the file and import the parts."
)
# A run shows a sign of life at its start and after every batch (well under a second each):
# one silent this long has died. A job never started this long after upload was lost.
STUCK_AFTER = timedelta(minutes=10)
LOST_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class ImportPreview:
    source: str
    headers: list[str]
    mapping: dict[str, str]
    rows: list[PreviewRow]


class DoctorImportService:
    def preview(
        self,
        *,
        filename: str | None,
        data: bytes,
        mapping: dict[str, str] | None,
        default_region: str,
    ) -> ImportPreview:
        """The file's columns, the mapping the import would use, and its first rows as read.
        413 / 415 / 422 as for an import."""
        table = read_table(filename, data)
        chosen = check_mapping(
            detect_mapping(table.headers) if mapping is None else mapping,
            table.headers,
            require_mobile=False,
        )
        return ImportPreview(
            table.source, table.headers, chosen, preview(table, chosen, default_region)
        )

    def _mapping(self, headers: list[str], mapping: dict[str, str] | None) -> dict[str, str]:
        return check_mapping(detect_mapping(headers) if mapping is None else mapping, headers)

    def checked_mapping(
        self, *, filename: str | None, data: bytes, mapping: dict[str, str] | None
    ) -> dict[str, str]:
        """The mapping an import of this file will use, checked against the file's header
        now (a wrong mapping is a 422 at upload, not a failed import later)."""
        return self._mapping(read_table(filename, data, max_rows=0).headers, mapping)

    def create(
        self,
        session: Session,
        *,
        filename: str | None,
        mapping: dict[str, str],
        media_file_id: int,
        user_id: int | None,
    ) -> DoctorImport:
        """An import in state `processing` (`checked_mapping` gives its mapping)."""
        return DoctorImportRepository(session).add(
            DoctorImport(
                filename=(filename or "doctors.csv")[:255],
                media_file_id=media_file_id,
                mapping=mapping,
                state=ImportState.processing,
                rows_done=0,
                added=0,
                updated=0,
                unchanged=0,
                rejected=[],
                created_by_user_id=user_id,
            )
        )

    def queue(
        self,
        session: Session,
        doctor_import: DoctorImport,
        path: str,
        default_region: str | None = None,
    ) -> None:
        """Run it in the background once the request commits; `path` is the stored file.
        `default_region`: the workspace's when the import was asked for (None, as when the
        sweeper re-drives it: the environment's `SURGIAI_DEFAULT_REGION`)."""
        enqueue(session, IMPORT_TASK, doctor_import.id, path, default_region)

    def get(self, session: Session, import_id: int) -> DoctorImport:
        found = DoctorImportRepository(session).get(import_id)
        if found is None:
            raise NotFound(f"No doctor import with id {import_id}.")
        return found

    def processing(self, session: Session, import_id: int) -> DoctorImport | None:
        found = DoctorImportRepository(session).get(import_id)
        return found if found is not None and found.state == ImportState.processing else None

    def start(self, session: Session, import_id: int) -> DoctorImport | None:
        """Begin a run: the import to run, or None when there is nothing to do (gone, done,
        or failed for having stopped too many workers)."""
        found = DoctorImportRepository(session).get_for_update(import_id)
        if found is None or found.state != ImportState.processing:
            return None
        found.attempts += 1
        if found.attempts > MAX_ATTEMPTS:
            self._fail(found, CRASHED.format(attempts=found.attempts - 1))
            return None
        found.heartbeat_at = utcnow()
        return found

    def stuck(self, session: Session, now: datetime) -> Sequence[DoctorImport]:
        """Imports left `processing` by a worker that died, or whose job was lost."""
        return DoctorImportRepository(session).stalled(
            silent_since=now - STUCK_AFTER, queued_before=now - LOST_AFTER
        )

    def redrive(self, session: Session, doctor_import: DoctorImport, path: str) -> None:
        # Counts as a sign of life: the sweeper does not queue it again while the job waits.
        doctor_import.heartbeat_at = utcnow()
        self.queue(session, doctor_import, path)

    def run(
        self,
        session: Session,
        doctor_import: DoctorImport,
        data: bytes,
        default_region: str,
        *,
        checkpoint: Callable[[], None],
    ) -> DoctorImport:
        """Apply the file. `checkpoint` commits: it is called after each batch, with the
        import's progress on it."""
        table = read_table(doctor_import.filename, data)
        mapping = check_mapping(doctor_import.mapping, table.headers)
        result = read_records(table, mapping, default_region)
        # A run after a dead worker's: the batches it committed (with their counts, in the same
        # transaction) are skipped. The same file and mapping give the same batches.
        applied_rows = 0
        if doctor_import.rows_total is not None:
            applied_rows = doctor_import.rows_done - len(result.rejected)
        else:
            doctor_import.rows_total = len(table.rows)
            doctor_import.rows_done = len(result.rejected)
            doctor_import.rejected = [_rejection(r) for r in result.rejected[:MAX_REJECTED]]
        doctor_import.heartbeat_at = utcnow()
        checkpoint()
        for start in range(0, len(result.records), BATCH_SIZE):
            batch = result.records[start : start + BATCH_SIZE]
            rows = sum(record.rows for record in batch)
            if applied_rows >= rows:
                applied_rows -= rows
                continue
            added, updated = self._apply(session, doctor_import, batch)
            doctor_import.added += added
            doctor_import.updated += updated
            doctor_import.unchanged += len(batch) - added - updated
            doctor_import.rows_done += rows
            doctor_import.heartbeat_at = utcnow()
            checkpoint()
        doctor_import.state = ImportState.done
        doctor_import.finished_at = utcnow()
        audit_service.record(
            session,
            "doctors.imported",
            actor_user_id=doctor_import.created_by_user_id,
            target_type="doctor_import",
            target_id=doctor_import.id,
            details={
                "filename": doctor_import.filename,
                "added": doctor_import.added,
                "updated": doctor_import.updated,
                "unchanged": doctor_import.unchanged,
                "rejected": len(result.rejected),
            },
        )
        log.info(
            "doctors.imported",
            import_id=doctor_import.id,
            added=doctor_import.added,
            updated=doctor_import.updated,
            rejected=len(result.rejected),
        )
        return doctor_import

    def fail(self, session: Session, import_id: int, reason: str) -> None:
        found = self.processing(session, import_id)
        if found is not None:
            self._fail(found, reason)

    @staticmethod
    def _fail(doctor_import: DoctorImport, reason: str) -> None:
        doctor_import.state = ImportState.failed
        doctor_import.failure_reason = reason[:500]
        doctor_import.finished_at = utcnow()

    def _apply(
        self, session: Session, doctor_import: DoctorImport, records: list[DoctorRecord]
    ) -> tuple[int, int]:
        """One batch: new doctors inserted, existing ones updated in what the file sets.
        Returns (added, updated)."""
        doctors = DoctorImportRepository(session)
        now = utcnow()
        actor = doctor_import.created_by_user_id
        current = doctors.current([record.wa_id for record in records])
        fresh = [record for record in records if record.wa_id not in current]
        new_ids = doctors.insert_doctors([_new_doctor(record, now) for record in fresh])
        if len(new_ids) < len(fresh):
            # Another writer (an inbound message) created some of them: update those instead.
            current |= doctors.current([r.wa_id for r in fresh if r.wa_id not in new_ids])
        tags: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        consents: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []

        def consent(doctor_id: int, record: DoctorRecord) -> None:
            consents.append(
                {
                    "doctor_id": doctor_id,
                    "opted_out": True,
                    "source": ConsentSource.import_,
                    "actor_user_id": actor,
                    "detail": f"import #{doctor_import.id}, row {record.first_row}: "
                    f"{record.opted_out}"[:300],
                    "created_at": now,
                }
            )

        def event(doctor_id: int, record: DoctorRecord, data: dict[str, Any]) -> None:
            events.append(
                {
                    "doctor_id": doctor_id,
                    "kind": "import",
                    "data": {"import_id": doctor_import.id, "row": record.first_row, **data},
                    "actor_user_id": actor,
                    "created_at": now,
                }
            )

        for record in fresh:
            doctor_id = new_ids.get(record.wa_id)
            if doctor_id is None:
                continue
            tags.extend({"doctor_id": doctor_id, "tag": tag} for tag in record.tags)
            event(doctor_id, record, {"added": True})
            if record.opted_out is not None:
                consent(doctor_id, record)
        updated = 0
        for record in records:
            if record.wa_id in new_ids:
                continue
            doctor = current[record.wa_id]
            changes = changes_for(doctor, record)
            names = changes.fields()
            if not names:
                continue
            updated += 1
            values: dict[str, Any] = {"id": doctor.id, "updated_at": now, **changes.profile}
            values["search_text"] = search_text_of(
                {
                    **doctor.profile,
                    **changes.profile,
                    "wa_id": record.wa_id,
                    "username": doctor.username,
                    "profile_name": doctor.profile_name,
                }
            )
            if changes.custom_fields is not None:
                values["custom_fields"] = changes.custom_fields
            if changes.opt_out:
                values["marketing_opted_out"] = True
                values["marketing_opted_out_at"] = now
                consent(doctor.id, record)
            updates.append(values)
            tags.extend({"doctor_id": doctor.id, "tag": tag} for tag in changes.new_tags)
            event(doctor.id, record, {"fields": names})
        doctors.update_doctors(updates)
        doctors.add_tags(tags)
        doctors.add_events(events)
        doctors.add_consent_events(consents)
        return len(new_ids), updated


def _new_doctor(record: DoctorRecord, now: Any) -> dict[str, Any]:
    # Every row has every key: one bulk INSERT takes the keys of its first row.
    profile = {name: record.profile.get(name) for name in PROFILE_FIELDS}
    return {
        "wa_id": record.wa_id,
        **profile,
        "search_text": search_text_of({**profile, "wa_id": record.wa_id}),
        "custom_fields": record.custom_fields,
        "marketing_opted_out": record.opted_out is not None,
        "marketing_opted_out_at": now if record.opted_out is not None else None,
        "created_at": now,
        "updated_at": now,
    }


def _rejection(rejection: Rejection) -> dict[str, Any]:
    return {"row": rejection.row, "reason": rejection.reason}


doctor_import_service = DoctorImportService()
