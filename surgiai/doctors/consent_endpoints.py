"""`/api/v1/doctors/{id}/consent`: a doctor's marketing consent and its ledger. Everyone on the
team reads it. Anyone who talks to doctors may record an opt-out (a doctor who asks on the phone
must be honoured at once); opting a doctor back in is for owners and admins, who answer for it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy.orm import Session

from surgiai.auth.dependencies import CurrentUser, require
from surgiai.auth.models import User
from surgiai.auth.roles import Permission, has_permission
from surgiai.dependencies import DbSession
from surgiai.doctors.consent import consent_service
from surgiai.doctors.consent_schemas import ConsentChange, ConsentEventRead, ConsentLedger
from surgiai.doctors.models import ConsentSource, Doctor
from surgiai.doctors.service import doctor_service
from surgiai.errors import Conflict, Forbidden, NotFound
from surgiai.numbers.service import number_service

router = APIRouter(prefix="/api/v1/doctors", tags=["doctors"])
Converser = Annotated[User, Depends(require(Permission.converse))]
DoctorId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/{doctor_id}/consent", response_model=ConsentLedger)
def get_consent(_: CurrentUser, session: DbSession, doctor_id: DoctorId) -> ConsentLedger:
    return _ledger(session, _doctor(session, doctor_id))


@router.post("/{doctor_id}/consent", response_model=ConsentLedger)
def change_consent(
    user: Converser, session: DbSession, doctor_id: DoctorId, data: ConsentChange
) -> ConsentLedger:
    if not data.opted_out and not has_permission(user.role, Permission.manage_settings):
        raise Forbidden(
            f"Your role ({user.role.value}) may record an opt-out, not an opt-in: ask an owner "
            "or an admin to opt this doctor back in."
        )
    doctor = _doctor(session, doctor_id)
    event = consent_service.record(
        session,
        doctor,
        opted_out=data.opted_out,
        source=ConsentSource.admin,
        actor_user_id=user.id,
        detail=data.reason,
    )
    if event is None:
        state = "opted out of" if data.opted_out else "opted in to"
        raise Conflict(f"This doctor is already {state} marketing messages.")
    session.flush()
    return _ledger(session, doctor)


def _doctor(session: Session, doctor_id: int) -> Doctor:
    doctor = doctor_service.get(session, doctor_id)
    if doctor is None:
        raise NotFound(f"No doctor with id {doctor_id}.")
    return doctor


def _ledger(session: Session, doctor: Doctor) -> ConsentLedger:
    labels = {number.id: number.label for number in number_service.all(session)}
    return ConsentLedger(
        doctor_id=doctor.id,
        marketing_opted_out=doctor.marketing_opted_out,
        marketing_opted_out_at=doctor.marketing_opted_out_at,
        events=[
            ConsentEventRead(
                id=event.id,
                opted_out=event.opted_out,
                source=event.source,
                number_id=event.number_id,
                number_label=labels.get(event.number_id) if event.number_id else None,
                actor_user_id=event.actor_user_id,
                actor_name=actor_name,
                detail=event.detail,
                created_at=event.created_at,
            )
            for event, actor_name in consent_service.ledger(session, doctor.id)
        ],
    )
