from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from surgiai.auth.dependencies import CurrentUser, require
from surgiai.auth.models import User
from surgiai.auth.roles import Permission
from surgiai.conversations.flows import delete_number as delete_unused_number
from surgiai.dependencies import DbSession, SettingsDep
from surgiai.kit.schemas import Id
from surgiai.numbers.schemas import NumberCreate, NumberRead, NumberUpdate
from surgiai.numbers.service import number_service
from surgiai.stats.service import stats_service

router = APIRouter(prefix="/api/v1/numbers", tags=["numbers"])
NumberManager = Annotated[User, Depends(require(Permission.manage_numbers))]


@router.get("", response_model=list[NumberRead])
def list_numbers(_: CurrentUser, session: DbSession) -> list[NumberRead]:
    return stats_service.numbers(session, number_service.all(session))


@router.post("", response_model=NumberRead, status_code=status.HTTP_201_CREATED)
def create_number(
    body: NumberCreate,
    _: NumberManager,
    session: DbSession,
    settings: SettingsDep,
) -> NumberRead:
    number = number_service.create(session, settings.resolved_secret_key(), body)
    return stats_service.numbers(session, [number])[0]


@router.get("/{number_id}", response_model=NumberRead)
def get_number(number_id: Id, _: CurrentUser, session: DbSession) -> NumberRead:
    return stats_service.numbers(session, [number_service.get(session, number_id)])[0]


@router.patch("/{number_id}", response_model=NumberRead)
def update_number(
    number_id: Id,
    body: NumberUpdate,
    _: NumberManager,
    session: DbSession,
    settings: SettingsDep,
) -> NumberRead:
    number = number_service.update(session, settings.resolved_secret_key(), number_id, body)
    return stats_service.numbers(session, [number])[0]


@router.delete("/{number_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_number(number_id: Id, _: NumberManager, session: DbSession) -> None:
    delete_unused_number(session, number_id)


@router.post(
    "/{number_id}/refresh", response_model=NumberRead, status_code=status.HTTP_202_ACCEPTED
)
def refresh_number(number_id: Id, _: NumberManager, session: DbSession) -> NumberRead:
    """Queue a health check against the Graph API; the number updates when it completes."""
    number = number_service.request_refresh(session, number_id)
    return stats_service.numbers(session, [number])[0]
