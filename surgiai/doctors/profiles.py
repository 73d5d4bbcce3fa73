"""Doctors' profiles as the team works them: a filtered list paged by id, a profile, adding a
doctor by hand, edits and admins' overrides of stage and score. Every change is a DoctorEvent
on the doctor's timeline (with who and why) and an audit event."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surgiai.audit.service import audit_service
from surgiai.auth.models import User
from surgiai.auth.roles import Permission, has_permission
from surgiai.doctors import filters
from surgiai.doctors.filters import DoctorFilter
from surgiai.doctors.models import Doctor, DoctorEvent, DoctorTag, Segment
from surgiai.doctors.repository import DoctorRepository
from surgiai.doctors.schemas import (
    ConsentRead,
    DoctorCreate,
    DoctorPage,
    DoctorRead,
    DoctorUpdate,
)
from surgiai.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from surgiai.kit.phone import NotAMobileNumber, parse_mobile

PROFILE_FIELDS = (
    "name",
    "specialty",
    "city",
    "state",
    "hospital",
    "registration_number",
    "email",
    "preferred_language",
    "custom_fields",
)
# Overriding what the scorer decides, and removing a doctor, are for owners and admins.
OVERRIDE_PERMISSION = Permission.manage_settings


def _cursor_id(cursor: str) -> int:
    if not cursor.isdigit() or not 1 <= int(cursor) <= 2**63 - 1:
        raise BadRequest("The cursor is not one this API returned.")
    return int(cursor)


def describe_event(kind: str, data: dict[str, Any]) -> str:
    """A timeline line for a doctor event, whoever wrote it (an admin here, the scorer, an
    import): known keys are put into words, anything else is shown as it is."""
    reason = f": {data['reason']}" if data.get("reason") else ""
    if kind in ("score", "stage"):
        label = "Score" if kind == "score" else "Stage"
        if data.get("override") is False:
            return f"{label} override cleared{reason}"
        change = f"{data.get('from')} → {data.get('to')}" if "to" in data else ""
        how = " (override)" if data.get("override") else ""
        return f"{label} {change}{how}{reason}".replace("  ", " ")
    if kind == "tag_added":
        return f"Tagged {data.get('tag')}"
    if kind == "tag_removed":
        return f"Tag {data.get('tag')} removed"
    if kind == "profile":
        changes = data.get("changes") or {}
        return f"Profile edited: {', '.join(sorted(changes))}{reason}"
    if kind == "created":
        return f"Added by hand ({data.get('phone')})"
    details = ", ".join(f"{key}: {value}" for key, value in sorted(data.items()))
    return f"{kind.replace('_', ' ').capitalize()}{f' ({details})' if details else ''}"


class ProfileService:
    def page(
        self,
        session: Session,
        query: DoctorFilter,
        *,
        segment_id: int | None,
        limit: int,
        cursor: str | None,
    ) -> DoctorPage:
        """Newest first, by id: the primary key keeps every page fast at 100,000 doctors, and a
        doctor whose score changes meanwhile neither repeats nor goes missing."""
        statement = select(Doctor).where(filters.where(query, score_index=False))
        if segment_id is not None:
            segment = self._segment_filter(session, segment_id)
            statement = statement.where(filters.where(segment, score_index=False))
        if cursor:
            statement = statement.where(Doctor.id < _cursor_id(cursor))
        rows = session.scalars(statement.order_by(Doctor.id.desc()).limit(limit + 1)).all()
        page = rows[:limit]
        return DoctorPage(
            items=self.reads(session, page),
            next_cursor=str(page[-1].id) if len(rows) > limit else None,
        )

    def _segment_filter(self, session: Session, segment_id: int) -> DoctorFilter:
        segment = session.get(Segment, segment_id)
        if segment is None:
            raise NotFound(f"No segment {segment_id}.")
        try:
            return DoctorFilter.model_validate(segment.filters)
        except ValidationError as error:
            detail = f"Segment {segment_id} has filters this list cannot use."
            raise Unprocessable(detail) from error

    def get(self, session: Session, doctor_id: int) -> Doctor:
        doctor = DoctorRepository(session).get(doctor_id)
        if doctor is None:
            raise NotFound(f"No doctor {doctor_id}.")
        return doctor

    def read(self, session: Session, doctor: Doctor) -> DoctorRead:
        return self.reads(session, [doctor])[0]

    def reads(self, session: Session, doctors: Sequence[Doctor]) -> list[DoctorRead]:
        tags = DoctorRepository(session).tags_of({doctor.id for doctor in doctors})
        return [_read(doctor, sorted(tags[doctor.id])) for doctor in doctors]

    def create(
        self, session: Session, user: User, body: DoctorCreate, *, default_region: str
    ) -> Doctor:
        """422 with the reason when the phone is no mobile number; 409 when a doctor has it."""
        try:
            phone = parse_mobile(body.phone, default_region)
        except NotAMobileNumber as error:
            raise Unprocessable(f"phone: {error}") from error
        repository = DoctorRepository(session)
        existing = repository.get_by_wa_id(phone.wa_id)
        values = body.model_dump(exclude={"phone", "tags"})
        doctor = None if existing else repository.create({"wa_id": phone.wa_id, **values})
        if doctor is None:
            taken = existing or repository.get_by_wa_id(phone.wa_id)
            raise Conflict(f"Doctor {taken.id if taken else ''} has {phone.e164} already.")
        tags = sorted(set(body.tags))
        repository.add_tags(doctor.id, tags)
        self._event(session, user, doctor, "created", {"phone": phone.e164})
        for tag in tags:
            self._event(session, user, doctor, "tag_added", {"tag": tag})
        self._audit(session, user, "doctor.created", doctor.id, {"name": body.name})
        return doctor

    def update(self, session: Session, user: User, doctor_id: int, body: DoctorUpdate) -> Doctor:
        doctor = self.get(session, doctor_id)
        sent = body.model_fields_set
        overriding = {"stage", "lead_score"} & sent
        if overriding and not has_permission(user.role, OVERRIDE_PERMISSION):
            raise Forbidden(f"Your role ({user.role.value}) may not override stage or score.")
        if "name" in sent and body.name is None:
            raise Unprocessable("A doctor needs a name.")
        for name in sorted(overriding):
            if getattr(body, name) is not None and body.reason is None:
                raise Unprocessable(f"Say why you set the {name.replace('lead_', '')}: reason.")
        if set(body.add_tags) & set(body.remove_tags):
            raise Unprocessable("A tag cannot be both added and removed.")
        audit: dict[str, Any] = {}
        reason = {"reason": body.reason} if body.reason else {}

        changes = {
            name: [getattr(doctor, name), getattr(body, name)]
            for name in PROFILE_FIELDS
            if name in sent and getattr(doctor, name) != getattr(body, name)
        }
        if changes:
            for name, (_, new) in changes.items():
                setattr(doctor, name, new if name != "custom_fields" else dict(new or {}))
            self._event(session, user, doctor, "profile", {"changes": changes, **reason})
            audit["changes"] = changes

        if "stage" in sent:
            audit["stage"] = self._override_stage(session, user, doctor, body, reason)
        if "lead_score" in sent:
            audit["lead_score"] = self._override_score(session, user, doctor, body, reason)

        repository = DoctorRepository(session)
        current = set(repository.tags_of({doctor.id})[doctor.id])
        added = sorted(set(body.add_tags) - current)
        removed = sorted(set(body.remove_tags) & current)
        repository.add_tags(doctor.id, added)
        if removed:
            session.execute(
                delete(DoctorTag).where(
                    DoctorTag.doctor_id == doctor.id, DoctorTag.tag.in_(removed)
                )
            )
        for kind, tags in (("tag_added", added), ("tag_removed", removed)):
            for tag in tags:
                self._event(session, user, doctor, kind, {"tag": tag, **reason})
        if added or removed:
            audit["tags"] = {"added": added, "removed": removed}

        if audit:
            session.flush()
            self._audit(session, user, "doctor.updated", doctor.id, {**audit, **reason})
        return doctor

    def _override_stage(
        self,
        session: Session,
        user: User,
        doctor: Doctor,
        body: DoctorUpdate,
        reason: dict[str, str],
    ) -> Any:
        if body.stage is None:
            doctor.stage_overridden = False
            self._event(session, user, doctor, "stage", {"override": False, **reason})
            return None
        change = {"from": doctor.stage.value, "to": body.stage.value}
        doctor.stage = body.stage
        doctor.stage_overridden = True
        self._event(session, user, doctor, "stage", {**change, "override": True, **reason})
        return change

    def _override_score(
        self,
        session: Session,
        user: User,
        doctor: Doctor,
        body: DoctorUpdate,
        reason: dict[str, str],
    ) -> Any:
        if body.lead_score is None:
            doctor.score_overridden = False
            self._event(session, user, doctor, "score", {"override": False, **reason})
            return None
        change = {"from": doctor.lead_score, "to": body.lead_score}
        doctor.lead_score = body.lead_score
        doctor.score_overridden = True
        self._event(session, user, doctor, "score", {**change, "override": True, **reason})
        return change

    def delete(self, session: Session, user: User, doctor_id: int) -> None:
        """Their conversations, messages, events and consent records go with them (the
        foreign keys cascade)."""
        doctor = self.get(session, doctor_id)
        details = {"name": doctor.display_name}
        DoctorRepository(session).delete(doctor)
        session.flush()
        self._audit(session, user, "doctor.deleted", doctor_id, details)

    def _event(
        self, session: Session, user: User, doctor: Doctor, kind: str, data: dict[str, Any]
    ) -> None:
        session.add(DoctorEvent(doctor_id=doctor.id, kind=kind, data=data, actor_user_id=user.id))

    def _audit(
        self, session: Session, user: User, action: str, doctor_id: int, details: dict[str, Any]
    ) -> None:
        audit_service.record(
            session,
            action,
            actor_user_id=user.id,
            actor_email=user.email,
            target_type="doctor",
            target_id=doctor_id,
            details=details,
        )


def _read(doctor: Doctor, tags: list[str]) -> DoctorRead:
    return DoctorRead(
        id=doctor.id,
        display_name=doctor.display_name,
        name=doctor.name,
        profile_name=doctor.profile_name,
        phone=f"+{doctor.wa_id}" if doctor.wa_id else None,
        wa_id=doctor.wa_id,
        user_id=doctor.user_id,
        parent_user_id=doctor.parent_user_id,
        username=doctor.username,
        specialty=doctor.specialty,
        city=doctor.city,
        state=doctor.state,
        hospital=doctor.hospital,
        registration_number=doctor.registration_number,
        email=doctor.email,
        preferred_language=doctor.preferred_language,
        custom_fields=doctor.custom_fields or {},
        tags=tags,
        lead_score=doctor.lead_score,
        score_reasons=doctor.score_reasons or {},
        score_overridden=doctor.score_overridden,
        stage=doctor.stage,
        stage_overridden=doctor.stage_overridden,
        consent=ConsentRead(
            opted_out=doctor.marketing_opted_out, since=doctor.marketing_opted_out_at
        ),
        unreachable_reason=doctor.unreachable_reason,
        sticky_number_id=doctor.sticky_number_id,
        last_inbound_at=doctor.last_inbound_at,
        last_outbound_at=doctor.last_outbound_at,
        created_at=doctor.created_at,
        updated_at=doctor.updated_at,
    )


profile_service = ProfileService()
