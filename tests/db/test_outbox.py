from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event as orm_event
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from structlog.testing import capture_logs

from surgiai.audit.models import AuditEvent
from surgiai.audit.service import audit_service
from surgiai.auth.models import User
from surgiai.auth.roles import Role
from surgiai.db.engine import session_scope
from surgiai.db.outbox import Job, enqueue, on_commit, publish, publish_now
from surgiai.kit.events import Event
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.realtime.conftest import Collector, LoopThread, loop_thread

__all__ = ["loop_thread"]  # the fixture, from the real-time tests

SENTINEL = "test.sentinel"


@pytest.fixture
def collector(runtime: Runtime, loop_thread: LoopThread) -> Iterator[Collector]:
    """A subscriber to the runtime's own (in-process) broker, started as the web server would."""
    loop_thread.run(runtime.broker.start())
    yield Collector(loop_thread, runtime.broker)
    loop_thread.run(runtime.broker.stop())


def published(collector: Collector) -> list[tuple[str, dict[str, Any]]]:
    """Everything published so far: a sentinel published now arrives after all of it."""
    collector.broker.publish(Event(SENTINEL, {}))
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
            publish(session, ("user.changed", "asha"), user_event(asha))
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
            publish(session, ("user.changed", "asha"), user_event(asha, version=1))
            publish(session, ("user.changed", "ravi"), user_event(ravi))
            asha.name = "Dr. Asha"
            publish(session, ("user.changed", "asha"), user_event(asha, version=2))
        assert published(collector) == [
            ("user.changed", {"id": asha.id, "name": "Dr. Asha", "version": 2}),
            ("user.changed", {"id": ravi.id, "name": "ravi"}),
        ]

    def test_builders_read_the_rows_as_they_are_at_commit(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            asha = add_user(session, "asha@example.com")
            publish(session, ("user.changed", "asha"), user_event(asha))
            asha.name = "renamed after registering"
        assert published(collector) == [
            ("user.changed", {"id": asha.id, "name": "renamed after registering"})
        ]

    def test_a_rollback_publishes_nothing(self, runtime: Runtime, collector: Collector) -> None:
        with pytest.raises(Abort), session_scope(runtime.session_factory) as session:
            asha = add_user(session, "asha@example.com")
            publish(session, ("user.changed", "asha"), user_event(asha))
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
                publish(session, ("user.changed", "asha"), user_event(asha))
            assert published(collector) == []
        assert published(collector) == [("user.changed", {"id": asha.id, "name": "asha"})]

    def test_a_rolled_back_savepoint_takes_back_only_what_was_registered_inside_it(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            asha = add_user(session, "asha@example.com")
            publish(session, ("user.changed", "asha"), user_event(asha, step="before"))
            with pytest.raises(Abort), session.begin_nested():
                ravi = add_user(session, "ravi@example.com")
                publish(session, ("user.changed", "ravi"), user_event(ravi))
                publish(session, ("user.changed", "asha"), user_event(asha, step="inside"))
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
            publish(session, ("user.changed", "asha"), user_event(asha))
            session.flush()
            with pytest.raises(IntegrityError), session.begin_nested():
                duplicate = add_user(session, "asha@example.com")
                publish(session, ("user.changed", "duplicate"), user_event(duplicate))
                session.flush()
        assert published(collector) == [("user.changed", {"id": asha.id, "name": "asha"})]

    def test_a_failing_builder_is_logged_and_skipped_and_the_commit_stands(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        def broken() -> Event:
            raise LookupError("builder bug")

        with capture_logs() as logs, session_scope(runtime.session_factory) as session:
            asha = add_user(session, "asha@example.com")
            publish(session, ("user.broken", "asha"), broken)
            publish(session, ("user.changed", "asha"), user_event(asha))
        assert published(collector) == [("user.changed", {"id": asha.id, "name": "asha"})]
        assert user_emails(runtime) == ["asha@example.com"]
        failures = [entry for entry in logs if entry["event"] == "outbox.event.build_failed"]
        assert [entry["event_key"] for entry in failures] == ["user.broken:asha"]
        assert failures[0]["log_level"] == "error"

    def test_a_session_closed_without_committing_forgets_its_events(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        session = runtime.session_factory()
        try:
            asha = add_user(session, "asha@example.com")
            publish(session, ("user.changed", "asha"), user_event(asha))
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
                    publish(session, ("user.changed", row.email), user_event(row))

        session = runtime.session_factory()
        orm_event.listen(session, "before_flush", on_flush)
        try:
            asha = add_user(session, "asha@example.com")
            session.commit()
        finally:
            session.close()
        assert published(collector) == [("user.changed", {"id": asha.id, "name": "asha"})]

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
                publish(session, ("user.changed", "asha"), build)
            # Someone subscribes: the next change is built and reaches them.
            collector = Collector(loop_thread, runtime.broker)
            with session_scope(runtime.session_factory) as session:
                ravi = add_user(session, "ravi@example.com")
                publish(session, ("user.changed", "ravi"), user_event(ravi))
            assert published(collector) == [("user.changed", {"id": ravi.id, "name": "ravi"})]
        finally:
            loop_thread.run(runtime.broker.stop())
        assert built == []
        assert user_emails(runtime) == ["asha@example.com", "ravi@example.com"]


class TestPublishNow:
    def test_reaches_subscribers_without_any_transaction(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        with runtime.session_factory() as session:
            publish_now(session, Event("typing", {"conversation_id": 7, "active": True}))
        assert published(collector) == [("typing", {"conversation_id": 7, "active": True})]


class TestOrder:
    def test_after_the_commit_reactions_run_then_jobs_are_queued_then_events_published(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        """Whatever the order of registering: the process reacts first (a cache cleared before
        anything can read it again), work starts next, dashboards hear last."""
        seen: list[str] = []
        queued = runtime.queue.pending

        def react() -> None:
            seen.append(f"reaction (jobs queued: {queued()})")

        with session_scope(runtime.session_factory) as session:
            asha = add_user(session, "asha@example.com")
            publish(session, ("user.changed", "asha"), user_event(asha))
            enqueue(session, "audit.record", {"action": "test.ordered"})
            on_commit(session, "test.cache", react)
            seen.append(f"registered (jobs queued: {queued()})")
        seen.append(f"published {published(collector)[0][0]} (jobs queued: {queued()})")
        assert seen == [
            "registered (jobs queued: 0)",
            "reaction (jobs queued: 0)",
            "published user.changed (jobs queued: 1)",
        ]

    def test_a_reaction_runs_once_per_key_and_never_after_a_rollback(
        self, runtime: Runtime
    ) -> None:
        runs: list[str] = []
        with session_scope(runtime.session_factory) as session:
            on_commit(session, "cache", lambda: runs.append("first"))
            on_commit(session, "cache", lambda: runs.append("latest"))
            with pytest.raises(Abort), session.begin_nested():
                on_commit(session, "other", lambda: runs.append("rolled back"))
                raise Abort
        with pytest.raises(Abort), session_scope(runtime.session_factory) as session:
            on_commit(session, "cache", lambda: runs.append("transaction rolled back"))
            raise Abort
        assert runs == ["latest"]

    def test_a_rolled_back_savepoint_takes_back_its_jobs(self, runtime: Runtime) -> None:
        with session_scope(runtime.session_factory) as session:
            audit_service.record(session, "test.kept")  # a job: the audit entry is a task
            with pytest.raises(Abort), session.begin_nested():
                audit_service.record(session, "test.taken_back")
                raise Abort
        assert drain(runtime.queue) == 1
        with session_scope(runtime.session_factory) as session:
            actions = list(session.scalars(select(AuditEvent.action)))
        assert actions == ["test.kept"]

    def test_a_job_the_queue_refuses_after_the_commit_is_logged_and_the_commit_stands(
        self, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def unreachable(job: Job) -> None:
            raise ConnectionError("queue down")

        monkeypatch.setattr(runtime.queue, "send_job", unreachable)
        with capture_logs() as logs, session_scope(runtime.session_factory) as session:
            add_user(session, "asha@example.com")
            enqueue(session, "audit.record", {"action": "test.lost"})
        assert user_emails(runtime) == ["asha@example.com"]
        assert [entry["task"] for entry in logs if entry["event"] == "outbox.job.send_failed"] == [
            "audit.record"
        ]
