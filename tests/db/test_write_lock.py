"""The SQLite write lock: writers of one process queue on it, a transaction takes it at its first
write, and a holder that keeps it too long is named, with where it is stuck. Processes sharing
the file queue on a file lock, with the same timeout."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, column, select, table, text
from sqlalchemy.orm import Session
from structlog.testing import capture_logs

from surgiai.db import engine as engine_module
from surgiai.db.engine import WriteLock, make_engine, write_lock_for
from tests.services import wait_for, waiting_in


def hold_until(lock: WriteLock, release: threading.Event) -> threading.Thread:
    taken = threading.Event()

    def holder() -> None:
        assert lock.acquire(timeout=1)
        taken.set()
        release.wait(30)
        lock.release()

    thread = threading.Thread(target=holder, name="slow-holder", daemon=True)
    thread.start()
    assert taken.wait(5)
    return thread


def set_when(condition: Callable[[], object], event: threading.Event) -> None:
    """Set `event` from another thread once `condition` holds (while this one is blocked)."""

    def watch() -> None:
        wait_for(condition)
        event.set()

    threading.Thread(target=watch, daemon=True).start()


class TestWriteLock:
    def test_a_waiter_gets_the_lock_when_the_holder_lets_go(self, tmp_path: Path) -> None:
        lock = WriteLock(str(tmp_path / "surgiai.db"))
        release = threading.Event()
        holder = hold_until(lock, release)
        # The holder lets go once this thread is seen waiting for the lock.
        waiter = threading.current_thread()
        set_when(lambda: waiting_in(waiter, WriteLock.acquire), release)
        assert lock.acquire(timeout=30)
        assert release.is_set()
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
        with capture_logs() as logs:
            # The holder lets go once the waiter has reported it, however long that takes.
            set_when(lambda: any(e["event"] == "sqlite.write_lock.slow" for e in logs), release)
            assert lock.acquire(timeout=30)
        lock.release()
        holder.join(5)
        [report] = [entry for entry in logs if entry["event"] == "sqlite.write_lock.slow"]
        assert report["holder"] == "slow-holder"
        assert report["held_seconds"] >= 0.1
        assert "release.wait" in report["holder_stack"]


# Another process with its own WriteLock on the file, taking and letting go of it on command.
OTHER_PROCESS = """
import sys
from surgiai.db.engine import WriteLock
lock = WriteLock(sys.argv[1])
for line in sys.stdin:
    command, _, timeout = line.partition(" ")
    if command == "acquire":
        print(lock.acquire(float(timeout)), flush=True)
    else:
        lock.release()
        print("released", flush=True)
"""


class OtherProcess:
    def __init__(self, database: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", OTHER_PROCESS, str(database)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.pid = self.process.pid

    def ask(self, command: str) -> str:
        """Send a command and wait for its answer."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(10)
        finally:
            self.process.kill()


class TestFileLockAcrossProcesses:
    """A process that keeps the file lock keeps the others' writers out only until their
    timeout, as a thread keeping the thread lock does."""

    @pytest.fixture
    def database(self, tmp_path: Path) -> Path:
        return tmp_path / "surgiai.db"

    @pytest.fixture
    def other(self, database: Path) -> Iterator[OtherProcess]:
        other = OtherProcess(database)
        yield other
        other.close()

    def test_a_waiter_gives_up_after_the_timeout_and_gets_it_once_let_go(
        self, database: Path, other: OtherProcess
    ) -> None:
        lock = WriteLock(str(database))
        assert other.ask("acquire 5") == "True"

        started = time.monotonic()
        assert not lock.acquire(timeout=0.3)
        # About its timeout: not at once, and far from forever (a loaded machine is slow).
        assert 0.3 <= time.monotonic() - started < 5

        # Waiting again, now until the other process lets go.
        result: list[bool] = []
        waiter = threading.Thread(target=lambda: result.append(lock.acquire(timeout=10)))
        waiter.start()
        assert other.ask("release") == "released"
        waiter.join(10)
        assert result == [True]
        # Held here: the other process waits for it in vain.
        assert other.ask("acquire 0.2") == "False"
        lock.release()
        assert other.ask("acquire 5") == "True"

    def test_a_waiter_that_gave_up_keeps_no_process_out(
        self, database: Path, other: OtherProcess
    ) -> None:
        lock = WriteLock(str(database))
        assert other.ask("acquire 5") == "True"
        assert not lock.acquire(timeout=0.1)
        # The wait given up here ends as soon as the lock is let go: the other process takes
        # it again, and this one after it.
        assert other.ask("release") == "released"
        assert other.ask("acquire 5") == "True"
        assert other.ask("release") == "released"
        assert lock.acquire(timeout=5)
        lock.release()

    def test_the_thread_lock_is_let_go_with_the_file_lock(
        self, database: Path, other: OtherProcess
    ) -> None:
        lock = WriteLock(str(database))
        assert other.ask("acquire 5") == "True"
        assert not lock.acquire(timeout=0.1)
        # Another thread of this process is not kept out by the first one's attempt.
        result: list[bool] = []
        thread = threading.Thread(target=lambda: result.append(lock.acquire(timeout=0.1)))
        thread.start()
        thread.join(10)
        assert result == [False]
        assert other.ask("release") == "released"
        assert lock.acquire(timeout=5)
        lock.release()

    def test_a_slow_holder_is_reported_with_its_pid(
        self, database: Path, other: OtherProcess, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(engine_module, "SLOW_LOCK_WAIT_SECONDS", 0.1)
        lock = WriteLock(str(database))
        assert other.ask("acquire 5") == "True"
        with capture_logs() as logs:
            assert not lock.acquire(timeout=0.5)
        [report] = [entry for entry in logs if entry["event"] == "sqlite.write_lock.slow"]
        assert report["holder"] == f"process {other.pid}"
        assert report["holder_pid"] == other.pid
        assert report["waited_seconds"] >= 0.1

    def test_a_free_file_lock_is_taken_at_once(
        self, database: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def no_waiting(*_args: object) -> None:
            raise AssertionError("waited for a free file lock")

        monkeypatch.setattr(WriteLock, "_wait_for_file", no_waiting)
        lock = WriteLock(str(database))
        for _ in range(3):
            assert lock.acquire(timeout=1)
            lock.release()


class TestLockTakenAtFirstWrite:
    """A transaction takes the write lock at its first write: one that has only read keeps
    no writer waiting, and a write after another writer's commit does not fail."""

    @pytest.fixture
    def engine(self, tmp_path: Path) -> Iterator[Engine]:
        engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
            connection.execute(text("INSERT INTO notes (body) VALUES ('first')"))
        yield engine
        engine.dispose()

    @staticmethod
    def write_elsewhere(engine: Engine, body: str) -> threading.Thread:
        """Start inserting and committing from another thread."""

        def write() -> None:
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": body})

        thread = threading.Thread(target=write, daemon=True)
        thread.start()
        return thread

    @staticmethod
    def outcome(writer: threading.Thread, engine: Engine) -> str:
        """How `writer` fares: "finished", or "waiting" once it is seen waiting for the write lock
        that this thread's transaction holds (it cannot go on until that transaction ends)."""
        lock = write_lock_for(engine.url.database or "")
        here = threading.current_thread()

        def settled() -> str | None:
            if not writer.is_alive():
                return "finished"
            if lock.holder is here and waiting_in(writer, WriteLock.acquire):
                return "waiting"
            return None

        return wait_for(settled, message="the other writer neither finished nor waited")

    @staticmethod
    def finished(writer: threading.Thread) -> None:
        writer.join(30)
        assert not writer.is_alive(), "the other writer did not go ahead"

    def test_a_transaction_that_only_read_keeps_no_writer_waiting(self, engine: Engine) -> None:
        with engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM notes")).scalar_one() == 1
            assert self.outcome(self.write_elsewhere(engine, "second"), engine) == "finished"
            # Each read sees what is committed (as PostgreSQL's READ COMMITTED does).
            assert connection.execute(text("SELECT count(*) FROM notes")).scalar_one() == 2

    def test_from_its_first_write_a_transaction_is_alone(self, engine: Engine) -> None:
        session = Session(engine)
        session.execute(text("SELECT count(*) FROM notes"))
        session.execute(text("UPDATE notes SET body = 'edited' WHERE id = 1"))
        writer = self.write_elsewhere(engine, "waits")
        assert self.outcome(writer, engine) == "waiting"
        session.commit()
        self.finished(writer)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM notes")).scalar_one() == 2

    def test_a_write_after_another_writers_commit_goes_through(self, engine: Engine) -> None:
        with engine.begin() as connection:
            connection.execute(text("SELECT body FROM notes WHERE id = 1"))
            assert self.outcome(self.write_elsewhere(engine, "second"), engine) == "finished"
            connection.execute(text("UPDATE notes SET body = 'edited' WHERE id = 1"))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT body FROM notes WHERE id = 1")).scalar() == (
                "edited"
            )

    def test_select_for_update_takes_the_lock(self, engine: Engine) -> None:
        notes = table("notes", column("id"), column("body"))
        with engine.begin() as connection:
            connection.execute(select(notes.c.body).where(notes.c.id == 1).with_for_update())
            writer = self.write_elsewhere(engine, "waits")
            assert self.outcome(writer, engine) == "waiting"
        self.finished(writer)

    def test_a_savepoint_before_the_first_write_takes_no_lock_until_it_writes(
        self, engine: Engine
    ) -> None:
        with Session(engine) as session:
            with session.begin_nested():
                session.execute(text("SELECT count(*) FROM notes"))
            assert self.outcome(self.write_elsewhere(engine, "second"), engine) == "finished"
            savepoint = session.begin_nested()
            session.execute(text("UPDATE notes SET body = 'undone' WHERE id = 1"))
            writer = self.write_elsewhere(engine, "waits")
            assert self.outcome(writer, engine) == "waiting"
            savepoint.rollback()
            with session.begin_nested():
                session.execute(text("UPDATE notes SET body = 'kept' WHERE id = 2"))
            session.commit()
        self.finished(writer)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, body FROM notes ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [(1, "first"), (2, "kept"), (3, "waits")]

    def test_nested_savepoints_opened_before_the_first_write_are_set_at_it(
        self, engine: Engine
    ) -> None:
        with Session(engine) as session:
            outer = session.begin_nested()
            session.execute(text("SELECT body FROM notes"))
            with session.begin_nested():
                session.execute(text("UPDATE notes SET body = 'inner' WHERE id = 1"))
            outer.rollback()  # undoes what the inner one wrote
            session.execute(text("INSERT INTO notes (body) VALUES ('after')"))
            session.commit()
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT body FROM notes ORDER BY id")).all()
        assert [row[0] for row in rows] == ["first", "after"]
