from __future__ import annotations

import structlog
from sqlalchemy.orm import Session

from surgiai.channels.cloud.errors import CloudApiError, GraphApiError
from surgiai.kit import aio
from surgiai.numbers.graph import cloud_client
from surgiai.numbers.repository import NumberRepository
from surgiai.numbers.service import HEALTH_FIELDS, REFRESH_TASK, number_service
from surgiai.runtime import current_runtime
from surgiai.worker.queue import enqueue
from surgiai.worker.registry import every_n_minutes, periodic, task

log = structlog.get_logger(__name__)


@task(REFRESH_TASK)
def refresh_health(session: Session, number_id: int) -> None:
    """Read the number's status, quality, tier and throughput from the Graph API."""
    number = NumberRepository(session).get(number_id)
    if number is None:
        return
    client = cloud_client(number, current_runtime().settings)
    session.commit()  # no transaction (on SQLite, the write lock) is held across the call
    try:
        fields = aio.run(client.get_phone_number(number.phone_number_id, HEALTH_FIELDS))
    except GraphApiError as error:
        number_service.record_check_failure(number, f"Error {error.code}: {error.message}")
        number_service.apply_send_error(number, error.code, error.details)
        log.warning("numbers.refresh.failed", number_id=number_id, code=error.code)
        return
    except CloudApiError as error:
        number_service.record_check_failure(number, f"WhatsApp could not be reached: {error}")
        log.warning("numbers.refresh.unreachable", number_id=number_id)
        return
    number_service.apply_phone_fields(number, fields)


@periodic("numbers.refresh_all", every_n_minutes(15))
def refresh_all(session: Session) -> None:
    for number in NumberRepository(session).list():
        if number.enabled:
            enqueue(session, REFRESH_TASK, number.id)
