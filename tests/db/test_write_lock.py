"""The SQLite write lock: writers of one process queue on it, and a holder that keeps it too
long is named, with where it is stuck."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from surgiai.db import engine as engine_module
from surgiai.db.engine import WriteLock


def hold_until(lock: WriteLock, release: threading.Event) -> threading.Thread:
    taken = threading.Event()

    def holder() -> None:
        assert lock.acquire(timeout=1)
        taken.set()
        release.wait(5)
        lock.release()

    thread = threading.Thread(target=holder, name="slow-holder", daemon=True)
    thread.start()
    assert taken.wait(5)
    return thread


class TestWriteLock:
    def test_a_waiter_gets_the_lock_when_the_holder_lets_go(self, tmp_path: Path) -> None:
        lock = WriteLock(str(tmp_path / "surgiai.db"))
        release = threading.Event()
        holder = hold_until(lock, release)
        threading.Timer(0.2, release.set).start()
        assert lock.acquire(timeout=5)
        lock.release()
        holder.join(5)

    def test_a_waiter_gives_up_after_the_timeout(self, tmp_path: Path) -> None:
        lock = WriteLock(str(tmp_path / "surgiai.db"))
        release = threading.Event()
        hold_until(lock, release)
        try:
            assert not lock.acquire(timeout=0.2)
        finally:
            release.set()

    def test_a_slow_holder_is_reported_with_its_stack(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(engine_module, "SLOW_LOCK_WAIT_SECONDS", 0.1)
        lock = WriteLock(str(tmp_path / "surgiai.db"))
        release = threading.Event()
        holder = hold_until(lock, release)
        threading.Timer(0.4, release.set).start()
        with capture_logs() as logs:
            assert lock.acquire(timeout=5)
        lock.release()
        holder.join(5)
        [report] = [entry for entry in logs if entry["event"] == "sqlite.write_lock.slow"]
        assert report["holder"] == "slow-holder"
        assert report["held_seconds"] >= 0.1
        assert "release.wait" in report["holder_stack"]
