"""Agents as the team sees and steers them: health, admins' disable switches, crash reports."""

from __future__ import annotations

import time
import traceback
from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy.orm import Session

from surgiai.agents.health import AgentHealth, agent_health
from surgiai.agents.models import AgentSetting, CrashReport
from surgiai.agents.registry import HEALTH_MONITOR_AGENT, MASTER_AGENT, default_registry
from surgiai.agents.repository import AgentSettingRepository, CrashReportRepository
from surgiai.agents.schemas import (
    AgentRead,
    AgentSettingRead,
    AgentsOverview,
    CrashReportRead,
    WorkerRead,
)
from surgiai.audit.service import audit_service
from surgiai.auth.models import User
from surgiai.db.outbox import publish
from surgiai.errors import NotFound
from surgiai.kit.events import Event
from surgiai.kit.time import utcnow
from surgiai.worker.heartbeat import worker_statuses

log = structlog.get_logger(__name__)

DISABLED_CACHE_SECONDS = 1.0


class AgentService:
    # (the database it was read from, when, the names).
    _disabled_cache: tuple[object, float, frozenset[str]] | None = None

    # --- Admins' switches ---------------------------------------------------------------------

    def known_names(self) -> set[str]:
        return {*default_registry().names(), MASTER_AGENT, HEALTH_MONITOR_AGENT}

    def disabled(self, session: Session) -> set[str]:
        return AgentSettingRepository(session).disabled_names()

    def disabled_recently(self, session: Session) -> frozenset[str]:
        """`disabled`, read at most once a second: the Master Agent asks for every message.
        A switch in this process is seen at once; one in another process within a second."""
        now = time.monotonic()
        bind = session.get_bind()
        cached = self._disabled_cache
        if cached is not None and cached[0] is bind and now - cached[1] < DISABLED_CACHE_SECONDS:
            return cached[2]
        names = frozenset(self.disabled(session))
        self._disabled_cache = (bind, now, names)
        return names

    def disable(self, session: Session, name: str, user: User, reason: str | None) -> AgentSetting:
        return self._switch(session, name, user, disabled=True, reason=reason)

    def enable(self, session: Session, name: str, user: User) -> AgentSetting:
        return self._switch(session, name, user, disabled=False, reason=None)

    def _switch(
        self, session: Session, name: str, user: User, *, disabled: bool, reason: str | None
    ) -> AgentSetting:
        if name not in self.known_names():
            raise NotFound(f"No agent named {name}.")
        setting = AgentSettingRepository(session).get_or_create_for_update(name)
        setting.disabled = disabled
        self._disabled_cache = None
        setting.changed_at = utcnow()
        setting.changed_by_user_id = user.id
        setting.reason = reason
        action = "agent.disabled" if disabled else "agent.enabled"
        audit_service.record(
            session,
            action,
            actor_user_id=user.id,
            actor_email=user.email,
            target_type="agent",
            target_id=name,
            details={"reason": reason} if reason else None,
        )
        log.info(action, agent=name, user_id=user.id)
        publish(
            session,
            ("agent.updated", name),
            lambda: Event("agent.updated", setting_read(setting).model_dump(mode="json")),
        )
        return setting

    # --- Crash reports ------------------------------------------------------------------------

    def file_crash_report(
        self,
        session: Session,
        *,
        agent: str,
        message_id: int | None,
        conversation_id: int | None,
        error: BaseException,
    ) -> CrashReport:
        error_class = type(error)
        module = "" if error_class.__module__ == "builtins" else f"{error_class.__module__}."
        report = CrashReport(
            agent=agent,
            message_id=message_id,
            conversation_id=conversation_id,
            occurred_at=utcnow(),
            error_type=f"{module}{error_class.__qualname__}"[:200],
            error=(str(error) or error_class.__name__)[:2000],
            stack_trace="".join(traceback.format_exception(error)),
        )
        CrashReportRepository(session).add(report)
        # The error text may quote a doctor's message: it stays in the report, out of the logs.
        log.error(
            "agents.crash_report.filed",
            crash_report_id=report.id,
            agent=agent,
            error_type=report.error_type,
            message_id=message_id,
            conversation_id=conversation_id,
        )
        publish(
            session,
            ("crash_report.created", report.id),
            lambda: Event(
                "crash_report.created",
                CrashReportRead.model_validate(report).model_dump(mode="json"),
            ),
        )
        return report

    def crash_reports(
        self, session: Session, *, limit: int, before_id: int | None
    ) -> Sequence[CrashReport]:
        return CrashReportRepository(session).page(limit=limit, before_id=before_id)

    # --- Health -------------------------------------------------------------------------------

    def health(self, session: Session, *, now: datetime | None = None) -> list[AgentHealth]:
        return agent_health(session, default_registry(), self.disabled(session), now or utcnow())

    def overview(self, session: Session, *, now: datetime | None = None) -> AgentsOverview:
        """Every agent's health and every worker's heartbeat, for `GET /api/v1/agents`."""
        now = now or utcnow()
        return AgentsOverview(
            agents=[agent_read(health) for health in self.health(session, now=now)],
            workers=[
                WorkerRead(
                    worker_id=worker.worker_id,
                    started_at=worker.started_at,
                    last_beat_at=worker.last_beat_at,
                    alive=worker.alive,
                    threads=worker.threads,
                    embedded=worker.embedded,
                )
                for worker in worker_statuses(session, now)
            ],
        )


def agent_read(health: AgentHealth) -> AgentRead:
    return AgentRead(
        name=health.name,
        description=health.description,
        standby=health.standby,
        critical=health.critical,
        state=health.state,
        reason=health.reason,
        circuit=health.circuit,
        disabled=health.disabled,
        runs_5m=health.last_5m.runs,
        error_rate_5m=health.last_5m.error_rate,
        p50_ms_5m=health.last_5m.p50_ms,
        p95_ms_5m=health.last_5m.p95_ms,
        runs_1h=health.last_1h.runs,
        error_rate_1h=health.last_1h.error_rate,
        p50_ms_1h=health.last_1h.p50_ms,
        p95_ms_1h=health.last_1h.p95_ms,
        last_error=health.last_error,
        last_error_at=health.last_error_at,
    )


def setting_read(setting: AgentSetting) -> AgentSettingRead:
    return AgentSettingRead(
        name=setting.agent,
        disabled=setting.disabled,
        changed_at=setting.changed_at,
        changed_by_user_id=setting.changed_by_user_id,
        reason=setting.reason,
    )


agent_service = AgentService()
