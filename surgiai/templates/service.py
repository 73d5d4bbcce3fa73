"""Our copy of each WhatsApp Business Account's message templates: applying a full sync listed
by the number's channel, applying status and quality webhooks, queueing syncs, and reading
templates.

A sync mirrors WhatsApp's list: templates it returns are created or updated, and templates it no
longer returns are kept with status DELETED (not removed), because messages already sent with
them still show in the inbox. A webhook about a template we do not know yet queues a sync of its
WABA instead of creating a partial row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session

from surgiai.channels.base import TemplateInfo, TemplateQualityEvent, TemplateStatusEvent
from surgiai.db.outbox import enqueue
from surgiai.kit.time import utcnow
from surgiai.numbers.models import WhatsAppNumber
from surgiai.numbers.repository import NumberRepository
from surgiai.numbers.service import number_service
from surgiai.templates.models import DELETED_STATUS, MessageTemplate, TemplateSync
from surgiai.templates.repository import TemplateRepository
from surgiai.templates.schemas import TemplatePage, TemplateRead, TemplateSyncRead

log = structlog.get_logger(__name__)

SYNC_TASK = "templates.sync"
# A requested sync that no worker started within this time is taken as lost and queued again;
# until then, further requests (a burst of webhooks, repeated clicks) add nothing.
SYNC_REQUEST_TTL = timedelta(minutes=5)
# Status webhook events that are not a status of their own.
STATUS_FOR_EVENT = {"REINSTATED": "APPROVED"}
# Events about editing rights: the template's sending status stays what it was.
NON_STATUS_EVENTS = frozenset({"LOCKED", "UNLOCKED"})
REJECTED_STATUS = "REJECTED"


@dataclass(frozen=True)
class SyncCounts:
    created: int
    updated: int
    unchanged: int
    # Templates WhatsApp no longer lists, now marked DELETED.
    deleted: int


class TemplateService:
    # --- Reading ------------------------------------------------------------------------------

    def find(
        self, session: Session, waba_id: str, name: str, language: str
    ) -> MessageTemplate | None:
        """The template exactly as a send names it (any status, deleted ones included)."""
        return TemplateRepository(session).find(waba_id, name, language)

    def list(
        self, session: Session, *, waba_id: str | None, status: str | None, q: str | None
    ) -> Sequence[MessageTemplate]:
        """Templates by name and language. Without `status`, all but the deleted ones; `q`
        matches part of the name, ignoring case."""
        return TemplateRepository(session).list(
            waba_id=waba_id, status=status.upper() if status else None, name_contains=q
        )

    def read_page(
        self, session: Session, *, number_id: int | None, status: str | None, q: str | None
    ) -> TemplatePage:
        """The templates of the number's WABA (of every WABA without a number), with the state
        of their syncs."""
        waba_id = number_service.get(session, number_id).waba_id if number_id is not None else None
        templates = self.list(session, waba_id=waba_id, status=status, q=q)
        syncs = TemplateRepository(session).sync_states([waba_id] if waba_id else None)
        return TemplatePage(
            items=[TemplateRead.model_validate(template) for template in templates],
            syncs=[TemplateSyncRead.model_validate(sync) for sync in syncs],
        )

    # --- Queueing syncs -----------------------------------------------------------------------

    def request_sync(self, session: Session, number: WhatsAppNumber) -> TemplateSync:
        """Queue a sync of the number's WABA with its credentials, unless one is already
        waiting."""
        state = TemplateRepository(session).sync_state(number.waba_id)
        now = utcnow()
        if state.pending and not _older(state.requested_at, now - SYNC_REQUEST_TTL):
            return state
        state.requested_at = now
        enqueue(session, SYNC_TASK, number.id)
        return state

    def retry_sync(
        self, session: Session, number: WhatsAppNumber, attempt: int, *, delay: float
    ) -> None:
        """Queue the next attempt of a sync that failed, after `delay` seconds."""
        TemplateRepository(session).sync_state(number.waba_id).requested_at = utcnow()
        enqueue(session, SYNC_TASK, number.id, attempt, delay=delay)

    def request_syncs(self, session: Session, number_id: int | None) -> Sequence[TemplateSync]:
        """A sync of the number's WABA, or of every WABA that has an enabled number."""
        if number_id is not None:
            return [self.request_sync(session, number_service.get(session, number_id))]
        return [self.request_sync(session, number) for number in _one_number_per_waba(session)]

    def request_sync_for_waba(self, session: Session, waba_id: str) -> TemplateSync | None:
        """A sync through one of the WABA's enabled numbers; None when it has none (we hold no
        credentials for it)."""
        numbers = [n for n in NumberRepository(session).list_for_waba(waba_id) if n.enabled]
        if not numbers:
            log.warning("templates.sync.no_number", waba_id=waba_id)
            return None
        return self.request_sync(session, min(numbers, key=lambda number: number.id))

    # --- Applying a sync ----------------------------------------------------------------------

    def sync_started(self, session: Session, waba_id: str, at: datetime) -> None:
        TemplateRepository(session).sync_state(waba_id).started_at = at

    def sync_failed(self, session: Session, waba_id: str, reason: str) -> None:
        state = TemplateRepository(session).sync_state(waba_id)
        state.last_error = reason[:1000]
        state.last_error_at = utcnow()

    def apply_sync(
        self,
        session: Session,
        waba_id: str,
        templates: Sequence[TemplateInfo],
        *,
        fetched_at: datetime | None = None,
    ) -> SyncCounts:
        """Mirror WhatsApp's complete template list for `waba_id` (every page of it).
        `fetched_at` is when the reading began (default: now); a status webhook newer than that
        is not overwritten by the older list."""
        repository = TemplateRepository(session)
        now = utcnow()
        # Webhook times are whole seconds: an event in the same second as the reading counts
        # as newer, never as already included.
        listed_at = (fetched_at or now).replace(microsecond=0)
        existing = {(t.name, t.language): t for t in repository.for_waba(waba_id)}
        seen: set[tuple[str, str]] = set()
        created = updated = unchanged = 0
        for info in templates:
            values = _values(waba_id, info)
            key = (values["name"], values["language"])
            seen.add(key)
            template = existing.get(key)
            if template is None:
                template, inserted = repository.get_or_create(
                    {**values, "status_at": listed_at, "synced_at": now, "updated_at": now}
                )
                existing[key] = template
                if inserted:
                    created += 1
                    continue
            if template.status_at is not None and template.status_at > listed_at:
                # A webhook told us of a newer status while the list was being read.
                values.pop("status")
                values.pop("rejected_reason")
            else:
                values["status_at"] = listed_at
            if _assign(template, values, now):
                updated += 1
            else:
                unchanged += 1
            template.synced_at = now
        deleted = 0
        for key, template in existing.items():
            if key not in seen and template.status != DELETED_STATUS:
                _assign(template, {"status": DELETED_STATUS, "status_at": listed_at}, now)
                deleted += 1
        state = repository.sync_state(waba_id)
        state.synced_at = now
        state.template_count = len(seen)
        state.last_error = None
        state.last_error_at = None
        return SyncCounts(created, updated, unchanged, deleted)

    # --- Webhooks -----------------------------------------------------------------------------

    def apply_status_event(
        self, session: Session, event: TemplateStatusEvent
    ) -> MessageTemplate | None:
        """`message_template_status_update`: APPROVED, REJECTED, PAUSED, DISABLED…

        Returns the template, or None when the event names none we know (a sync is queued)."""
        if not event.waba_id or not event.event:
            log.info("templates.status.incomplete", template_id=event.template_id)
            return None
        template = _template_for_event(
            session, event.waba_id, event.template_id, event.template_name, event.language
        )
        if template is None:
            log.info(
                "templates.status.unknown_template",
                waba_id=event.waba_id,
                template_id=event.template_id,
                webhook_event=event.event,
            )
            self.request_sync_for_waba(session, event.waba_id)
            return None
        kind = event.event.upper()
        if kind in NON_STATUS_EVENTS:
            log.info(
                "templates.status.ignored", template_id=template.template_id, webhook_event=kind
            )
            return template
        if _older(event.time, template.status_at):
            log.info("templates.status.stale", template_id=template.template_id, webhook_event=kind)
            return template
        status = STATUS_FOR_EVENT.get(kind, kind)[:32]
        values: dict[str, Any] = {
            "status": status,
            "status_at": event.time or utcnow(),
            "rejected_reason": _rejection(event) if status == REJECTED_STATUS else None,
        }
        if event.category:
            values["category"] = event.category.upper()[:32]
        if _assign(template, values, utcnow()):
            log.info(
                "templates.status.changed",
                waba_id=template.waba_id,
                template_id=template.template_id,
                status=status,
            )
        return template

    def apply_quality_event(
        self, session: Session, event: TemplateQualityEvent
    ) -> MessageTemplate | None:
        """`message_template_quality_update`: GREEN, YELLOW, RED or UNKNOWN."""
        if not event.waba_id or not event.new_quality:
            log.info("templates.quality.incomplete", template_id=event.template_id)
            return None
        template = _template_for_event(
            session, event.waba_id, event.template_id, event.template_name, event.language
        )
        if template is None:
            log.info(
                "templates.quality.unknown_template",
                waba_id=event.waba_id,
                template_id=event.template_id,
            )
            self.request_sync_for_waba(session, event.waba_id)
            return None
        _assign(template, {"quality": event.new_quality.upper()[:16]}, utcnow())
        return template


def _one_number_per_waba(session: Session) -> list[WhatsAppNumber]:
    """The enabled number with the lowest id in each WABA: a sync reads the whole WABA, so one
    number's credentials are enough."""
    chosen: dict[str, WhatsAppNumber] = {}
    for number in NumberRepository(session).list():
        if number.enabled and number.waba_id not in chosen:
            chosen[number.waba_id] = number
    return list(chosen.values())


def _template_for_event(
    session: Session,
    waba_id: str,
    template_id: str | None,
    name: str | None,
    language: str | None,
) -> MessageTemplate | None:
    """By WhatsApp's id first; else by name and language, which webhooks sometimes write with a
    hyphen (`en-US`) where the Graph API writes `en_US`."""
    repository = TemplateRepository(session)
    if template_id:
        template = repository.find_by_template_id(waba_id, template_id)
        if template is not None:
            return template
    if name and language:
        return repository.find(waba_id, name, language.replace("-", "_"))
    return None


def _older(moment: datetime | None, than: datetime | None) -> bool:
    return moment is not None and than is not None and moment < than


def _assign(template: MessageTemplate, values: Mapping[str, Any], now: datetime) -> bool:
    """Set what differs; `updated_at` moves only when something WhatsApp says changed."""
    changed = False
    for field, value in values.items():
        if getattr(template, field) != value:
            setattr(template, field, value)
            if field != "status_at":
                changed = True
    if changed:
        template.updated_at = now
    return changed


def _values(waba_id: str, info: TemplateInfo) -> dict[str, Any]:
    """Our columns from one listed template."""
    values: dict[str, Any] = {
        "waba_id": waba_id,
        "name": info.name[:512],
        "language": info.language[:32],
        "status": info.status[:32],
        "category": info.category[:32] if info.category else None,
        "parameter_format": info.parameter_format[:16],
        "components": info.components,
        "template_id": info.template_id,
        "rejected_reason": info.rejected_reason[:1000] if info.rejected_reason else None,
    }
    if info.quality is not None:
        # Absent from the answer says nothing: keep what a quality webhook told us.
        values["quality"] = info.quality[:16]
    return values


def _rejection(event: TemplateStatusEvent) -> str | None:
    """WhatsApp's reason code, with its recommendation when it gives one."""
    info = event.rejection_info or {}
    reason = _text(info.get("reason")) or event.reason
    if reason is not None and reason.upper() == "NONE":
        reason = None
    recommendation = _text(info.get("recommendation"))
    text = ": ".join(part for part in (reason, recommendation) if part)
    return text[:1000] or None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    return str(value) or None


template_service = TemplateService()
