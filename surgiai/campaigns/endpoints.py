"""`/api/v1/campaigns`: bulk broadcasts to a segment. Everyone on the team follows them; only
those allowed to send campaigns create, start, pause, resume, cancel or retry them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from surgiai.auth.dependencies import CurrentUser, require
from surgiai.auth.models import User
from surgiai.auth.roles import Permission
from surgiai.campaigns import exporting, results
from surgiai.campaigns.models import Campaign, CampaignStatus, RecipientState
from surgiai.campaigns.pricing import price_list
from surgiai.campaigns.repository import CampaignRepository
from surgiai.campaigns.schemas import (
    CampaignCreate,
    CampaignPage,
    CampaignPlan,
    CampaignRead,
    CampaignResults,
    CampaignUpdate,
    RecipientCounts,
    RecipientPage,
    RetryFailed,
    RetryResult,
)
from surgiai.campaigns.service import campaign_service
from surgiai.dependencies import DbSession, RuntimeDep, SettingsDep
from surgiai.doctors.models import Segment
from surgiai.kit.schemas import ErrorBody
from surgiai.workspace.service import workspace_service

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])
Sender = Annotated[User, Depends(require(Permission.send_campaigns))]
CampaignId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PageLimit = Annotated[int, Query(ge=1, le=100)]


@router.get("", response_model=CampaignPage)
def list_campaigns(
    _: CurrentUser,
    session: DbSession,
    limit: PageLimit = 50,
    cursor: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    status_: Annotated[CampaignStatus | None, Query(alias="status")] = None,
) -> CampaignPage:
    """Newest first; `cursor` is the last id of the previous page."""
    campaigns = CampaignRepository(session).page(limit=limit, cursor=cursor, status=status_)
    counts = results.counts_by_campaign(session, [c.id for c in campaigns])
    items = [_read(session, c, counts[c.id]) for c in campaigns]
    return CampaignPage(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.post("", response_model=CampaignRead, status_code=status.HTTP_201_CREATED)
def create_campaign(
    user: Sender, session: DbSession, settings: SettingsDep, data: CampaignCreate
) -> CampaignRead:
    """A draft: nothing is sent until it is started."""
    time_zone = workspace_service.current(session, settings).timezone
    campaign = campaign_service.create(session, data, user_id=user.id, time_zone=time_zone)
    return _read(session, campaign)


@router.post("/plan", response_model=CampaignPlan)
def plan_unsaved(
    user: Sender, session: DbSession, settings: SettingsDep, data: CampaignCreate
) -> CampaignPlan:
    """What starting this (unsaved) campaign now would do: who gets it, from which number,
    what waits for the tier, and when it ends. Nothing is stored."""
    time_zone = workspace_service.current(session, settings).timezone
    with session.begin_nested() as savepoint:
        campaign = campaign_service.create(session, data, user_id=user.id, time_zone=time_zone)
        plan = campaign_service.plan(session, campaign)
        savepoint.rollback()
    return plan


@router.get("/{campaign_id}", response_model=CampaignRead)
def get_campaign(_: CurrentUser, session: DbSession, campaign_id: CampaignId) -> CampaignRead:
    return _read(session, campaign_service.get(session, campaign_id))


@router.patch("/{campaign_id}", response_model=CampaignRead)
def update_campaign(
    _: Sender, session: DbSession, campaign_id: CampaignId, data: CampaignUpdate
) -> CampaignRead:
    return _read(session, campaign_service.update(session, campaign_id, data))


@router.delete("/{campaign_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_campaign(_: Sender, session: DbSession, campaign_id: CampaignId) -> Response:
    campaign_service.delete(session, campaign_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{campaign_id}/plan", response_model=CampaignPlan)
def plan_campaign(_: CurrentUser, session: DbSession, campaign_id: CampaignId) -> CampaignPlan:
    return campaign_service.plan(session, campaign_service.get(session, campaign_id))


@router.post("/{campaign_id}/start", response_model=CampaignRead)
def start_campaign(_: Sender, session: DbSession, campaign_id: CampaignId) -> CampaignRead:
    """Freeze the audience and each doctor's message, and begin (or wait for the scheduled
    time). 409 with the reasons when it cannot start."""
    return _read(session, campaign_service.start(session, campaign_id))


@router.post("/{campaign_id}/pause", response_model=CampaignRead)
def pause_campaign(_: Sender, session: DbSession, campaign_id: CampaignId) -> CampaignRead:
    """Stops within a second: messages already handed to WhatsApp are not called back."""
    return _read(session, campaign_service.pause(session, campaign_id))


@router.post("/{campaign_id}/resume", response_model=CampaignRead)
def resume_campaign(_: Sender, session: DbSession, campaign_id: CampaignId) -> CampaignRead:
    """Resume pending: send what has not been sent, each once."""
    return _read(session, campaign_service.resume(session, campaign_id))


@router.post("/{campaign_id}/cancel", response_model=CampaignRead)
def cancel_campaign(_: Sender, session: DbSession, campaign_id: CampaignId) -> CampaignRead:
    return _read(session, campaign_service.cancel(session, campaign_id))


@router.post(
    "/{campaign_id}/retry-failed",
    response_model=RetryResult,
    responses={
        400: {
            "model": ErrorBody,
            "description": "A reason a retry cannot help (not on WhatsApp, opted out, …): "
            "`detail` names it",
        }
    },
)
def retry_failed(
    _: Sender, session: DbSession, campaign_id: CampaignId, data: RetryFailed
) -> RetryResult:
    """Send failed recipients again (those of `reasons`, or every retryable failure): each
    gets a new message through WhatsApp, once. Only the results' `retryable_reasons` may be
    named: for the others a retry would be skipped or fail the same way (400)."""
    return RetryResult(requeued=campaign_service.retry_failed(session, campaign_id, data.reasons))


@router.get("/{campaign_id}/recipients", response_model=RecipientPage)
def list_recipients(
    _: CurrentUser,
    session: DbSession,
    campaign_id: CampaignId,
    state: RecipientState | None = None,
    limit: PageLimit = 50,
    cursor: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> RecipientPage:
    campaign_service.get(session, campaign_id)
    return results.recipients_page(session, campaign_id, state=state, limit=limit, cursor=cursor)


@router.get("/{campaign_id}/results", response_model=CampaignResults)
def campaign_results(
    _: CurrentUser, session: DbSession, settings: SettingsDep, campaign_id: CampaignId
) -> CampaignResults:
    """Sent, delivered, read, replied (within 72 h) and failed, by variant and by number;
    failures and skips by reason; opt-outs after it; the estimated cost."""
    campaign = campaign_service.get(session, campaign_id)
    return results.results(session, campaign, prices=price_list(settings.campaign_prices_file))


@router.get(
    "/{campaign_id}/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "Recipients with outcomes"}},
)
def export_recipients(
    _: CurrentUser, session: DbSession, runtime: RuntimeDep, campaign_id: CampaignId
) -> StreamingResponse:
    """Every recipient with their outcome, as CSV (UTF-8; cells a spreadsheet would run as a
    formula are prefixed with ')."""
    campaign = campaign_service.get(session, campaign_id)
    return StreamingResponse(
        exporting.stream(runtime.session_factory, campaign.id),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{exporting.filename(campaign.id, campaign.name)}"'
            )
        },
    )


def _read(
    session: Session, campaign: Campaign, counts: RecipientCounts | None = None
) -> CampaignRead:
    segment = session.get(Segment, campaign.segment_id) if campaign.segment_id else None
    if counts is None:
        counts = (
            campaign_service.counts(session, campaign.id)
            if campaign.started_at is not None
            else RecipientCounts()
        )
    return CampaignRead(
        id=campaign.id,
        name=campaign.name,
        status=campaign.status,
        kind=campaign.kind,
        segment_id=campaign.segment_id,
        segment_name=segment.name if segment else None,
        variants=campaign_service.variants(campaign),
        header_media_file_id=campaign.header_media_file_id,
        scheduled_at=campaign.scheduled_at,
        quiet_start_minute=campaign.quiet_start_minute,
        quiet_end_minute=campaign.quiet_end_minute,
        time_zone=campaign.time_zone,
        created_by_user_id=campaign.created_by_user_id,
        created_at=campaign.created_at,
        started_at=campaign.started_at,
        finished_at=campaign.finished_at,
        paused_reason=campaign.paused_reason,
        forecast_finish_at=campaign.forecast_finish_at,
        counts=counts,
    )
