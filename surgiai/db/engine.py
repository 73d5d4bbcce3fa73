"""Engine and session factory for SQLite (embedded, WAL) and PostgreSQL."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import structlog
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine.interfaces import ExecutionContext
from sqlalchemy.orm import Session, sessionmaker

from surgiai.kit.frames import current_frame_of

log = structlog.get_logger(__name__)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """On SQLite a commit survives a killed process (WAL, synchronous=NORMAL); what must also
    survive a power loss calls `sync_to_disk` after its commit."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            json_serializer=json_dumps,
            json_deserializer=orjson.loads,
            connect_args={
                "check_same_thread": False,
                "timeout": LOCK_TIMEOUT_SECONDS,
                "factory": SerializedConnection,
            },
            pool_size=20,
            max_overflow=20,
        )
        write_lock = write_lock_for(make_url(url).database or "")

        def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.write_lock = write_lock
            _sqlite_pragmas(dbapi_connection)

        def begin(connection: Connection) -> None:
            connection.connection.dbapi_connection.begin_lazily()  # type: ignore[union-attr]

        def before_cursor_execute(
            connection: Connection,
            _cursor: Any,
            statement: str,
            parameters: Any,
            context: ExecutionContext | None,
            _executemany: bool,
        ) -> tuple[str, Any]:
            dbapi_connection = connection.connection.dbapi_connection
            if not dbapi_connection.wants_write_lock:  # type: ignore[union-attr]
                return statement, parameters
            return dbapi_connection.before_first_write(statement, parameters, context)  # type: ignore[union-attr,no-any-return]

        event.listen(engine, "connect", set_pragmas)
        event.listen(engine, "begin", begin)
        event.listen(engine, "before_cursor_execute", before_cursor_execute, retval=True)
        return engine
    return create_engine(
        url,
        echo=echo,
        json_serializer=json_dumps,
        json_deserializer=orjson.loads,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
    )


def json_dumps(value: Any) -> str:
    """JSON columns are written with orjson: starting a campaign stores thousands of rendered
    messages, and the standard library's encoder was a third of it. Keys that are not strings
    become strings, as `json.dumps` makes them."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


LOCK_TIMEOUT_SECONDS = 30.0
# A transaction holding the write lock this long is a bug (a call made while holding it): say
# who holds it and where, so the stall can be fixed rather than guessed at.
SLOW_LOCK_WAIT_SECONDS = 5.0


class WriteLock:
    """Who may write to one SQLite file: threads of this process queue on a Python lock, and
    processes sharing the file (`surgiai api` beside `surgiai worker`s) on an OS file lock.
    Both wake the next waiter at once, where SQLite's own busy handler polls with sleeps.

    The file lock has no timeout of its own: while another process holds it, a helper thread
    blocks on it for the waiter, which waits for the helper no longer than its timeout. A
    helper left waiting lets go of the lock as soon as it gets it, unless the next writer of
    this process has taken over its wait (so there is never more than one per file)."""

    def __init__(self, database: str) -> None:
        self._threads = threading.Lock()
        self._file: int | None = None
        if database and database != ":memory:":
            self._file = os.open(database + "-writelock", os.O_RDWR | os.O_CREAT, 0o600)
        # The helper thread blocked on the file lock, if any, and what it does when it gets
        # it: hand it to the writer waiting for it (`_file_wanted`), or let go of it.
        self._file_state = threading.Lock()
        self._file_helper: threading.Thread | None = None
        self._file_wanted = False
        self._file_granted = threading.Event()
        self._file_error: BaseException | None = None

    holder: threading.Thread | None = None
    held_since = 0.0

    def acquire(self, timeout: float) -> bool:
        """Take both locks within `timeout` seconds; False, holding neither, if not."""
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=min(timeout, SLOW_LOCK_WAIT_SECONDS)):
            self._report_slow_holder()
            if not self._threads.acquire(timeout=max(0.0, timeout - SLOW_LOCK_WAIT_SECONDS)):
                return False
        self.holder, self.held_since = threading.current_thread(), time.monotonic()
        if self._file is None:
            return True
        locked = False
        try:
            locked = self._lock_file(self._file, deadline)
        finally:
            if not locked:
                self.holder = None
                self._threads.release()
        return locked

    def release(self) -> None:
        self.holder = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self._threads.release()

    def _lock_file(self, file: int, deadline: float) -> bool:
        """The file lock, taken at once when no other process holds it; else waited for until
        `deadline`, naming the process that holds it once the wait grows slow. Only the holder
        of the thread lock calls this."""
        with self._file_state:
            helper = self._file_helper
            self._file_wanted = helper is not None
        if helper is None:
            if _try_flock(file):
                return True
            if time.monotonic() >= deadline:
                return False
            self._file_wanted = True
            self._file_helper = helper = threading.Thread(
                target=self._wait_for_file, args=(file,), name="sqlite-file-lock", daemon=True
            )
            try:
                helper.start()
            except BaseException:
                self._file_helper, self._file_wanted = None, False
                raise
        started = time.monotonic()
        report_at = started + SLOW_LOCK_WAIT_SECONDS
        try:
            granted = self._file_granted.wait(max(0.0, min(deadline, report_at) - started))
            if not granted and report_at < deadline:
                self._report_slow_file_holder(file, waited=time.monotonic() - started)
                self._file_granted.wait(max(0.0, deadline - time.monotonic()))
        except BaseException:
            if self._end_file_wait():
                fcntl.flock(file, fcntl.LOCK_UN)
            raise
        return self._end_file_wait()

    def _end_file_wait(self) -> bool:
        """Whether the helper got the file lock for this writer; if it has not yet, it will
        let go of it when it does."""
        with self._file_state:
            granted = self._file_granted.is_set()
            self._file_granted.clear()
            self._file_wanted = False
            error, self._file_error = self._file_error, None
        if error is not None:
            raise error
        return granted

    def _wait_for_file(self, file: int) -> None:
        error: BaseException | None = None
        try:
            fcntl.flock(file, fcntl.LOCK_EX)
        except BaseException as failure:
            error = failure
        with self._file_state:
            self._file_helper = None
            if self._file_wanted:
                self._file_error = error
                self._file_granted.set()
            elif error is None:
                fcntl.flock(file, fcntl.LOCK_UN)

    def _report_slow_holder(self) -> None:
        holder = self.holder
        frame = current_frame_of(holder.ident) if holder is not None else None
        log.warning(
            "sqlite.write_lock.slow",
            holder=holder.name if holder is not None else None,
            held_seconds=round(time.monotonic() - self.held_since, 1),
            holder_stack="".join(traceback.format_stack(frame)) if frame is not None else None,
        )

    @staticmethod
    def _report_slow_file_holder(file: int, waited: float) -> None:
        # Another process's stack is out of reach: its pid says which one to look at.
        pid = _flock_holder(file)
        log.warning(
            "sqlite.write_lock.slow",
            holder=f"process {pid}" if pid is not None else "another process",
            holder_pid=pid,
            waited_seconds=round(waited, 1),
            holder_stack=None,
        )


def _try_flock(file: int) -> bool:
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _flock_holder(file: int) -> int | None:
    """The pid of the process holding the flock on `file`, from Linux's /proc/locks (None
    elsewhere, or when it has just let go). Its lines read `1: FLOCK  ADVISORY  WRITE 4242
    fe:00:2147249 0 EOF`, device in hex and inode; a waiter's has `->` after the number."""
    stat = os.fstat(file)
    inode = f"{os.major(stat.st_dev):02x}:{os.minor(stat.st_dev):02x}:{stat.st_ino}"
    try:
        with open("/proc/locks") as locks:
            for line in locks:
                fields = line.split()
                if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == inode:
                    return int(fields[4])
    except (OSError, ValueError):
        return None
    return None


_write_locks: dict[str, WriteLock] = {}
_write_locks_guard = threading.Lock()


def write_lock_for(path: str) -> WriteLock:
    """One lock per database file for the whole process, shared by all its engines (and by
    the task queue's own SQLite file)."""
    key = os.path.realpath(path) if path else ""
    with _write_locks_guard:
        if key not in _write_locks:
            _write_locks[key] = WriteLock(key)
        return _write_locks[key]


class SerializedConnection(sqlite3.Connection):
    """A transaction takes SQLite's write lock at its first write (BEGIN IMMEDIATE), not at its
    first statement: the reads before it run each on its own, on the newest committed data,
    as on PostgreSQL (READ COMMITTED), and do not keep writers waiting. From the first write to
    the commit, the transaction is alone. (A deferred transaction that reads, then writes, would
    fail outright when another writer committed in between: busy_timeout cannot help a lock
    upgrade; so reads never open one.) A `SELECT ... FOR UPDATE` counts as a write.

    Savepoints opened before the first write are set at it, in order (a SAVEPOINT would open a
    deferred transaction); one released or rolled back before it had nothing to undo.

    Writers queue for it on a `WriteLock` first. Left to SQLite, waiting writers poll with
    sleeps of up to 100 ms, and a busy worker pool stalls on them."""

    write_lock: WriteLock
    _holding = False
    # A transaction has begun (for SQLAlchemy) and has not written yet.
    wants_write_lock = False
    # Savepoints opened since, not yet set.
    _savepoints: list[str]

    def begin_lazily(self) -> None:
        self.wants_write_lock = True
        self._savepoints = []

    def before_first_write(
        self, statement: str, parameters: Any, context: ExecutionContext | None
    ) -> tuple[str, Any]:
        """The statement to run in place of `statement` while the transaction has not written."""
        words = statement.split()
        savepoints = self._savepoints
        if words[0].upper() == "SAVEPOINT":
            savepoints.append(words[1])
            return _NOTHING, ()
        if words[0].upper() in ("RELEASE", "ROLLBACK") and words[-1] in savepoints:
            del savepoints[savepoints.index(words[-1]) :]
            return _NOTHING, ()
        if _writes(statement, context):
            self.begin_immediate()
            for name in savepoints:
                self.execute(f"SAVEPOINT {name}")
        return statement, parameters

    def begin_immediate(self) -> None:
        self.wants_write_lock = False
        if not self.write_lock.acquire(LOCK_TIMEOUT_SECONDS):
            raise sqlite3.OperationalError(
                "database is locked: another transaction held the write lock for 30 s"
            )
        self._holding = True
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def commit(self) -> None:
        self.wants_write_lock = False
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        self.wants_write_lock = False
        try:
            super().rollback()
        finally:
            self._release()

    def _release(self) -> None:
        self._savepoints = []
        if self._holding:
            self._holding = False
            self.write_lock.release()


# Run in place of a savepoint statement that has nothing to do yet: no rows, no lock.
_NOTHING = "SELECT 1 WHERE 0"


def _writes(statement: str, context: ExecutionContext | None) -> bool:
    """Whether a statement needs the write lock: anything but a plain SELECT (DDL and PRAGMA
    included), and a SELECT ... FOR UPDATE, whose lock SQLite has no syntax for."""
    if statement.lstrip()[:6].upper() != "SELECT":
        return True
    compiled = context.compiled if context is not None else None
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


def sync_to_disk(engine: Engine) -> None:
    """Make every transaction committed so far survive a power loss.

    On SQLite this is an fsync of the write-ahead log, after the commit and outside the write
    lock, where synchronous=FULL would fsync inside it and keep every other writer waiting.
    Frames already copied into the database by a checkpoint were synced by it (a checkpoint
    syncs the database before the log can be reused); with no log file left, every commit is
    in the synced database. PostgreSQL's commit is durable already."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return
    try:
        wal = os.open(engine.url.database + "-wal", os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fsync(wal)
    finally:
        os.close(wal)


def _sqlite_pragmas(dbapi_connection: Any) -> None:
    # Transactions are begun explicitly (SerializedConnection), not by pysqlite on its own.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(LOCK_TIMEOUT_SECONDS * 1000)}")
    cursor.close()


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error (the boundary owns the commit)."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
