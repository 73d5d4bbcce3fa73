"""Doctors as far as messaging needs them: identity, marketing preference, reachability."""

from __future__ import annotations

from sqlalchemy.orm import Session

from surgiai.doctors.models import Doctor
from surgiai.doctors.repository import DoctorRepository
from surgiai.kit.time import utcnow


class DoctorService:
    def get_or_create(
        self, session: Session, wa_id: str, profile_name: str | None = None
    ) -> Doctor:
        profile_name = profile_name[:200] if profile_name else None
        doctor = DoctorRepository(session).get_or_create(wa_id, profile_name)
        if profile_name and doctor.profile_name != profile_name:
            doctor.profile_name = profile_name
        return doctor

    def get(self, session: Session, doctor_id: int) -> Doctor | None:
        return DoctorRepository(session).get(doctor_id)

    def get_by_wa_id(self, session: Session, wa_id: str) -> Doctor | None:
        return DoctorRepository(session).get_by_wa_id(wa_id)

    def adjust_score(self, doctor: Doctor, delta: int) -> None:
        """Move the lead score by `delta`, in SQL: two workers scoring one doctor both count."""
        doctor.lead_score = Doctor.lead_score + delta

    def mark_unreachable(self, doctor: Doctor, reason: str) -> None:
        doctor.unreachable_reason = reason[:300]
        doctor.unreachable_at = utcnow()

    def mark_reachable(self, doctor: Doctor) -> None:
        """A doctor who writes to us can evidently receive messages again."""
        if doctor.unreachable_reason is not None or doctor.unreachable_at is not None:
            doctor.unreachable_reason = None
            doctor.unreachable_at = None


doctor_service = DoctorService()
