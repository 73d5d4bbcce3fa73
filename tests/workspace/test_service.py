"""`workspace_service.current`: what the Master Agent reads for every message. It must cost no
query while its copy is fresh, see a change committed in this process at once, and one made by
another process within the cache's time to live. SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine, update
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from surgiai.auth.models import User
from surgiai.auth.roles import Role
from surgiai.db.engine import session_scope
from surgiai.runtime import Runtime
from surgiai.workspace import service as service_module
from surgiai.workspace.models import WorkspaceSettings
from surgiai.workspace.schemas import WorkspaceSettingsUpdate
from surgiai.workspace.service import CACHE_TTL_SECONDS, WorkspaceService, workspace_service
from tests.fixtures import create_user


class Statements:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: object) -> None:
        self.count += 1


@pytest.fixture
def statements(runtime: Runtime) -> Iterator[Statements]:
    counter = Statements()
    orm_event.listen(runtime.engine, "before_cursor_execute", counter)
    yield counter
    orm_event.remove(runtime.engine, "before_cursor_execute", counter)


def save(runtime: Runtime, **changes: object) -> None:
    with session_scope(runtime.session_factory) as session:
        user = session.query(User).filter_by(role=Role.owner).one()
        workspace_service.update(
            session, runtime.settings, user, WorkspaceSettingsUpdate.model_validate(changes)
        )


def current_name(runtime: Runtime, service: WorkspaceService = workspace_service) -> str:
    with session_scope(runtime.session_factory) as session:
        return service.current(session, runtime.settings).business_name


def written_by_another_process(engine: Engine, **values: object) -> None:
    """A change that did not go through this process's service (another API process)."""
    with Session(engine) as session, session.begin():
        session.execute(update(WorkspaceSettings).values(**values))


@pytest.fixture
def owner(runtime: Runtime) -> User:
    return create_user(runtime)


class Clock:
    """The monotonic clock the service's cache reads, standing still until advanced."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The service module's `time.monotonic`, and only that module's."""
    clock = Clock()
    monkeypatch.setattr(service_module, "time", SimpleNamespace(monotonic=clock))
    return clock


@pytest.mark.usefixtures("owner", "clock")
class TestCurrent:
    def test_a_fresh_copy_is_read_without_a_query(
        self, runtime: Runtime, statements: Statements
    ) -> None:
        assert current_name(runtime) == "Acme Surgical"
        loaded = statements.count

        for _ in range(100):
            assert current_name(runtime) == "Acme Surgical"
        assert statements.count == loaded

    def test_a_change_committed_here_is_seen_at_once(self, runtime: Runtime) -> None:
        assert current_name(runtime) == "Acme Surgical"
        save(runtime, business_name="Rao Surgicals")
        assert current_name(runtime) == "Rao Surgicals"

    def test_a_rolled_back_change_is_never_seen(self, runtime: Runtime) -> None:
        assert current_name(runtime) == "Acme Surgical"
        with pytest.raises(RuntimeError), session_scope(runtime.session_factory) as session:
            user = session.query(User).one()
            update_ = WorkspaceSettingsUpdate(business_name="Never Saved")
            workspace_service.update(session, runtime.settings, user, update_)
            raise RuntimeError("the request failed after the change")
        assert current_name(runtime) == "Acme Surgical"

    def test_another_process_s_change_is_seen_once_the_copy_expires(
        self, runtime: Runtime, clock: Clock
    ) -> None:
        service = WorkspaceService()
        save(runtime, business_name="Rao Surgicals")
        assert current_name(runtime, service) == "Rao Surgicals"

        written_by_another_process(runtime.engine, business_name="Elsewhere Surgicals")
        clock.advance(CACHE_TTL_SECONDS - 0.01)
        assert current_name(runtime, service) == "Rao Surgicals"
        clock.advance(0.02)
        assert current_name(runtime, service) == "Elsewhere Surgicals"

    def test_each_environment_has_its_own_copy(self, runtime: Runtime) -> None:
        other = runtime.settings.model_copy(update={"business_name": "Other Install"})
        with session_scope(runtime.session_factory) as session:
            assert workspace_service.current(session, runtime.settings).business_name == (
                "Acme Surgical"
            )
            assert workspace_service.current(session, other).business_name == "Other Install"
