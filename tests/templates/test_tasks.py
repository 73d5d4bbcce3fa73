"""The hourly sync: one sync per WhatsApp Business Account, through an enabled number."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from surgiai.all_tasks import task_registry
from surgiai.db.engine import session_scope
from surgiai.numbers.models import WhatsAppNumber
from surgiai.runtime import Runtime, TaskContext
from surgiai.templates.tasks import sync_all
from tests.fixtures import create_number
from tests.templates.queued import queued_syncs


def move(runtime: Runtime, number_id: int, *, waba_id: str, enabled: bool = True) -> None:
    with session_scope(runtime.session_factory) as session:
        session.execute(
            update(WhatsAppNumber)
            .where(WhatsAppNumber.id == number_id)
            .values(waba_id=waba_id, enabled=enabled)
        )


class TestHourlySync:
    def test_runs_once_an_hour(self) -> None:
        schedule = task_registry().spec("templates.sync_all").schedule
        assert schedule is not None
        assert schedule(datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
        assert not schedule(datetime(2026, 3, 1, 10, 15, tzinfo=UTC))

    def test_one_sync_per_waba_of_the_enabled_numbers(self, runtime: Runtime) -> None:
        sales = create_number(runtime, phone_number_id="100000000000001")
        create_number(runtime, phone_number_id="100000000000002")  # same WABA as sales
        courses = create_number(runtime, phone_number_id="100000000000003")
        move(runtime, courses, waba_id="900000000000002")
        disabled = create_number(runtime, phone_number_id="100000000000004")
        move(runtime, disabled, waba_id="900000000000003", enabled=False)
        with session_scope(runtime.session_factory) as session:
            sync_all(TaskContext(session, runtime))
        assert sorted(queued_syncs(runtime)) == [(sales,), (courses,)]

    def test_a_sync_still_waiting_is_not_queued_again(self, runtime: Runtime) -> None:
        sales = create_number(runtime)
        for _ in range(2):
            with session_scope(runtime.session_factory) as session:
                sync_all(TaskContext(session, runtime))
        assert queued_syncs(runtime) == [(sales,)]
