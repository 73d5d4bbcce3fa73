"""A webhook's 200 means its delivery is committed and on disk; on SQLite the disk sync comes
after the commit, while other writers can already write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from surgiai.db.engine import session_scope, write_lock_for
from surgiai.external_events.models import ExternalEvent
from surgiai.runtime import Runtime
from tests.fixtures import create_number, sign, text_message_value, webhook_body


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: PostgreSQL's commit is durable by itself."""
    path = tmp_path / "surgiai.db"
    path.write_bytes(sqlite_template.read_bytes())
    return f"sqlite:///{path}"


def test_a_delivery_is_synced_to_disk_after_its_commit_with_the_write_lock_free(
    runtime: Runtime, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_number(runtime)
    database = runtime.engine.url.database
    assert database is not None
    lock = write_lock_for(database)
    synced: list[tuple[str, int, bool]] = []

    def fsync(descriptor: int) -> None:
        with session_scope(runtime.session_factory) as session:
            stored = session.scalar(select(func.count()).select_from(ExternalEvent)) or 0
        locked = lock.acquire(timeout=0)
        if locked:
            lock.release()
        synced.append((os.readlink(f"/proc/self/fd/{descriptor}"), stored, locked))
        os_fsync(descriptor)

    os_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", fsync)  # the `os.fsync` surgiai.db.engine calls
    body = webhook_body(text_message_value("wamid.durable", "Is the stapler in stock?"))

    response = client.post("/webhooks/whatsapp", content=body, headers=sign(body))

    assert response.status_code == 200
    # Before the 200: the write-ahead log, holding the committed delivery, with no writer kept
    # waiting for the disk.
    assert synced == [(database + "-wal", 1, True)]
