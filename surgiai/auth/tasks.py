from __future__ import annotations

from datetime import timedelta

import structlog

from surgiai.auth.repository import AuthSessionRepository, LoginFailureRepository
from surgiai.kit.time import utcnow
from surgiai.runtime import TaskContext
from surgiai.worker.registry import every_n_minutes, periodic

log = structlog.get_logger(__name__)


@periodic("auth.purge_expired", every_n_minutes(15))
def purge_expired(context: TaskContext) -> None:
    """Drop expired sessions and login failures older than a day."""
    session = context.session
    now = utcnow()
    sessions = AuthSessionRepository(session).delete_expired(now)
    failures = LoginFailureRepository(session).delete_older_than(now - timedelta(days=1))
    if sessions or failures:
        log.info("auth.purged", sessions=sessions, login_failures=failures)
