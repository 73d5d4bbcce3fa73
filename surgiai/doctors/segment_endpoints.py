"""`/api/v1/segments`: saved doctor filters with live counts and a preview of their members.
Everyone on the team reads them; anyone who talks to doctors may build them (a segment sends
nothing: broadcasts that target one have their own permission)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from sqlalchemy.orm import Session

from surgiai.auth.dependencies import CurrentUser, require
from surgiai.auth.models import User
from surgiai.auth.roles import Permission
from surgiai.dependencies import DbSession
from surgiai.doctors.filters import DoctorFilter
from surgiai.doctors.models import Segment
from surgiai.doctors.segment_schemas import (
    PreviewLimit,
    SegmentCount,
    SegmentCreate,
    SegmentMember,
    SegmentMembers,
    SegmentPreviewRequest,
    SegmentRead,
    SegmentUpdate,
)
from surgiai.doctors.segments import segment_service

router = APIRouter(prefix="/api/v1/segments", tags=["segments"])
Converser = Annotated[User, Depends(require(Permission.converse))]
SegmentId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("", response_model=list[SegmentRead])
def list_segments(_: CurrentUser, session: DbSession) -> list[SegmentRead]:
    return [_read(session, segment) for segment in segment_service.all(session)]


@router.post("", response_model=SegmentRead, status_code=status.HTTP_201_CREATED)
def create_segment(user: Converser, session: DbSession, data: SegmentCreate) -> SegmentRead:
    segment = segment_service.create(
        session, name=data.name, doctor_filter=data.filters, user_id=user.id
    )
    return _read(session, segment)


@router.post("/count", response_model=SegmentCount)
def count_doctors(_: CurrentUser, session: DbSession, data: DoctorFilter) -> SegmentCount:
    """How many doctors unsaved filters match (the builder's live count)."""
    return SegmentCount(count=segment_service.count(session, data))


@router.post("/preview", response_model=SegmentMembers)
def preview_members(
    _: CurrentUser, session: DbSession, data: SegmentPreviewRequest
) -> SegmentMembers:
    """Unsaved filters: their count and their first members, warmest first."""
    return _members(session, data.filters, data.limit)


@router.get("/{segment_id}", response_model=SegmentRead)
def get_segment(_: CurrentUser, session: DbSession, segment_id: SegmentId) -> SegmentRead:
    return _read(session, segment_service.get(session, segment_id))


@router.patch("/{segment_id}", response_model=SegmentRead)
def update_segment(
    _: Converser, session: DbSession, segment_id: SegmentId, data: SegmentUpdate
) -> SegmentRead:
    segment = segment_service.update(
        session, segment_id, name=data.name, doctor_filter=data.filters
    )
    return _read(session, segment)


@router.delete("/{segment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_segment(_: Converser, session: DbSession, segment_id: SegmentId) -> Response:
    segment_service.delete(session, segment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{segment_id}/members", response_model=SegmentMembers)
def segment_members(
    _: CurrentUser,
    session: DbSession,
    segment_id: SegmentId,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SegmentMembers:
    segment = segment_service.get(session, segment_id)
    return _members(session, segment_service.filter_of(segment), limit)


def _read(session: Session, segment: Segment) -> SegmentRead:
    doctor_filter = segment_service.filter_of(segment)
    return SegmentRead(
        id=segment.id,
        name=segment.name,
        filters=doctor_filter,
        count=segment_service.count(session, doctor_filter),
        created_by_user_id=segment.created_by_user_id,
        created_at=segment.created_at,
        updated_at=segment.updated_at,
    )


def _members(session: Session, doctor_filter: DoctorFilter, limit: PreviewLimit) -> SegmentMembers:
    return SegmentMembers(
        count=segment_service.count(session, doctor_filter),
        items=[
            SegmentMember.model_validate(doctor)
            for doctor in segment_service.members(session, doctor_filter, limit)
        ],
    )
