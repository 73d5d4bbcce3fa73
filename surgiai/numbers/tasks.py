from __future__ import annotations

import structlog

from surgiai.channels.base import ChannelError
from surgiai.db.outbox import enqueue
from surgiai.numbers.channel import adapter_for
from surgiai.numbers.repository import NumberRepository
from surgiai.numbers.service import REFRESH_TASK, number_service
from surgiai.runtime import TaskContext
from surgiai.worker.registry import every_n_minutes, periodic, task

log = structlog.get_logger(__name__)


@task(REFRESH_TASK)
def refresh_health(context: TaskContext, number_id: int) -> None:
    """Read the number's status, quality, tier and throughput from its channel."""
    session = context.session
    number = NumberRepository(session).get(number_id)
    if number is None:
        return
    adapter = adapter_for(number, context.runtime)
    sender_id = number.phone_number_id
    session.commit()  # no transaction (on SQLite, the write lock) is held across the call
    try:
        report = context.runtime.io.run(adapter.number_health(sender_id))
    except ChannelError as failure:
        error = failure.error
        if error.code is None:
            number_service.record_check_failure(number, f"WhatsApp could not be reached: {failure}")
            log.warning("numbers.refresh.unreachable", number_id=number_id)
            return
        number_service.record_check_failure(
            number, f"Error {error.code}: {error.message}", error.reaction
        )
        number_service.apply_channel_error(number, error)
        log.warning("numbers.refresh.failed", number_id=number_id, code=error.code)
        return
    number_service.apply_health_report(number, report)


@periodic("numbers.refresh_all", every_n_minutes(15))
def refresh_all(context: TaskContext) -> None:
    for number in NumberRepository(context.session).list():
        if number.enabled:
            enqueue(context.session, REFRESH_TASK, number.id)
