"""The workspace's settings: what admins change on the Settings page without restarting.

Until an admin first saves there is no row and the environment's `Settings` provide every value
(`SURGIAI_BUSINESS_NAME`, `SURGIAI_AGENT_BURST_SECONDS`, `SURGIAI_ALERT_TEMPLATE` …), so a fresh
install behaves as configured. The first save stores all of them.

Code on hot paths reads them with `current`, which the Master Agent calls for every message: an
in-process cache answers without a query. A change saved in this process clears it once it
commits (a reaction of the session's outbox); other processes (distributed mode) load again
when their copy is `CACHE_TTL_SECONDS` old, so a change reaches every worker within that time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.orm import Session

from surgiai.audit.service import audit_service
from surgiai.auth.models import User
from surgiai.auth.schemas import PhonePreviewRead
from surgiai.auth.service import parse_phone_or_refuse
from surgiai.config import Settings
from surgiai.db.outbox import on_commit, publish
from surgiai.errors import Unprocessable
from surgiai.kit.events import Event
from surgiai.kit.time import utcnow
from surgiai.numbers.repository import NumberRepository
from surgiai.templates.models import MessageTemplate
from surgiai.templates.service import template_service
from surgiai.workspace.models import SINGLE_ROW_ID, AnswerPolicy, WorkspaceSettings
from surgiai.workspace.repository import WorkspaceSettingsRepository
from surgiai.workspace.schemas import WorkspaceSettingsRead, WorkspaceSettingsUpdate

log = structlog.get_logger(__name__)

CACHE_TTL_SECONDS = 3.0
UPDATED_EVENT = "settings.updated"
# Headers a send can fill without a parameter of its own (a media header needs one).
_PLAIN_HEADERS = frozenset({None, "TEXT"})


@dataclass(frozen=True)
class WorkspaceValues:
    """The settings in force, detached from any session."""

    business_name: str
    ai_replies_enabled: bool
    burst_seconds: float
    whatsapp_alerts_enabled: bool
    alert_template: str | None
    alert_template_language: str
    timezone: str
    default_region: str = "IN"
    answer_policy: AnswerPolicy = AnswerPolicy.approved_only
    # None while the environment provides the values (nobody has saved yet).
    updated_at: datetime | None = None
    updated_by_user_id: int | None = None

    @classmethod
    def from_environment(cls, settings: Settings) -> WorkspaceValues:
        return cls(
            business_name=settings.business_name,
            ai_replies_enabled=True,
            burst_seconds=settings.agent_burst_seconds,
            whatsapp_alerts_enabled=True,
            alert_template=settings.alert_template,
            alert_template_language=settings.alert_template_language,
            timezone=settings.timezone,
            default_region=settings.default_region.upper(),
        )

    @classmethod
    def from_row(cls, row: WorkspaceSettings) -> WorkspaceValues:
        return cls(
            business_name=row.business_name,
            ai_replies_enabled=row.ai_replies_enabled,
            burst_seconds=row.burst_seconds,
            whatsapp_alerts_enabled=row.whatsapp_alerts_enabled,
            alert_template=row.alert_template,
            alert_template_language=row.alert_template_language,
            timezone=row.timezone,
            default_region=row.default_region,
            answer_policy=AnswerPolicy(row.answer_policy),
            updated_at=row.updated_at,
            updated_by_user_id=row.updated_by_user_id,
        )

    def editable(self) -> dict[str, Any]:
        values = asdict(self)
        del values["updated_at"], values["updated_by_user_id"]
        return values


@dataclass(frozen=True)
class _Cached:
    settings: Settings
    bind: object
    values: WorkspaceValues
    expires_at: float


class WorkspaceService:
    def __init__(self, ttl_seconds: float = CACHE_TTL_SECONDS) -> None:
        self.ttl_seconds = ttl_seconds
        # Keyed by the environment's `Settings`: one per process in production, one per test.
        self._cache: dict[int, _Cached] = {}
        self._generation = 0
        self._lock = threading.Lock()

    # --- Reading ------------------------------------------------------------------------------

    def current(self, session: Session, settings: Settings) -> WorkspaceValues:
        """The settings in force, at most `ttl_seconds` old; a query only when that expired."""
        bind = session.get_bind()
        cached = self._cache.get(id(settings))
        if (
            cached is not None
            and cached.expires_at > time.monotonic()
            and cached.settings is settings
            and cached.bind is bind
        ):
            return cached.values
        generation = self._generation
        values = self.load(session, settings)
        with self._lock:
            # Loaded while a change was committing: good for this caller, too old to keep.
            if generation == self._generation:
                if len(self._cache) > 16:
                    self._cache.clear()
                self._cache[id(settings)] = _Cached(
                    settings, bind, values, time.monotonic() + self.ttl_seconds
                )
        return values

    def load(self, session: Session, settings: Settings) -> WorkspaceValues:
        """The settings as the database has them now (no cache)."""
        row = WorkspaceSettingsRepository(session).get()
        return WorkspaceValues.from_row(row) if row else WorkspaceValues.from_environment(settings)

    def invalidate(self) -> None:
        """Forget the cached settings: the next `current` loads them."""
        with self._lock:
            self._generation += 1
            self._cache.clear()

    def read(self, session: Session, settings: Settings) -> WorkspaceSettingsRead:
        values = self.load(session, settings)
        updated_by = WorkspaceSettingsRepository(session).user_name(values.updated_by_user_id)
        return _read(values, settings, updated_by)

    @staticmethod
    def preview_phone(text: str, default_region: str) -> PhonePreviewRead:
        """A phone as the dashboard will save it, or the reason saving it would be refused
        (an answer, not an error: the dashboard asks as the user types)."""
        try:
            parsed = parse_phone_or_refuse(text, default_region)
        except Unprocessable as refused:
            return PhonePreviewRead(
                wa_id=None,
                international=None,
                region=None,
                problem=refused.detail,
                default_region=default_region,
            )
        return PhonePreviewRead(
            wa_id=parsed.wa_id,
            international=parsed.international,
            region=parsed.region,
            problem=None,
            default_region=default_region,
        )

    # --- Changing -----------------------------------------------------------------------------

    def update(
        self, session: Session, settings: Settings, user: User, data: WorkspaceSettingsUpdate
    ) -> WorkspaceSettingsRead:
        """Apply the fields sent, audit what changed and tell open dashboards."""
        before = self.load(session, settings)
        requested = data.model_dump(exclude_unset=True)
        changes = {
            name: value for name, value in requested.items() if getattr(before, name) != value
        }
        if not changes:
            return self.read(session, settings)
        template = changes.get("alert_template", before.alert_template)
        language = changes.get("alert_template_language", before.alert_template_language)
        if template is not None and {"alert_template", "alert_template_language"} & set(changes):
            self._check_alert_template(session, template, language)

        row = WorkspaceSettingsRepository(session).get_for_update(
            {**before.editable(), "updated_at": utcnow()}
        )
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        row.updated_by_user_id = user.id
        session.flush()
        on_commit(session, UPDATED_EVENT, self.invalidate)

        audit_service.record(
            session,
            "settings.updated",
            actor_user_id=user.id,
            actor_email=user.email,
            target_type="workspace_settings",
            target_id=SINGLE_ROW_ID,
            details={
                "changes": {
                    name: {"from": getattr(before, name), "to": value}
                    for name, value in changes.items()
                }
            },
        )
        log.info("workspace.settings.updated", fields=sorted(changes), user_id=user.id)
        after = _read(WorkspaceValues.from_row(row), settings, user.name)
        publish(
            session,
            (UPDATED_EVENT, SINGLE_ROW_ID),
            lambda: Event(UPDATED_EVENT, after.model_dump(mode="json")),
        )
        return after

    @staticmethod
    def _check_alert_template(session: Session, name: str, language: str) -> None:
        """Alerts can only go through a template WhatsApp approved, in that language, whose
        body has the one parameter the alert text fills."""
        wabas = {number.waba_id for number in NumberRepository(session).list()}
        synced = [
            template
            for template in template_service.list(session, waba_id=None, status=None, q=name)
            if template.name == name and template.waba_id in wabas
        ]
        if not synced:
            raise Unprocessable(
                f"No template named “{name}” has been synced from WhatsApp for your numbers. "
                "Check the name, or sync the templates and try again."
            )
        approved = [template for template in synced if template.sendable]
        if not approved:
            statuses = ", ".join(sorted({template.status for template in synced}))
            raise Unprocessable(
                f"The template “{name}” is not approved by WhatsApp (status: {statuses}). "
                "Only approved templates can be sent."
            )
        in_language = [template for template in approved if template.language == language]
        if not in_language:
            languages = ", ".join(sorted({template.language for template in approved}))
            raise Unprocessable(
                f"The template “{name}” is approved in {languages}, not in “{language}”. "
                "Choose one of those languages."
            )
        if not any(fits_alert(template) for template in in_language):
            raise Unprocessable(
                f"The template “{name}” ({language}) cannot carry an alert: it needs exactly "
                "one body parameter, {{1}}, for the alert text, and no other parameter or "
                "media header."
            )


def fits_alert(template: MessageTemplate) -> bool:
    """Whether the alert text alone fills the template (the health monitor sends nothing
    else)."""
    return (
        template.parameter_format.upper() != "NAMED"
        and template.variables == {"body": ["1"]}
        and template.header_format in _PLAIN_HEADERS
    )


def _read(
    values: WorkspaceValues, settings: Settings, updated_by_name: str | None
) -> WorkspaceSettingsRead:
    return WorkspaceSettingsRead(
        **values.editable(),
        agents_enabled_on_server=settings.agents_enabled,
        updated_at=values.updated_at,
        updated_by_user_id=values.updated_by_user_id,
        updated_by_name=updated_by_name,
    )


workspace_service = WorkspaceService()
