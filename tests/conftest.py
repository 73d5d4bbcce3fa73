"""Shared fixtures: a migrated database on SQLite and PostgreSQL, task queues on SQLite and
Redis, and an API client. Tests needing PostgreSQL or Redis skip with a reason when the server
is missing, and fail instead under SURGIAI_REQUIRE_SERVICES=1 (CI)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict, Unpack

import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from surgiai.all_models import metadata
from surgiai.all_tasks import task_registry
from surgiai.app import create_app
from surgiai.config import Settings
from surgiai.db.engine import make_engine
from surgiai.db.migrate import upgrade
from surgiai.realtime.broker import Broker
from surgiai.runtime import Runtime
from surgiai.worker.queue import TaskQueue

pytest_plugins = ["tests.services"]

# respx stubs the Graph API where httpx meets its connection pool: the I/O loop's clients sit on
# aiohttp's (`surgiai/kit/http.py`), which speaks httpcore's pool interface for this.
respx.mocks.HTTPCoreMocker.add_targets("surgiai.kit.http.AiohttpPool")

POSTGRES_URL = os.environ.get(
    "SURGIAI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("SURGIAI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("SURGIAI_REQUIRE_SERVICES") == "1"


def service_missing(name: str, error: Exception) -> None:
    message = f"{name} is not reachable ({type(error).__name__}: {error})"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}; SURGIAI_REQUIRE_SERVICES=1 requires it", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrations run once, tested every run)."""
    path = tmp_path_factory.mktemp("template") / "surgiai.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, built by running the migrations."""
    admin_url = make_url(POSTGRES_URL)
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        service_missing("PostgreSQL", error)
    name = f"surgiai_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "surgiai.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_database")
    yield url
    engine = make_engine(url)
    truncate_all(engine)
    engine.dispose()


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as error:
        service_missing("Redis", error)
    return REDIS_URL


def make_settings(tmp_path: Path, database_url: str, **extra: Any) -> Settings:
    """Settings for a test; `extra` overrides any field, as the environment would."""
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": database_url,
        "secret_key": "test-secret-key-0123456789",
        "meta_app_secret": "test-app-secret",
        "webhook_verify_token": "test-verify-token",
        # Tests of the inbox and the send path count exact messages: the AI stays out of them.
        # tests/agents turns it on.
        "agents_enabled": False,
        # Receipts are applied at once, so a test can drain the queue and look;
        # tests/external_events/test_status_batching.py covers the batching.
        "status_batch_seconds": 0,
    }
    values.update(extra)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


class RuntimeOptions(TypedDict, total=False):
    """The keyword arguments `Runtime` takes besides its settings and tasks."""

    queue_name: str
    broker: Broker | None


def make_runtime(settings: Settings, **options: Unpack[RuntimeOptions]) -> Runtime:
    """A runtime with every task of every domain, as the entry points build it."""
    return Runtime(settings, task_registry(), **options)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = make_runtime(settings)
    yield runtime
    runtime.close()


def drain(queue: TaskQueue) -> int:
    """Run every queued task in this thread, as a worker would. Returns how many ran."""
    ran = 0
    while (job := queue.huey.dequeue()) is not None:
        queue.huey.execute(job)
        ran += 1
    return ran


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as test_client:
        yield test_client
