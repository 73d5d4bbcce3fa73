"""Template syncs through the number's channel: on request, for unknown templates named by
webhooks, and every hour for every WABA we hold an enabled number of."""

from __future__ import annotations

from dataclasses import asdict

import structlog

from surgiai.channels.base import ChannelError
from surgiai.kit.time import utcnow
from surgiai.numbers.channel import adapter_for
from surgiai.numbers.repository import NumberRepository
from surgiai.runtime import TaskContext
from surgiai.templates.service import SYNC_TASK, template_service
from surgiai.worker.registry import every_n_minutes, periodic, task

log = structlog.get_logger(__name__)

# Up to 60 pages for the largest WABAs, each bounded by the HTTP client's own timeouts.
SYNC_TIMEOUT_SECONDS = 300.0
# Seconds before the 2nd and 3rd attempt after a failure that may pass (no answer, a rate
# limit, Meta overloaded); other failures wait for a new request or the hourly sync.
SYNC_RETRY_DELAYS = (5.0, 60.0)


@task(SYNC_TASK)
def sync_templates(context: TaskContext, number_id: int, attempt: int = 1) -> None:
    """Read every template of the number's WABA and mirror the list. Failures are recorded on
    the WABA's sync record (shown by the templates API) and logged; they never raise."""
    session = context.session
    number = NumberRepository(session).get(number_id)
    if number is None:
        log.info("templates.sync.number_gone", number_id=number_id)
        return
    waba_id = number.waba_id
    started_at = utcnow()
    template_service.sync_started(session, waba_id, started_at)
    adapter = adapter_for(number, context.runtime)
    session.commit()  # no transaction (on SQLite, the write lock) is held across the calls
    try:
        templates = context.runtime.io.run(
            adapter.list_templates(waba_id), timeout=SYNC_TIMEOUT_SECONDS
        )
    except (ChannelError, TimeoutError) as error:
        template_service.sync_failed(session, waba_id, _failure_reason(error))
        retryable = error.retryable if isinstance(error, ChannelError) else True
        log.warning(
            "templates.sync.failed",
            waba_id=waba_id,
            number_id=number_id,
            code=error.error.code if isinstance(error, ChannelError) else None,
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


def _failure_reason(error: ChannelError | TimeoutError) -> str:
    """What the team sees on the sync record."""
    if isinstance(error, ChannelError):
        detail = error.error
        if detail.code is None:
            return f"WhatsApp could not be reached: {error}"
        return f"Error {detail.code}: {detail.reason}"
    return f"WhatsApp did not list the templates within {SYNC_TIMEOUT_SECONDS:.0f} s."


@periodic("templates.sync_all", every_n_minutes(60))
def sync_all(context: TaskContext) -> None:
    """One sync per WABA, so webhooks we missed (or never subscribed to) cannot leave our copy
    stale for long."""
    template_service.request_syncs(context.session, None)
