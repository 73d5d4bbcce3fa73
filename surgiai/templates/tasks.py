"""Template syncs from the Graph API: on request, for unknown templates named by webhooks, and
every hour for every WABA we hold an enabled number of."""

from __future__ import annotations

from dataclasses import asdict

import structlog
from sqlalchemy.orm import Session

from surgiai.channels.cloud.errors import CloudApiError, GraphApiError
from surgiai.kit import aio
from surgiai.kit.time import utcnow
from surgiai.numbers.graph import cloud_client
from surgiai.numbers.repository import NumberRepository
from surgiai.runtime import current_runtime
from surgiai.templates.service import SYNC_TASK, template_service
from surgiai.worker.registry import every_n_minutes, periodic, task

log = structlog.get_logger(__name__)

# Up to 60 pages for the largest WABAs, each bounded by the HTTP client's own timeouts.
SYNC_TIMEOUT_SECONDS = 300.0
# Seconds before the 2nd and 3rd attempt after a failure that may pass (no answer, a rate
# limit, Meta overloaded); other failures wait for a new request or the hourly sync.
SYNC_RETRY_DELAYS = (5.0, 60.0)


@task(SYNC_TASK)
def sync_templates(session: Session, number_id: int, attempt: int = 1) -> None:
    """Read every template of the number's WABA and mirror the list. Failures are recorded on
    the WABA's sync record (shown by the templates API) and logged; they never raise."""
    number = NumberRepository(session).get(number_id)
    if number is None:
        log.info("templates.sync.number_gone", number_id=number_id)
        return
    waba_id = number.waba_id
    started_at = utcnow()
    template_service.sync_started(session, waba_id, started_at)
    client = cloud_client(number, current_runtime().settings)
    session.commit()  # no transaction (on SQLite, the write lock) is held across the calls
    try:
        templates = aio.run(client.list_templates(waba_id), timeout=SYNC_TIMEOUT_SECONDS)
    except (CloudApiError, TimeoutError) as error:
        template_service.sync_failed(session, waba_id, _failure_reason(error))
        retryable = error.retryable if isinstance(error, CloudApiError) else True
        log.warning(
            "templates.sync.failed",
            waba_id=waba_id,
            number_id=number_id,
            code=error.code if isinstance(error, GraphApiError) else None,
            error_type=type(error).__name__,
            attempt=attempt,
        )
        if retryable and attempt <= len(SYNC_RETRY_DELAYS):
            template_service.retry_sync(
                session, number, attempt + 1, delay=SYNC_RETRY_DELAYS[attempt - 1]
            )
        return
    counts = template_service.apply_sync(session, waba_id, templates, fetched_at=started_at)
    log.info("templates.sync.done", waba_id=waba_id, number_id=number_id, **asdict(counts))


def _failure_reason(error: CloudApiError | TimeoutError) -> str:
    """What the team sees on the sync record."""
    if isinstance(error, GraphApiError):
        if error.code is None:
            return str(error)
        return f"Error {error.code}: {error.plain_reason}"
    if isinstance(error, CloudApiError):
        return f"WhatsApp could not be reached: {error}"
    return f"WhatsApp did not list the templates within {SYNC_TIMEOUT_SECONDS:.0f} s."


@periodic("templates.sync_all", every_n_minutes(60))
def sync_all(session: Session) -> None:
    """One sync per WABA, so webhooks we missed (or never subscribed to) cannot leave our copy
    stale for long."""
    template_service.request_syncs(session, None)
