"""A doctor's timeline and conversations, under `/api/v1/doctors/{id}`: they read messages,
which the doctors domain below may not."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from surgiai.auth.dependencies import CurrentUser
from surgiai.conversations.doctor_timeline import doctor_timeline
from surgiai.dependencies import DbSession
from surgiai.doctors.schemas import MAX_ID, DoctorConversation, TimelinePage

router = APIRouter(prefix="/api/v1/doctors", tags=["doctors"])
DoctorId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/{doctor_id:int}/timeline", response_model=TimelinePage)
def get_timeline(
    doctor_id: DoctorId,
    _: CurrentUser,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[str | None, Query(max_length=200, description="next_cursor")] = None,
) -> TimelinePage:
    """Newest first: messages of all the doctor's conversations, score, stage, tag and profile
    changes with who and why, and consent changes with their source."""
    return doctor_timeline.page(session, doctor_id, limit=limit, before=before)


@router.get("/{doctor_id:int}/conversations", response_model=list[DoctorConversation])
def get_doctor_conversations(
    doctor_id: DoctorId, _: CurrentUser, session: DbSession
) -> list[DoctorConversation]:
    """One per number that talks to the doctor, the most recently active first."""
    return doctor_timeline.conversations(session, doctor_id)
