"""Campaign rules: drafts, the plan, freezing recipients at start, and pause, resume, cancel and
retry, each safe to press twice. Sending is the executor's (`tasks.py`)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session

from surgiai.campaigns import results
from surgiai.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignRecipient,
    CampaignStatus,
    RecipientState,
)
from surgiai.campaigns.planner import (
    CUSTOMER_SERVICE_WINDOW,
    Candidate,
    NumberCapacity,
    Plan,
    QuietHours,
    exclusion,
    plan,
)
from surgiai.campaigns.reasons import (
    MARKETING_LIMIT,
    NOT_REACHED,
    RATE_LIMITED,
    RETRYABLE,
    TEMPORARY,
    retryable,
)
from surgiai.campaigns.rendering import Rendered, Renderer, TemplateRenderer, TextRenderer
from surgiai.campaigns.repository import CampaignRepository, portfolio_of
from surgiai.campaigns.schemas import (
    CampaignCreate,
    CampaignPlan,
    CampaignProgress,
    CampaignUpdate,
    NumberPlan,
    RecipientCounts,
    RecipientPreview,
    VariantIn,
)
from surgiai.channels.base import ErrorDetail, ErrorReaction
from surgiai.db.engine import json_dumps
from surgiai.db.outbox import enqueue, publish
from surgiai.doctors.filters import DoctorFilter
from surgiai.doctors.models import Segment
from surgiai.errors import BadRequest, Conflict, NotFound
from surgiai.kit.events import Event
from surgiai.kit.time import utcnow
from surgiai.media.service import media_service
from surgiai.notifications.service import notification_service
from surgiai.numbers.models import WhatsAppNumber
from surgiai.numbers.repository import NumberRepository
from surgiai.numbers.service import number_service
from surgiai.templates.models import MessageTemplate
from surgiai.templates.service import template_service

log = structlog.get_logger(__name__)

SEND_CHUNK_TASK = "campaigns.send_chunk"
PROGRESS_EVENT = "campaign.progress"
# Why recipients are left out, as the results group them.
OPTED_OUT = "Opted out of marketing"
UNREACHABLE = "Not reachable on WhatsApp"
NO_ADDRESS = "No WhatsApp number or user id"
OUTSIDE_WINDOW = "Outside the 24 h window (free text needs one)"
NO_NUMBER = "No number can send to them"
MISSING_VALUES = "Missing template values"
TAKEN_OVER = "A team member has the conversation"
PREVIEW_SAMPLES = 5
# Seconds between two progress events of one campaign from one process.
PROGRESS_EVERY = 1.0
EDITABLE = (CampaignStatus.draft, CampaignStatus.scheduled)


class CampaignService:
    def __init__(self) -> None:
        self._last_progress: dict[int, float] = {}

    # --- Drafts -------------------------------------------------------------------------------

    def get(self, session: Session, campaign_id: int, *, lock: bool = False) -> Campaign:
        campaign = CampaignRepository(session).get(campaign_id, lock=lock)
        if campaign is None:
            raise NotFound(f"No campaign with id {campaign_id}.")
        return campaign

    def create(
        self, session: Session, data: CampaignCreate, *, user_id: int, time_zone: str
    ) -> Campaign:
        self._check(session, data.kind, data.variants, data.segment_id, data.header_media_file_id)
        _check_schedule(data.scheduled_at, data.quiet_start_minute, data.quiet_end_minute)
        campaign = Campaign(
            name=data.name,
            kind=data.kind,
            segment_id=data.segment_id,
            variants=[v.model_dump(mode="json", exclude_none=True) for v in data.variants],
            header_media_file_id=data.header_media_file_id,
            scheduled_at=data.scheduled_at,
            quiet_start_minute=data.quiet_start_minute,
            quiet_end_minute=data.quiet_end_minute,
            time_zone=time_zone,
            created_by_user_id=user_id,
        )
        session.add(campaign)
        session.flush()
        return campaign

    def update(self, session: Session, campaign_id: int, data: CampaignUpdate) -> Campaign:
        campaign = self.get(session, campaign_id, lock=True)
        if campaign.status not in EDITABLE:
            raise Conflict(f"A {campaign.status.value} campaign cannot be changed.")
        fields = data.model_fields_set
        variants = data.variants if data.variants is not None else self.variants(campaign)
        segment_id = data.segment_id if data.segment_id is not None else campaign.segment_id
        media = (
            data.header_media_file_id
            if "header_media_file_id" in fields
            else campaign.header_media_file_id
        )
        self._check(session, campaign.kind, variants, segment_id, media)
        if data.name is not None:
            campaign.name = data.name
        if data.segment_id is not None:
            campaign.segment_id = data.segment_id
        if data.variants is not None:
            campaign.variants = [v.model_dump(mode="json", exclude_none=True) for v in variants]
        for name in (
            "header_media_file_id",
            "scheduled_at",
            "quiet_start_minute",
            "quiet_end_minute",
        ):
            if name in fields:
                setattr(campaign, name, getattr(data, name))
        _check_schedule(
            campaign.scheduled_at if "scheduled_at" in fields else None,
            campaign.quiet_start_minute,
            campaign.quiet_end_minute,
        )
        campaign.updated_at = utcnow()
        self.changed(session, campaign)
        return campaign

    def delete(self, session: Session, campaign_id: int) -> None:
        campaign = self.get(session, campaign_id, lock=True)
        if campaign.status in (CampaignStatus.running, CampaignStatus.paused):
            raise Conflict("Cancel the campaign before deleting it.")
        session.delete(campaign)

    @staticmethod
    def variants(campaign: Campaign) -> list[VariantIn]:
        return [VariantIn.model_validate(v) for v in campaign.variants]

    @staticmethod
    def _check(
        session: Session,
        kind: CampaignKind,
        variants: Sequence[VariantIn],
        segment_id: int | None,
        header_media_file_id: int | None,
    ) -> None:
        keys = [v.key for v in variants]
        if len(set(keys)) != len(keys):
            raise BadRequest("Each variant needs its own letter (A, B, …).")
        if len(variants) > 1 and sum(v.share for v in variants) != 100:
            raise BadRequest("The variants' shares must add up to 100 %.")
        for variant in variants:
            if kind is CampaignKind.template and not (variant.template_name and variant.language):
                raise BadRequest(f"Variant {variant.key} needs a template and its language.")
            if kind is CampaignKind.text and not variant.text:
                raise BadRequest(f"Variant {variant.key} needs its text.")
        # A missing id in the body is a bad request (404 is for the path's own resource).
        if segment_id is not None and session.get(Segment, segment_id) is None:
            raise BadRequest(f"No segment with id {segment_id}.")
        if header_media_file_id is not None:
            try:
                media_service.get(session, header_media_file_id)
            except NotFound as error:
                raise BadRequest(error.detail) from error

    # --- Planning -----------------------------------------------------------------------------

    def plan(self, session: Session, campaign: Campaign) -> CampaignPlan:
        """What starting now would do, without changing anything."""
        now = utcnow()
        built = self._build(session, campaign, now)
        return built.read(session, now)

    def _build(self, session: Session, campaign: Campaign, now: datetime) -> _Built:
        repository = CampaignRepository(session)
        problems: list[str] = []
        variants = self.variants(campaign)
        segment = session.get(Segment, campaign.segment_id) if campaign.segment_id else None
        if segment is None and campaign.audience_filters is None:
            problems.append("Choose a segment: the campaign has no audience.")
        doctor_filter = DoctorFilter.model_validate(
            campaign.audience_filters
            if campaign.audience_filters is not None
            else (segment.filters if segment else {})
        )
        numbers = list(NumberRepository(session).list())
        templates = self._templates(session, campaign, variants, numbers)
        capacities = [
            NumberCapacity(
                id=number.id,
                label=number.label,
                portfolio=portfolio_of(number),
                quality_rating=number.quality_rating,
                messaging_tier=number.messaging_tier,
                throughput_mps=float(number.throughput_mps),
                excluded_reason=exclusion(
                    can_send=number_service.can_send(number),
                    why_not=why_not(number),
                    quality_rating=number.quality_rating,
                    status=number.status,
                    has_template=campaign.kind is CampaignKind.text
                    or all((number.waba_id, v.key) in templates for v in variants),
                ),
            )
            for number in numbers
        ]
        if not any(c.excluded_reason is None for c in capacities):
            problems.append(
                "No WhatsApp number can send this campaign now"
                + (
                    ": " + "; ".join(f"{c.label}: {c.excluded_reason}" for c in capacities)
                    if capacities
                    else "."
                )
            )
        if campaign.kind is CampaignKind.template:
            for variant in variants:
                if not any(key == variant.key for _, key in templates):
                    problems.append(
                        f"Template {variant.template_name} ({variant.language}) of variant "
                        f"{variant.key} is not approved on any number's account."
                    )
        audience = (
            []
            if segment is None and campaign.audience_filters is None
            else repository.audience(doctor_filter)
        )
        skipped: dict[int, str] = {}
        candidates: list[Candidate] = []
        window_start = now - CUSTOMER_SERVICE_WINDOW
        for doctor in audience:
            reason = _skip_reason(campaign.kind, doctor, window_start)
            if reason is not None:
                skipped[doctor.id] = reason
                continue
            candidates.append(
                Candidate(
                    doctor_id=doctor.id,
                    sticky_number_id=doctor.sticky_number_id,
                    outside_window=doctor.last_inbound_at is None
                    or doctor.last_inbound_at < window_start,
                )
            )
        quiet = quiet_hours_of(campaign)
        result = plan(
            candidates,
            capacities,
            [(v.key, v.share) for v in variants],
            tier_used=repository.tier_used(numbers, now - timedelta(hours=24)),
            counts_against_tier=campaign.kind is CampaignKind.template,
            now=max(now, campaign.scheduled_at or now),
            quiet=quiet,
        )
        if not audience and not problems:
            problems.append("The segment matches no doctor now.")
        return _Built(
            campaign, variants, audience, skipped, result, capacities, numbers, templates, problems
        )

    @staticmethod
    def _templates(
        session: Session,
        campaign: Campaign,
        variants: Sequence[VariantIn],
        numbers: Sequence[WhatsAppNumber],
    ) -> dict[tuple[str, str], MessageTemplate]:
        """Each variant's approved template on each account, by (waba_id, variant key)."""
        found: dict[tuple[str, str], MessageTemplate] = {}
        if campaign.kind is not CampaignKind.template:
            return found
        for waba_id in {n.waba_id for n in numbers}:
            for variant in variants:
                assert variant.template_name and variant.language
                template = template_service.find(
                    session, waba_id, variant.template_name, variant.language
                )
                if template is not None and template.sendable:
                    found[(waba_id, variant.key)] = template
        return found

    # --- Starting -----------------------------------------------------------------------------

    def start(self, session: Session, campaign_id: int) -> Campaign:
        """Freeze the audience into recipient rows and begin, or wait for the scheduled time.
        Pressed twice, the second press finds it running and says so."""
        campaign = self.get(session, campaign_id, lock=True)
        now = utcnow()
        if (
            campaign.status is CampaignStatus.draft
            and campaign.scheduled_at
            and campaign.scheduled_at > now
        ):
            built = self._build(session, campaign, now)
            if built.problems:
                raise Conflict(" ".join(built.problems))
            campaign.status = CampaignStatus.scheduled
            self.changed(session, campaign)
            return campaign
        if campaign.status not in EDITABLE:
            raise Conflict(f"The campaign is {campaign.status.value} already.")
        return self._begin(session, campaign, now)

    def _begin(self, session: Session, campaign: Campaign, now: datetime) -> Campaign:
        built = self._build(session, campaign, now)
        if built.problems:
            raise Conflict(" ".join(built.problems))
        segment = session.get(Segment, campaign.segment_id) if campaign.segment_id else None
        if campaign.audience_filters is None and segment is not None:
            campaign.audience_filters = dict(segment.filters)
        recipients = CampaignRepository(session).insert_recipients(
            built.recipient_rows(campaign.id)
        )
        campaign.status = CampaignStatus.running
        campaign.started_at = now
        campaign.forecast_finish_at = built.result.forecast_finish_at
        campaign.deferred_count = built.result.deferred
        log.info(
            "campaigns.started",
            campaign_id=campaign.id,
            recipients=recipients,
            deferred=built.result.deferred,
        )
        self._kick(session, campaign)
        self.changed(session, campaign)
        return campaign

    def start_due(self, session: Session, now: datetime) -> int:
        """Start scheduled campaigns whose time came (the periodic tick)."""
        started = 0
        for campaign in CampaignRepository(session).with_status(CampaignStatus.scheduled):
            if campaign.scheduled_at is None or campaign.scheduled_at <= now:
                locked = self.get(session, campaign.id, lock=True)
                if locked.status is not CampaignStatus.scheduled:
                    continue
                try:
                    with session.begin_nested():
                        self._begin(session, locked, now)
                    started += 1
                except Conflict as error:
                    locked.status = CampaignStatus.paused
                    locked.paused_reason = str(error.detail)[:500]
                    self.changed(session, locked)
        return started

    def _kick(self, session: Session, campaign: Campaign) -> None:
        """One chunk task per number with work: each enqueues the next as it goes."""
        for number_id in CampaignRepository(session).numbers_with_work(campaign.id):
            enqueue(session, SEND_CHUNK_TASK, campaign.id, number_id)

    # --- Pause, resume, cancel, retry ---------------------------------------------------------

    def pause(self, session: Session, campaign_id: int, reason: str | None = None) -> Campaign:
        campaign = self.get(session, campaign_id, lock=True)
        if campaign.status is CampaignStatus.paused:
            return campaign
        if campaign.status not in (CampaignStatus.running, CampaignStatus.scheduled):
            raise Conflict(f"A {campaign.status.value} campaign cannot be paused.")
        campaign.status = CampaignStatus.paused
        campaign.paused_reason = reason
        self.changed(session, campaign)
        return campaign

    def resume(self, session: Session, campaign_id: int) -> Campaign:
        """Send what is still pending. The recipients are the exactly-once unit: a second press,
        or a resume racing a worker, finds nothing new to send."""
        campaign = self.get(session, campaign_id, lock=True)
        if campaign.status is CampaignStatus.running:
            return campaign
        if campaign.status is not CampaignStatus.paused:
            raise Conflict(f"A {campaign.status.value} campaign cannot be resumed.")
        if campaign.started_at is None:
            campaign.status = CampaignStatus.scheduled
            self.changed(session, campaign)
            return campaign
        campaign.status = CampaignStatus.running
        campaign.paused_reason = None
        self._rebalance(session, campaign)
        self._kick(session, campaign)
        self.changed(session, campaign)
        return campaign

    def cancel(self, session: Session, campaign_id: int) -> Campaign:
        """Cancelled at once, its unsent rows after. The executor checks the campaign before
        each chunk, so the status is committed first: updating 100,000 rows took PostgreSQL
        2.5 s, and the chunks went on sending until it committed. Pressed again, it finishes
        the rows of a cancel that stopped half-way."""
        campaign = self.get(session, campaign_id, lock=True)
        if campaign.status is CampaignStatus.completed:
            raise Conflict("The campaign has completed: there is nothing left to cancel.")
        if campaign.status is not CampaignStatus.cancelled:
            campaign.status = CampaignStatus.cancelled
            campaign.finished_at = utcnow()
            self.changed(session, campaign)
            session.commit()
        if CampaignRepository(session).cancel_unsent(campaign_id):
            self.changed(session, campaign)
        return campaign

    def retry_failed(self, session: Session, campaign_id: int, reasons: Sequence[str]) -> int:
        """Failed recipients (of these reasons) go back to pending: the executor sends each a
        new message through WhatsApp, once, as it does any pending row."""
        campaign = self.get(session, campaign_id, lock=True)
        # Requeued, such a recipient would only be skipped or fail the same way again.
        hopeless = [reason for reason in dict.fromkeys(reasons) if not retryable(reason)]
        if hopeless:
            raise BadRequest(
                "A retry cannot help recipients who failed for: "
                + "; ".join(hopeless)
                + ". Only these can be retried: "
                + "; ".join(RETRYABLE)
                + "."
            )
        if campaign.status is CampaignStatus.cancelled or campaign.started_at is None:
            raise Conflict(f"A {campaign.status.value} campaign has nothing to retry.")
        requeued = CampaignRepository(session).requeue_failed(campaign.id, reasons, RETRYABLE)
        if requeued:
            if campaign.status is CampaignStatus.completed:
                campaign.status = CampaignStatus.running
                campaign.finished_at = None
            if campaign.status is CampaignStatus.running:
                self._rebalance(session, campaign)
                self._kick(session, campaign)
        self.changed(session, campaign)
        return requeued

    # --- The executor's part ------------------------------------------------------------------

    def move_off(
        self, session: Session, campaign: Campaign, number: WhatsAppNumber, why: str
    ) -> int:
        """A number stopped (paused, blocked, RED): its pending recipients go to the others, and
        the team is told. With no other number, the campaign pauses."""
        others = [
            n.id
            for n in NumberRepository(session).list()
            if n.id != number.id and campaign_ready(n)
        ]
        repository = CampaignRepository(session)
        if not others:
            if repository.next_due(campaign.id, number.id) is not None:
                campaign.status = CampaignStatus.paused
                campaign.paused_reason = (
                    f"{number.label} stopped ({why}) and no other number can send."
                )
                self.changed(session, campaign)
            return 0
        moved = repository.move_pending(campaign.id, number.id, others)
        if moved:
            notification_service.notify(
                session,
                "campaign.moved",
                f"Campaign {campaign.name}: {moved} recipients moved off {number.label}",
                body=f"{number.label} stopped sending ({why}). The other numbers carry on.",
            )
            log.warning(
                "campaigns.moved", campaign_id=campaign.id, number_id=number.id, moved=moved
            )
            for number_id in others:
                enqueue(session, SEND_CHUNK_TASK, campaign.id, number_id)
        return moved

    def _rebalance(self, session: Session, campaign: Campaign) -> None:
        for number in NumberRepository(session).list():
            if not campaign_ready(number):
                self.move_off(session, campaign, number, why_not(number))

    def message_failed(self, session: Session, message_id: int, error: ErrorDetail) -> None:
        """A campaign message WhatsApp accepted, then reported failed (a status webhook): the
        recipient is failed for the reason, or held for another try where one can help."""
        repository = CampaignRepository(session)
        recipient = repository.for_message(message_id)
        if recipient is None or recipient.state not in (
            RecipientState.sent,
            RecipientState.sending,
        ):
            return
        now = utcnow()
        reaction = error.reaction
        if reaction is ErrorReaction.marketing_capped and not recipient.marketing_limit_retried:
            recipient.marketing_limit_retried = True
            self._retry_later(recipient, now + MARKETING_LIMIT_RETRY)
        elif reaction in (ErrorReaction.throttled, ErrorReaction.retry_later_pair):
            self._retry_later(recipient, now + THROTTLED_RETRY)
        elif reaction in (ErrorReaction.pause_number, ErrorReaction.auth_failed):
            self._retry_later(recipient, None)
            campaign = self.get(session, recipient.campaign_id, lock=True)
            number = (
                session.get(WhatsAppNumber, recipient.number_id) if recipient.number_id else None
            )
            if campaign.status is CampaignStatus.running and number is not None:
                self.move_off(session, campaign, number, f"error {error.code}: {error.reason}")
            return
        else:
            recipient.state = RecipientState.failed
            recipient.error_code = error.code
            recipient.reason = failure_reason(error)
        campaign = self.get(session, recipient.campaign_id)
        if recipient.state is RecipientState.pending and campaign.status is CampaignStatus.running:
            self._kick(session, campaign)
        self.changed(session, campaign)

    @staticmethod
    def _retry_later(recipient: CampaignRecipient, hold: datetime | None) -> None:
        """Back to pending with a new message next time (the failed one stays in the thread)."""
        recipient.state = RecipientState.pending
        recipient.message_id = None
        recipient.not_before = hold
        recipient.sent_at = None

    def complete_if_done(self, session: Session, campaign: Campaign) -> bool:
        if campaign.status is not CampaignStatus.running:
            return False
        if CampaignRepository(session).unfinished(campaign.id):
            return False
        campaign.status = CampaignStatus.completed
        campaign.finished_at = utcnow()
        log.info("campaigns.completed", campaign_id=campaign.id)
        self.changed(session, campaign)
        return True

    # --- Progress -----------------------------------------------------------------------------

    def counts(self, session: Session, campaign_id: int) -> RecipientCounts:
        return results.counts(session, campaign_id)

    def changed(self, session: Session, campaign: Campaign, *, progress_only: bool = False) -> None:
        """Tell open dashboards once this commits (one event per campaign per commit). Mere
        progress is told at most once a second per process: counting a large campaign's rows
        for every chunk would cost more than sending it."""
        campaign_id = campaign.id
        if progress_only:
            now = time.monotonic()
            if now - self._last_progress.get(campaign_id, -PROGRESS_EVERY) < PROGRESS_EVERY:
                return
            self._last_progress[campaign_id] = now

        def build() -> Event:
            counts = self.counts(session, campaign_id) if session.is_active else RecipientCounts()
            return Event(
                PROGRESS_EVENT,
                CampaignProgress(
                    id=campaign_id,
                    status=campaign.status,
                    counts=counts,
                    paused_reason=campaign.paused_reason,
                ).model_dump(mode="json"),
            )

        publish(session, (PROGRESS_EVENT, campaign_id), build)


# 131049 (Meta's per-user marketing limit) is tried once more, a day later.
MARKETING_LIMIT_RETRY = timedelta(hours=24, minutes=5)
THROTTLED_RETRY = timedelta(seconds=60)


def failure_reason(error: ErrorDetail) -> str:
    """How the results group a failure."""
    reason = {
        ErrorReaction.marketing_capped: MARKETING_LIMIT,
        ErrorReaction.marketing_opted_out: OPTED_OUT,
        ErrorReaction.recipient_unreachable: UNREACHABLE,
        ErrorReaction.throttled: RATE_LIMITED,
        ErrorReaction.retry_later_pair: RATE_LIMITED,
        ErrorReaction.retry_transient: TEMPORARY,
    }.get(error.reaction)
    if reason is None:
        reason = (
            NOT_REACHED if error.code is None else (error.title or f"WhatsApp error {error.code}")
        )
    return reason[:300]


class _Built:
    """A plan with what starting needs to write the recipient rows."""

    def __init__(
        self,
        campaign: Campaign,
        variants: list[VariantIn],
        audience: Sequence[Any],
        skipped: dict[int, str],
        result: Plan,
        capacities: list[NumberCapacity],
        numbers: list[WhatsAppNumber],
        templates: dict[tuple[str, str], MessageTemplate],
        problems: list[str],
    ) -> None:
        self.campaign = campaign
        self.variants = {v.key: v for v in variants}
        self.audience = {d.id: d for d in audience}
        self.skipped = skipped
        self.result = result
        self.capacities = capacities
        self.numbers = {n.id: n for n in numbers}
        self.templates = templates
        self.problems = problems
        # Prepared once per (number, variant) a recipient is assigned: thousands share each.
        self._renderers: dict[tuple[int | None, str], Renderer] = {}

    def render(self, doctor: Any, variant_key: str, number_id: int | None) -> Rendered:
        key = (number_id, variant_key)
        renderer = self._renderers.get(key)
        if renderer is None:
            renderer = self._renderers[key] = self._renderer(variant_key, number_id)
        return renderer(doctor)

    def _renderer(self, variant_key: str, number_id: int | None) -> Renderer:
        """The variant's message as the number sends it (its account's copy of the template)."""
        variant = self.variants[variant_key]
        if self.campaign.kind is CampaignKind.text:
            return TextRenderer(variant)
        template = None
        if number_id is not None:
            template = self.templates.get((self.numbers[number_id].waba_id, variant_key))
        if template is None:
            template = next(
                (t for (_, key), t in self.templates.items() if key == variant_key), None
            )
        if template is None:  # a problem of the plan already: nothing can be rendered
            missing = (f"template {variant.template_name}",)
            return lambda _doctor: Rendered("template", {}, "", missing)
        return TemplateRenderer(variant, template, self.campaign.header_media_file_id)

    def recipient_rows(self, campaign_id: int) -> Iterator[dict[str, Any]]:
        """Made as they are inserted, so a large start never holds them all at once."""
        for doctor_id, reason in self.skipped.items():
            yield _row(campaign_id, doctor_id, "A", None, RecipientState.skipped, reason=reason)
        for assignment in self.result.assignments:
            doctor = self.audience[assignment.doctor_id]
            if assignment.number_id is None:
                yield _row(
                    campaign_id,
                    doctor.id,
                    assignment.variant,
                    None,
                    RecipientState.skipped,
                    reason=NO_NUMBER,
                )
                continue
            rendered = self.render(doctor, assignment.variant, assignment.number_id)
            state = RecipientState.skipped if rendered.missing else RecipientState.pending
            yield _row(
                campaign_id,
                doctor.id,
                assignment.variant,
                assignment.number_id,
                state,
                rendered=rendered,
                reason=MISSING_VALUES if rendered.missing else None,
                not_before=assignment.not_before,
            )

    def read(self, session: Session, now: datetime) -> CampaignPlan:
        reasons: dict[str, int] = {}
        for reason in self.skipped.values():
            reasons[reason] = reasons.get(reason, 0) + 1
        if self.result.unassigned:
            reasons[NO_NUMBER] = reasons.get(NO_NUMBER, 0) + self.result.unassigned
        samples: list[RecipientPreview] = []
        for assignment in self.result.assignments[:PREVIEW_SAMPLES]:
            doctor = self.audience[assignment.doctor_id]
            text, skip = "", None
            if assignment.number_id is None:
                skip = NO_NUMBER
            else:
                rendered = self.render(doctor, assignment.variant, assignment.number_id)
                text = rendered.text
                if rendered.missing:
                    skip = f"{MISSING_VALUES}: {', '.join(rendered.missing)}"
            samples.append(
                RecipientPreview(
                    doctor_id=doctor.id,
                    doctor_name=_name(doctor),
                    variant=assignment.variant,
                    number_id=assignment.number_id,
                    text=text,
                    skip_reason=skip,
                )
            )
        for doctor_id, reason in list(self.skipped.items())[
            : max(0, PREVIEW_SAMPLES - len(samples))
        ]:
            doctor = self.audience[doctor_id]
            samples.append(
                RecipientPreview(
                    doctor_id=doctor_id,
                    doctor_name=_name(doctor),
                    variant="A",
                    number_id=None,
                    text="",
                    skip_reason=reason,
                )
            )
        return CampaignPlan(
            recipients=len(self.result.assignments) - self.result.unassigned,
            skipped=reasons,
            numbers=[
                NumberPlan(
                    number_id=c.id,
                    label=c.label,
                    quality_rating=c.quality_rating,
                    messaging_tier=c.messaging_tier,
                    rate_per_second=c.rate,
                    recipients=self.result.per_number.get(c.id, 0),
                    excluded_reason=c.excluded_reason,
                )
                for c in self.capacities
            ],
            deferred=self.result.deferred,
            tier_budget=self.result.tier_budget,
            forecast_seconds=self.result.forecast_seconds,
            forecast_finish_at=self.result.forecast_finish_at,
            quiet_hours_pause=self.result.quiet_hours_pause,
            samples=samples,
            problems=self.problems,
        )


def _row(
    campaign_id: int,
    doctor_id: int,
    variant: str,
    number_id: int | None,
    state: RecipientState,
    *,
    rendered: Rendered | None = None,
    reason: str | None = None,
    not_before: datetime | None = None,
) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "doctor_id": doctor_id,
        "variant": variant,
        "number_id": number_id,
        "state": state,
        "message_type": rendered.message_type if rendered else "none",
        # As JSON text at once: rows waiting for their batch hold a string, not nested dicts.
        "payload": json_dumps(rendered.payload if rendered else {}),
        "preview": rendered.text if rendered else None,
        "reason": reason,
        "not_before": not_before,
        "attempts": 0,
        "marketing_limit_retried": False,
    }


def _name(doctor: Any) -> str:
    if doctor.name or doctor.profile_name:
        return str(doctor.name or doctor.profile_name)
    if doctor.wa_id:
        return f"+{doctor.wa_id}"
    return f"WhatsApp user {doctor.user_id or doctor.id}"


def _skip_reason(kind: CampaignKind, doctor: Any, window_start: datetime) -> str | None:
    # A campaign is marketing whatever its template's category: opt-outs are honoured.
    if doctor.marketing_opted_out:
        return OPTED_OUT
    if doctor.unreachable_reason:
        return UNREACHABLE
    if not (doctor.wa_id or doctor.user_id or doctor.parent_user_id):
        return NO_ADDRESS
    if kind is CampaignKind.text and (
        doctor.last_inbound_at is None or doctor.last_inbound_at < window_start
    ):
        return OUTSIDE_WINDOW
    return None


def quiet_hours_of(campaign: Campaign) -> QuietHours | None:
    if campaign.quiet_start_minute is None or campaign.quiet_end_minute is None:
        return None
    return QuietHours(campaign.quiet_start_minute, campaign.quiet_end_minute, campaign.time_zone)


def _check_schedule(scheduled_at: datetime | None, start: int | None, end: int | None) -> None:
    if scheduled_at is not None and scheduled_at <= utcnow():
        raise BadRequest("The scheduled time has passed: choose a later one, or start now.")
    if (start is None) != (end is None):
        raise BadRequest("Quiet hours need both a start and an end.")
    if start is not None and start == end:
        raise BadRequest("Quiet hours cannot start and end at the same time.")


def campaign_ready(number: WhatsAppNumber) -> bool:
    return (
        exclusion(
            can_send=number_service.can_send(number),
            why_not="",
            quality_rating=number.quality_rating,
            status=number.status,
            has_template=True,
        )
        is None
    )


def why_not(number: WhatsAppNumber) -> str:
    if not number.enabled:
        return "It is disabled."
    if number.paused:
        return number.paused_reason or "It is paused."
    if number.quality_rating == "RED":
        return "Its quality rating is RED."
    return f"WhatsApp reports its status as {number.status}."


campaign_service = CampaignService()
