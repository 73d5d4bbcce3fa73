"""The Health Monitoring agent's minute: observe, compare, alert."""

from __future__ import annotations

import structlog

from surgiai.agents.registry import HEALTH_MONITOR_AGENT
from surgiai.agents.service import agent_service
from surgiai.kit.time import utcnow
from surgiai.monitoring.service import AlertChannel, health_monitor
from surgiai.runtime import TaskContext
from surgiai.worker.heartbeat import forget_silent_workers
from surgiai.worker.registry import every_minute, periodic
from surgiai.workspace.service import workspace_service

log = structlog.get_logger(__name__)

MONITOR_TASK = "monitoring.health_monitor"


@periodic(MONITOR_TASK, every_minute)
def run_health_monitor(context: TaskContext) -> None:
    session = context.session
    if HEALTH_MONITOR_AGENT in agent_service.disabled(session):
        log.info("monitoring.disabled")
        return
    workspace = workspace_service.current(session, context.settings)
    forget_silent_workers(session, utcnow())
    health_monitor.run(
        session,
        AlertChannel(
            workspace.alert_template,
            workspace.alert_template_language,
            whatsapp=workspace.whatsapp_alerts_enabled,
        ),
    )
