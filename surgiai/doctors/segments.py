"""Segments: saved doctor filters (`DoctorFilter`), counted live. Broadcasts, offers and
re-engagement target them; the dashboard previews their members while one is being built."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surgiai.doctors import filters
from surgiai.doctors.filters import DoctorFilter
from surgiai.doctors.models import Doctor, Segment
from surgiai.errors import Conflict, NotFound
from surgiai.kit.time import utcnow


class SegmentNameTaken(Conflict):
    pass


class SegmentService:
    def all(self, session: Session) -> Sequence[Segment]:
        return session.scalars(select(Segment).order_by(func.lower(Segment.name))).all()

    def get(self, session: Session, segment_id: int) -> Segment:
        segment = session.get(Segment, segment_id)
        if segment is None:
            raise NotFound(f"No segment with id {segment_id}.")
        return segment

    def create(
        self, session: Session, *, name: str, doctor_filter: DoctorFilter, user_id: int | None
    ) -> Segment:
        self._check_name_free(session, name)
        now = utcnow()
        segment = Segment(
            name=name,
            filters=_stored(doctor_filter),
            created_by_user_id=user_id,
            created_at=now,
            updated_at=now,
        )
        session.add(segment)
        session.flush()
        return segment

    def update(
        self,
        session: Session,
        segment_id: int,
        *,
        name: str | None = None,
        doctor_filter: DoctorFilter | None = None,
    ) -> Segment:
        segment = self.get(session, segment_id)
        if name is not None and name != segment.name:
            self._check_name_free(session, name, besides=segment.id)
            segment.name = name
        if doctor_filter is not None:
            segment.filters = _stored(doctor_filter)
        segment.updated_at = utcnow()
        session.flush()
        return segment

    def delete(self, session: Session, segment_id: int) -> None:
        session.delete(self.get(session, segment_id))

    @staticmethod
    def filter_of(segment: Segment) -> DoctorFilter:
        return DoctorFilter.model_validate(segment.filters)

    def count(self, session: Session, doctor_filter: DoctorFilter) -> int:
        return session.scalar(filters.count_statement(doctor_filter)) or 0

    def members(
        self, session: Session, doctor_filter: DoctorFilter, limit: int
    ) -> Sequence[Doctor]:
        """A preview: the warmest matching doctors first."""
        return session.scalars(
            filters.matching(doctor_filter)
            .order_by(Doctor.lead_score.desc(), Doctor.id.desc())
            .limit(limit)
        ).all()

    @staticmethod
    def _check_name_free(session: Session, name: str, besides: int | None = None) -> None:
        """Names are unique as people read them: "Pune surgeons" and "pune Surgeons" clash."""
        statement = select(Segment.id).where(func.lower(Segment.name) == name.casefold())
        if besides is not None:
            statement = statement.where(Segment.id != besides)
        if session.scalar(statement) is not None:
            raise SegmentNameTaken(f"A segment named {name!r} exists already.")


def _stored(doctor_filter: DoctorFilter) -> dict[str, object]:
    """Only the fields that narrow: a filter field added later reads as its default."""
    return doctor_filter.model_dump(mode="json", exclude_defaults=True)


segment_service = SegmentService()
