"""The consent ledger: a doctor's marketing consent, one state across every number and channel,
and the record of each change (when, why, on which number, by whom). Every path that changes
consent (a keyword, Meta's user_preferences webhook, error 131050, an admin, an import) goes
through `ConsentService.record`, so the flag and its ledger never disagree."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from surgiai.auth.models import User
from surgiai.doctors.leads import lead_service
from surgiai.doctors.models import ConsentEvent, ConsentSource, Doctor
from surgiai.kit.time import utcnow

log = structlog.get_logger(__name__)

DETAIL_LENGTH = 300


class ConsentService:
    def record(
        self,
        session: Session,
        doctor: Doctor,
        *,
        opted_out: bool,
        source: ConsentSource,
        number_id: int | None = None,
        actor_user_id: int | None = None,
        detail: str | None = None,
    ) -> ConsentEvent | None:
        """Set the doctor's marketing consent and add it to the ledger. Returns the event, or
        None when the state was already so: the ledger holds changes only, so a second STOP (or
        Meta confirming what the doctor typed) adds nothing and is only logged."""
        if doctor.marketing_opted_out == opted_out:
            log.info(
                "doctors.consent.unchanged",
                doctor_id=doctor.id,
                opted_out=opted_out,
                source=source.value,
            )
            return None
        now = utcnow()
        doctor.marketing_opted_out = opted_out
        doctor.marketing_opted_out_at = now if opted_out else None
        event = ConsentEvent(
            doctor_id=doctor.id,
            opted_out=opted_out,
            source=source,
            number_id=number_id,
            actor_user_id=actor_user_id,
            detail=detail[:DETAIL_LENGTH] if detail else None,
            created_at=now,
        )
        session.add(event)
        # Whatever the path (Meta's webhook, error 131050, a person), the lead score knows.
        lead_service.record_opt_out(session, doctor, opted_out=opted_out)
        log.info(
            "doctors.consent.changed",
            doctor_id=doctor.id,
            opted_out=opted_out,
            source=source.value,
            number_id=number_id,
        )
        return event

    def ledger(self, session: Session, doctor_id: int) -> Sequence[tuple[ConsentEvent, str | None]]:
        """Every change of the doctor's consent, newest first, with the name of the team member
        who made it (None for the doctor, Meta or an import)."""
        rows = session.execute(
            select(ConsentEvent, User.name)
            .outerjoin(User, User.id == ConsentEvent.actor_user_id)
            .where(ConsentEvent.doctor_id == doctor_id)
            .order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc())
        )
        return [(event, actor_name) for event, actor_name in rows]

    def move(self, session: Session, *, from_doctor_id: int, to_doctor_id: int) -> None:
        """Two doctor records found to be one person: the ledger of the one that goes is kept."""
        session.execute(
            update(ConsentEvent)
            .where(ConsentEvent.doctor_id == from_doctor_id)
            .values(doctor_id=to_doctor_id)
        )


consent_service = ConsentService()
