from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from surgiai.db.upsert import insert_returning_new
from surgiai.doctors.models import Doctor, DoctorTag
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

    def get_or_create(self, wa_id: str, profile_name: str | None = None) -> Doctor:
        """Safe under concurrency: two workers meeting a new doctor create one row.
        `profile_name` is given to a new doctor only."""
        doctor = self.get_by_wa_id(wa_id)
        if doctor is not None:
            return doctor
        now = utcnow()
        doctor = insert_returning_new(
            self.session,
            Doctor,
            {"wa_id": wa_id, "profile_name": profile_name, "created_at": now, "updated_at": now},
            ["wa_id"],
        )
        if doctor is None:  # another worker created it in between
            doctor = self.get_by_wa_id(wa_id)
        assert doctor is not None
        return doctor


# Built once: looked up for every inbound message.
_BY_WA_ID = select(Doctor).where(Doctor.wa_id == bindparam("wa_id"))
