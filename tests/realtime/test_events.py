from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event as orm_event
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from structlog.testing import capture_logs

from surgiai.auth.models import User
from surgiai.auth.roles import Role
from surgiai.db.engine import session_scope
from surgiai.realtime.events import (
    Event,
    activate_broker,
    active_broker,
    publish_after_commit,
    publish_now,
)
from surgiai.runtime import Runtime
from tests.realtime.conftest import Collector, LoopThread

SENTINEL = "test.sentinel"


@pytest.fixture
def collector(runtime: Runtime, loop_thread: LoopThread) -> Iterator[Collector]:
    """A subscriber to the runtime's own (in-process) broker, started as the web server would."""
    loop_thread.run(runtime.broker.start())
    yield Collector(loop_thread, runtime.broker)
    loop_thread.run(runtime.broker.stop())


def published(collector: Collector) -> list[tuple[str, dict[str, Any]]]:
    """Everything published so far: a sentinel published now arrives after all of it."""
    publish_now(Event(SENTINEL, {}))
    return [(event.type, event.data) for event in collector.until(SENTINEL)]


def add_user(session: Session, email: str) -> User:
    user = User(email=email, name=email.split("@")[0], role=Role.agent, password_hash="x")
    session.add(user)
    return user


def user_event(user: User, **extra: object) -> Callable[[], Event]:
    return lambda: Event("user.changed", {"id": user.id, "name": user.name, **extra})


def user_emails(runtime: Runtime) -> list[str]:
    with session_scope(runtime.session_factory) as session:
        return list(session.scalars(select(User.email).order_by(User.email)))


class Abort(Exception):
    pass


class TestPublishAfterCommit:
    def test_the_event_goes_out_after_the_commit_with_the_new_row_id(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        session = runtime.session_factory()
        try:
            asha = add_user(session, "asha@example.com")
            publish_after_commit(session, ("user.changed", "asha"), user_event(asha))
            session.flush()
            assert published(collector) == []
            session.commit()
        finally:
            session.close()
        assert asha.id is not None
        assert published(collector) == [("user.changed", {"id": asha.id, "name": "asha"})]

    def test_one_event_per_key_with_the_latest_builder_in_first_registration_order(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            asha = add_user(session, "asha@example.com")
            ravi = add_user(session, "ravi@example.com")
            publish_after_commit(session, ("user.changed", "asha"), user_event(asha, version=1))
            publish_after_commit(session, ("user.changed", "ravi"), user_event(ravi))
            asha.name = "Dr. Asha"
            publish_after_commit(session, ("user.changed", "asha"), user_event(asha, version=2))
        assert published(collector) == [
            ("user.changed", {"id": asha.id, "name": "Dr. Asha", "version": 2}),
            ("user.changed", {"id": ravi.id, "name": "ravi"}),
        ]

    def test_builders_read_the_rows_as_they_are_at_commit(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            asha = add_user(session, "asha@example.com")
            publish_after_commit(session, ("user.changed", "asha"), user_event(asha))
            asha.name = "renamed after registering"
        assert published(collector) == [
            ("user.changed", {"id": asha.id, "name": "renamed after registering"})
        ]

    def test_a_rollback_publishes_nothing(self, runtime: Runtime, collector: Collector) -> None:
        with pytest.raises(Abort), session_scope(runtime.session_factory) as session:
            asha = add_user(session, "asha@example.com")
            publish_after_commit(session, ("user.changed", "asha"), user_event(asha))
            session.flush()
            raise Abort
        assert published(collector) == []
        assert user_emails(runtime) == []

    def test_a_savepoint_alone_publishes_nothing_the_outer_commit_does(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            with session.begin_nested():
                asha = add_user(session, "asha@example.com")
                publish_after_commit(session, ("user.changed", "asha"), user_event(asha))
            assert published(collector) == []
        assert published(collector) == [("user.changed", {"id": asha.id, "name": "asha"})]

    def test_a_rolled_back_savepoint_takes_back_only_what_was_registered_inside_it(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            asha = add_user(session, "asha@example.com")
            publish_after_commit(session, ("user.changed", "asha"), user_event(asha, step="before"))
            with pytest.raises(Abort), session.begin_nested():
                ravi = add_user(session, "ravi@example.com")
                publish_after_commit(session, ("user.changed", "ravi"), user_event(ravi))
                publish_after_commit(
                    session, ("user.changed", "asha"), user_event(asha, step="inside")
                )
                raise Abort
        assert published(collector) == [
            ("user.changed", {"id": asha.id, "name": "asha", "step": "before"})
        ]
        assert user_emails(runtime) == ["asha@example.com"]

    def test_a_savepoint_whose_insert_conflicts_drops_its_events_and_keeps_the_rest(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        """The get-or-create pattern: a duplicate insert fails in a savepoint, work goes on."""
        with session_scope(runtime.session_factory) as session:
            asha = add_user(session, "asha@example.com")
            publish_after_commit(session, ("user.changed", "asha"), user_event(asha))
            session.flush()
            with pytest.raises(IntegrityError), session.begin_nested():
                duplicate = add_user(session, "asha@example.com")
                publish_after_commit(session, ("user.changed", "duplicate"), user_event(duplicate))
                session.flush()
        assert published(collector) == [("user.changed", {"id": asha.id, "name": "asha"})]

    def test_a_failing_builder_is_logged_and_skipped_and_the_commit_stands(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        def broken() -> Event:
            raise LookupError("builder bug")

        with capture_logs() as logs, session_scope(runtime.session_factory) as session:
            asha = add_user(session, "asha@example.com")
            publish_after_commit(session, ("user.broken", "asha"), broken)
            publish_after_commit(session, ("user.changed", "asha"), user_event(asha))
        assert published(collector) == [("user.changed", {"id": asha.id, "name": "asha"})]
        assert user_emails(runtime) == ["asha@example.com"]
        failures = [entry for entry in logs if entry["event"] == "realtime.build.failed"]
        assert [entry["event_key"] for entry in failures] == ["user.broken:asha"]
        assert failures[0]["log_level"] == "error"

    def test_a_session_closed_without_committing_forgets_its_events(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        session = runtime.session_factory()
        try:
            asha = add_user(session, "asha@example.com")
            publish_after_commit(session, ("user.changed", "asha"), user_event(asha))
            session.close()
            add_user(session, "ravi@example.com")
            session.commit()
        finally:
            session.close()
        assert published(collector) == []
        assert user_emails(runtime) == ["ravi@example.com"]

    def test_events_registered_by_flush_listeners_during_the_commit_are_published(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        """Domains may register from `before_flush` (every change to a row, whoever made it);
        the commit's own flush must not come too late for them."""

        def on_flush(session: Session, _context: object, _instances: object) -> None:
            for row in session.new:
                if isinstance(row, User):
                    publish_after_commit(session, ("user.changed", row.email), user_event(row))

        session = runtime.session_factory()
        orm_event.listen(session, "before_flush", on_flush)
        try:
            asha = add_user(session, "asha@example.com")
            session.commit()
        finally:
            session.close()
        assert published(collector) == [("user.changed", {"id": asha.id, "name": "asha"})]

    def test_without_an_active_broker_events_are_dropped_and_the_commit_stands(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        activate_broker(None)
        try:
            with session_scope(runtime.session_factory) as session:
                asha = add_user(session, "asha@example.com")
                publish_after_commit(session, ("user.changed", "asha"), user_event(asha))
            publish_now(Event("typing", {"conversation_id": 1}))
        finally:
            activate_broker(runtime.broker)
        assert published(collector) == []
        assert user_emails(runtime) == ["asha@example.com"]

    def test_with_nobody_subscribed_builders_do_not_run_and_the_commit_stands(
        self, runtime: Runtime, loop_thread: LoopThread
    ) -> None:
        loop_thread.run(runtime.broker.start())
        built: list[str] = []

        def build() -> Event:
            built.append("asha")
            return Event("user.changed", {})

        try:
            with session_scope(runtime.session_factory) as session:
                add_user(session, "asha@example.com")
                publish_after_commit(session, ("user.changed", "asha"), build)
            # Someone subscribes: the next change is built and reaches them.
            collector = Collector(loop_thread, runtime.broker)
            with session_scope(runtime.session_factory) as session:
                ravi = add_user(session, "ravi@example.com")
                publish_after_commit(session, ("user.changed", "ravi"), user_event(ravi))
            assert published(collector) == [("user.changed", {"id": ravi.id, "name": "ravi"})]
        finally:
            loop_thread.run(runtime.broker.stop())
        assert built == []
        assert user_emails(runtime) == ["asha@example.com", "ravi@example.com"]


class TestPublishNow:
    def test_reaches_subscribers_without_any_transaction(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        publish_now(Event("typing", {"conversation_id": 7, "active": True}))
        assert published(collector) == [("typing", {"conversation_id": 7, "active": True})]


class TestActiveBroker:
    def test_is_the_runtimes_broker_and_refuses_when_there_is_none(self, runtime: Runtime) -> None:
        assert active_broker() is runtime.broker
        activate_broker(None)
        try:
            with pytest.raises(RuntimeError, match="no real-time broker"):
                active_broker()
        finally:
            activate_broker(runtime.broker)


class TestEventJson:
    def test_datetimes_carry_their_offset_and_prices_stay_exact(self) -> None:
        event = Event(
            "order.updated",
            {
                "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                "stored_naive": datetime(2026, 1, 2, 3, 4, 5),
                "local": datetime(2026, 1, 2, 8, 34, 5, tzinfo=timezone(timedelta(hours=5.5))),
                "price": Decimal("4500.10"),
            },
        )
        assert event.to_json() == (
            '{"type":"order.updated","data":{"at":"2026-01-02T03:04:05+00:00",'
            '"stored_naive":"2026-01-02T03:04:05+00:00","local":"2026-01-02T08:34:05+05:30",'
            '"price":"4500.10"}}'
        )

    def test_from_json_reads_what_to_json_wrote_and_refuses_anything_else(self) -> None:
        event = Event("message.created", {"id": 3, "text": "₹4,500 per box"})
        assert Event.from_json(event.to_json()) == event
        for text in ("not json", "[1, 2]", '{"type": 1, "data": {}}', '{"type": "x"}'):
            with pytest.raises(ValueError):
                Event.from_json(text)

    def test_a_value_json_cannot_carry_is_refused(self) -> None:
        with pytest.raises(TypeError):
            Event("bad", {"value": object()}).to_json()
