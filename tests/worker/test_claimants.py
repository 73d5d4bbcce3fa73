"""Who holds a claim, and whether they still exist: a process gone from this host (or whose pid
this process now has), or one whose heartbeat went silent, holds nothing any more; a live one,
or one we cannot judge, keeps its claims until they age out. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from surgiai.db.engine import session_scope
from surgiai.external_events.models import EventState, ExternalEvent
from surgiai.kit.time import utcnow
from surgiai.runtime import Runtime
from surgiai.worker.claimants import ALIVE_WITHIN, gone, this_claimant
from surgiai.worker.models import WorkerHeartbeat
from tests.fixtures import create_number, gone_claimant, text_message_value, webhook_body
from tests.services import base_env, wait_for

HOST = socket.gethostname()


def exited_pid() -> int:
    """The pid of a process that has ended."""
    process = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(process.stdout)


@pytest.fixture
def running_pid() -> Iterator[int]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait()


def test_a_claimant_whose_process_ended_on_this_host_is_gone(runtime: Runtime) -> None:
    dead = gone_claimant()
    with session_scope(runtime.session_factory) as session:
        assert gone(session, [dead, None], utcnow()) == {dead}


def test_this_pid_under_another_boot_is_a_predecessor(runtime: Runtime) -> None:
    """A restarted container's process gets the pid its predecessor had."""
    predecessor = f"{HOST}:{os.getpid()}:0badf00d"
    assert predecessor != this_claimant()
    with session_scope(runtime.session_factory) as session:
        assert gone(session, [predecessor, this_claimant()], utcnow()) == {predecessor}


def test_a_running_process_keeps_its_claims(runtime: Runtime, running_pid: int) -> None:
    alive = f"{HOST}:{running_pid}:0badf00d"
    with session_scope(runtime.session_factory) as session:
        assert gone(session, [alive], utcnow()) == set()


def test_on_another_host_only_a_silent_heartbeat_tells(runtime: Runtime) -> None:
    now = utcnow()
    beating, silent, unknown = "worker-b:7:aa", "worker-c:7:bb", "worker-d:7:cc"
    with session_scope(runtime.session_factory) as session:
        for worker_id, last_beat in (
            (beating, now - timedelta(seconds=20)),
            (silent, now - ALIVE_WITHIN - timedelta(seconds=1)),
        ):
            session.add(
                WorkerHeartbeat(worker_id=worker_id, started_at=now, last_beat_at=last_beat)
            )
    with session_scope(runtime.session_factory) as session:
        # Without a heartbeat row nothing says the claimant died: its claim ages out instead.
        assert gone(session, [beating, silent, unknown, "not-a-claimant"], now) == {silent}


def test_a_worker_returns_what_its_killed_predecessor_held_as_it_starts(
    runtime: Runtime, tmp_path: Path, database_url: str
) -> None:
    """`surgiai run` killed just after claiming a doctor's message, and started again: the
    message is processed at once, not when the claim is two minutes old. The worker here runs
    no periodic sweep: only its start can have returned the claim."""
    create_number(runtime)
    body = webhook_body(text_message_value("wamid.boot", "Namaste, trocar ka rate?"))
    with session_scope(runtime.session_factory) as session:
        event = ExternalEvent(
            source="whatsapp_cloud",
            external_id=hashlib.sha256(body).hexdigest(),
            body=body,
            received_at=utcnow(),
            state=EventState.processing,
            claimed_at=utcnow(),
            claimed_by=gone_claimant(),
            attempts=1,
        )
        session.add(event)
        session.flush()
        event_id = event.id
    assert runtime.settings.secret_key is not None
    env = base_env(tmp_path, database_url)
    env.update(
        SURGIAI_DATA_DIR=str(runtime.settings.data_dir),
        SURGIAI_SECRET_KEY=runtime.settings.secret_key.get_secret_value(),
        SURGIAI_AGENTS_ENABLED="false",
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "surgiai", "worker", "--threads", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def processed() -> bool:
        assert worker.poll() is None, "the worker exited"
        with session_scope(runtime.session_factory) as session:
            found = session.get(ExternalEvent, event_id)
            return found is not None and found.state is EventState.processed

    try:
        wait_for(processed, timeout=60, message="the claim of the killed process was kept")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
