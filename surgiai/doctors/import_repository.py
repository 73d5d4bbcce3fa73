"""The SQL of importing doctors: a batch of doctors read, inserted and updated in a few bulk
statements (an import of 50,000 rows is a few hundred statements, not 50,000)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, insert, or_, select, update
from sqlalchemy.orm import Session

from surgiai.db.upsert import conflict_insert
from surgiai.doctors.importing import PROFILE_FIELDS, CurrentDoctor
from surgiai.doctors.models import (
    ConsentEvent,
    Doctor,
    DoctorEvent,
    DoctorImport,
    DoctorTag,
    ImportState,
)

_PROFILE_COLUMNS = [getattr(Doctor, name) for name in PROFILE_FIELDS]


class DoctorImportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, doctor_import: DoctorImport) -> DoctorImport:
        self.session.add(doctor_import)
        self.session.flush()
        return doctor_import

    def get(self, import_id: int) -> DoctorImport | None:
        return self.session.get(DoctorImport, import_id)

    def get_for_update(self, import_id: int) -> DoctorImport | None:
        """The import, locked (PostgreSQL) so that two workers cannot both start a run."""
        return self.session.scalar(
            select(DoctorImport).where(DoctorImport.id == import_id).with_for_update()
        )

    def stalled(self, *, silent_since: datetime, queued_before: datetime) -> Sequence[DoctorImport]:
        """Processing imports whose run went silent, or whose job never started."""
        return self.session.scalars(
            select(DoctorImport).where(
                DoctorImport.state == ImportState.processing,
                or_(
                    DoctorImport.heartbeat_at < silent_since,
                    and_(
                        DoctorImport.heartbeat_at.is_(None),
                        DoctorImport.created_at < queued_before,
                    ),
                ),
            )
        ).all()

    def current(self, wa_ids: Sequence[str]) -> dict[str, CurrentDoctor]:
        """The doctors with these numbers, by wa_id, with their tags."""
        rows = self.session.execute(
            select(
                Doctor.id,
                Doctor.wa_id,
                Doctor.custom_fields,
                Doctor.marketing_opted_out,
                Doctor.username,
                Doctor.profile_name,
                *_PROFILE_COLUMNS,
            ).where(Doctor.wa_id.in_(wa_ids))
        ).all()
        tags: dict[int, set[str]] = {row.id: set() for row in rows}
        if tags:
            for doctor_id, tag in self.session.execute(
                select(DoctorTag.doctor_id, DoctorTag.tag).where(DoctorTag.doctor_id.in_(tags))
            ):
                tags[doctor_id].add(tag)
        return {
            row.wa_id: CurrentDoctor(
                id=row.id,
                profile={name: getattr(row, name) for name in PROFILE_FIELDS},
                tags=frozenset(tags[row.id]),
                custom_fields=dict(row.custom_fields or {}),
                opted_out=row.marketing_opted_out,
                username=row.username,
                profile_name=row.profile_name,
            )
            for row in rows
        }

    def insert_doctors(self, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Insert doctors; returns the new ids by wa_id. A number another writer took in the
        meantime (an inbound message) is skipped, and missing from the answer."""
        if not rows:
            return {}
        dialect = self.session.get_bind().dialect.name
        statement = (
            conflict_insert(dialect)(cast(Table, Doctor.__table__))
            .on_conflict_do_nothing(index_elements=["wa_id"])
            .returning(Doctor.__table__.c.id, Doctor.__table__.c.wa_id)
        )
        return {wa_id: doctor_id for doctor_id, wa_id in self.session.execute(statement, rows)}

    def update_doctors(self, rows: list[dict[str, Any]]) -> None:
        """Each row: the doctor's id and the columns to set."""
        if rows:
            self.session.execute(update(Doctor), rows)

    def add_tags(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            dialect = self.session.get_bind().dialect.name
            statement = conflict_insert(dialect)(
                cast(Table, DoctorTag.__table__)
            ).on_conflict_do_nothing(index_elements=["doctor_id", "tag"])
            self.session.execute(statement, rows)

    def add_events(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(DoctorEvent), rows)

    def add_consent_events(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(ConsentEvent), rows)
