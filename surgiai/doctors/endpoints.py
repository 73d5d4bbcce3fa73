"""The doctors' API: the list (filtered as segments and exports are), a profile, adding a doctor
by hand, edits and admins' overrides, removal. The timeline is in
`conversations.timeline_endpoints`: messages belong to that domain."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import ValidationError

from surgiai.auth.dependencies import CurrentUser, require
from surgiai.auth.models import User
from surgiai.auth.roles import Permission
from surgiai.dependencies import DbSession
from surgiai.doctors.filters import DoctorFilter
from surgiai.doctors.models import LifecycleStage
from surgiai.doctors.profiles import OVERRIDE_PERMISSION, profile_service
from surgiai.doctors.schemas import MAX_ID, DoctorCreate, DoctorPage, DoctorRead, DoctorUpdate
from surgiai.errors import Unprocessable
from surgiai.workspace.dependencies import DefaultRegion

router = APIRouter(prefix="/api/v1/doctors", tags=["doctors"])
# Those who talk to doctors keep their profiles and tags; overrides and removal are admins'.
Converser = Annotated[User, Depends(require(Permission.converse))]
Overrider = Annotated[User, Depends(require(OVERRIDE_PERMISSION))]
# `:int` so that sibling routes (`/export`, `/import`) never reach these.
DOCTOR = "/{doctor_id:int}"
DoctorId = Annotated[int, Path(ge=1, le=MAX_ID)]
Words = Annotated[list[str], Query(max_length=50)]


@router.get("", response_model=DoctorPage)
def list_doctors(
    _: CurrentUser,
    session: DbSession,
    q: Annotated[
        str | None,
        Query(max_length=100, description="Part of the name, number, hospital, email…"),
    ] = None,
    tag: Annotated[Words, Query(description="Any of these tags")] = [],  # noqa: B006
    specialty: Words = [],  # noqa: B006
    city: Words = [],  # noqa: B006
    state: Words = [],  # noqa: B006
    stage: Annotated[list[LifecycleStage], Query(max_length=6)] = [],  # noqa: B006
    score_min: Annotated[int | None, Query(ge=0, le=100)] = None,
    score_max: Annotated[int | None, Query(ge=0, le=100)] = None,
    consent: Literal["opted_in", "opted_out"] | None = None,
    number_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Sticky number")] = None,
    segment_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="A saved segment, with these filters")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=40, description="next_cursor")] = None,
) -> DoctorPage:
    """Newest first. Lists mean "any of" (`?city=Pune&city=Mumbai`); text matches ignore case."""
    try:
        query = DoctorFilter(
            q=q.strip() if q and q.strip() else None,
            tags=tag,
            specialty=specialty,
            city=city,
            state=state,
            stage=stage,
            score_min=score_min,
            score_max=score_max,
            consent=consent,
            number_id=number_id,
        )
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}".lstrip(": ")
            for item in error.errors()
        )
        raise Unprocessable(problems) from error
    return profile_service.page(session, query, segment_id=segment_id, limit=limit, cursor=cursor)


@router.post("", response_model=DoctorRead, status_code=status.HTTP_201_CREATED)
def create_doctor(
    body: DoctorCreate, user: Converser, session: DbSession, region: DefaultRegion
) -> DoctorRead:
    """The phone as people type it, read with the workspace's default region (Settings;
    `SURGIAI_DEFAULT_REGION` until an admin saves one). 422 with the reason when it is no
    mobile number; 409 when a doctor has it already."""
    doctor = profile_service.create(session, user, body, default_region=region)
    return profile_service.read(session, doctor)


@router.get(DOCTOR, response_model=DoctorRead)
def get_doctor(doctor_id: DoctorId, _: CurrentUser, session: DbSession) -> DoctorRead:
    return profile_service.read(session, profile_service.get(session, doctor_id))


@router.patch(DOCTOR, response_model=DoctorRead)
def update_doctor(
    doctor_id: DoctorId, body: DoctorUpdate, user: Converser, session: DbSession
) -> DoctorRead:
    """Change the profile fields sent, add and remove tags. `stage` or `lead_score` with a
    `reason` overrides the scorer (owners and admins; null hands it back). Each change goes on
    the doctor's timeline with who and why."""
    doctor = profile_service.update(session, user, doctor_id, body)
    return profile_service.read(session, doctor)


@router.delete(DOCTOR, status_code=status.HTTP_204_NO_CONTENT)
def delete_doctor(doctor_id: DoctorId, user: Overrider, session: DbSession) -> None:
    """Remove the doctor with their conversations, messages, timeline and consent records."""
    profile_service.delete(session, user, doctor_id)
