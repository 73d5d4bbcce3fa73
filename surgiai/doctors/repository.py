from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from surgiai.db.upsert import insert_ignore_conflict, insert_returning_new
from surgiai.doctors.models import Doctor, DoctorEvent, DoctorTag, search_text_of
from surgiai.kit.time import utcnow


class DoctorRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def tags_of(self, doctor_ids: set[int]) -> dict[int, list[str]]:
        tags: dict[int, list[str]] = {doctor_id: [] for doctor_id in doctor_ids}
        if doctor_ids:
            rows = self.session.execute(
                select(DoctorTag.doctor_id, DoctorTag.tag).where(
                    DoctorTag.doctor_id.in_(doctor_ids)
                )
            )
            for doctor_id, tag in rows:
                tags[doctor_id].append(tag)
        return tags

    def get(self, doctor_id: int) -> Doctor | None:
        return self.session.get(Doctor, doctor_id)

    def get_by_wa_id(self, wa_id: str) -> Doctor | None:
        return self.session.scalar(_BY_WA_ID, {"wa_id": wa_id})

    def matching(self, identifiers: dict[str, str]) -> Sequence[Doctor]:
        """The doctors holding any of `identifiers` (`wa_id`, `user_id`, `parent_user_id`), in
        one query: each is unique, so at most one doctor per identifier."""
        key = tuple(sorted(identifiers))
        statement = _MATCHING.get(key)
        if statement is None:
            statement = _MATCHING.setdefault(
                key,
                select(Doctor).where(
                    or_(*(getattr(Doctor, name) == bindparam(name) for name in key))
                ),
            )
        return self.session.scalars(statement, identifiers).all()

    def create(self, values: dict[str, Any]) -> Doctor | None:
        """A new doctor with these identifiers, or None when another worker created one with
        any of them in between (look it up again)."""
        now = utcnow()
        # A Core insert: the ORM's flush events (which keep `search_text` otherwise) do not run.
        row = {
            **values,
            "search_text": search_text_of(values),
            "created_at": now,
            "updated_at": now,
        }
        return insert_returning_new(self.session, Doctor, row, [])

    def get_or_create(self, wa_id: str, profile_name: str | None = None) -> Doctor:
        """Safe under concurrency: two workers meeting a new doctor create one row.
        `profile_name` is given to a new doctor only."""
        doctor = self.get_by_wa_id(wa_id)
        if doctor is not None:
            return doctor
        doctor = self.create({"wa_id": wa_id, "profile_name": profile_name})
        if doctor is None:  # another worker created it in between
            doctor = self.get_by_wa_id(wa_id)
        assert doctor is not None
        return doctor

    def add_tags(self, doctor_id: int, tags: list[str]) -> None:
        for tag in tags:
            insert_ignore_conflict(
                self.session, DoctorTag, {"doctor_id": doctor_id, "tag": tag}, ["doctor_id", "tag"]
            )

    def remove_tags(self, doctor_id: int, tags: list[str]) -> None:
        if tags:
            self.session.execute(
                delete(DoctorTag).where(DoctorTag.doctor_id == doctor_id, DoctorTag.tag.in_(tags))
            )

    def add_event(
        self, doctor_id: int, kind: str, data: dict[str, Any], actor_user_id: int | None = None
    ) -> None:
        self.session.add(
            DoctorEvent(doctor_id=doctor_id, kind=kind, data=data, actor_user_id=actor_user_id)
        )

    def move_events(self, *, from_doctor_id: int, to_doctor_id: int) -> None:
        """Two records found to be one doctor: the timeline of the one that goes is kept."""
        self.session.execute(
            update(DoctorEvent)
            .where(DoctorEvent.doctor_id == from_doctor_id)
            .values(doctor_id=to_doctor_id)
        )

    def fading_scores(
        self, scored_before: datetime, *, after_id: int, limit: int
    ) -> list[tuple[Doctor, datetime]]:
        """Doctors with a score the scorer keeps (not an admin's) whose last score change is
        older than `scored_before`, with its time; by id, from `after_id`."""
        last_scored = (
            select(DoctorEvent.doctor_id, func.max(DoctorEvent.created_at).label("at"))
            .where(DoctorEvent.kind == "score")
            .group_by(DoctorEvent.doctor_id)
            .subquery()
        )
        rows = self.session.execute(
            select(Doctor, last_scored.c.at)
            .join(last_scored, last_scored.c.doctor_id == Doctor.id)
            .where(
                Doctor.id > after_id,
                Doctor.lead_score > 0,
                Doctor.score_overridden.is_(False),
                last_scored.c.at < scored_before,
            )
            .order_by(Doctor.id)
            .limit(limit)
        )
        return [(doctor, at) for doctor, at in rows]

    def delete(self, doctor: Doctor) -> None:
        self.session.execute(delete(DoctorTag).where(DoctorTag.doctor_id == doctor.id))
        self.session.delete(doctor)


# Built once: looked up for every inbound message.
_BY_WA_ID = select(Doctor).where(Doctor.wa_id == bindparam("wa_id"))
# One per set of identifiers a webhook carries (phone, BSUID, parent BSUID: at most seven).
_MATCHING: dict[tuple[str, ...], Select[Doctor]] = {}
