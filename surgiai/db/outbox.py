"""The outbox: what a unit of work hands on once it commits, and only then.

Code that changes state registers, on its session, what must follow the change:
- **jobs** for the task queue (`enqueue`): a task never runs on state that does not exist;
- **real-time events** for the dashboards (`publish`): built just before the commit, from the rows
  as they are then (ids exist, the objects are still loaded), one event per key however often the
  unit of work touched the object;
- **reactions** of this process (`on_commit`), such as forgetting a cached copy of what changed.

A rolled-back savepoint takes back exactly what was registered inside it; a rolled-back
transaction, everything. After the outermost commit the outbox is emptied in a fixed order:
reactions first (whatever the commit sets off already sees the new state), then jobs (work starts
as soon as it can), then events (views of state that now exists). Nothing here is process-wide:
where entries go is the `OutboxSink` of the session factory (`outbox_session_factory`), which
the runtime builds from its task queue and real-time broker.

The database stays the source of truth: a job or event lost after the commit (a crash between
the two) is re-driven by the sweepers, and a dashboard refetches when it reconnects.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import structlog
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from surgiai.db.transactions import current_transaction, made_within, rollback_boundary
from surgiai.kit.events import Event

log = structlog.get_logger(__name__)

SINK_KEY = "surgiai.outbox_sink"
_OUTBOX_KEY = "surgiai.outbox"

EventKey = tuple[str, object]
T = TypeVar("T")


@dataclass(frozen=True)
class Job:
    """A task to queue: its registered name, its arguments, and a delay in seconds."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    delay: float | None = None


class OutboxSink(Protocol):
    """Where a session's outbox goes once it commits."""

    def check(self, job: Job) -> None:
        """Raise now (before anything commits) for a job this sink could never send."""

    def send(self, job: Job) -> None:
        """Queue a job. May raise: the failure is logged, the sweepers re-drive its rows."""

    def wants_events(self) -> bool:
        """False when no dashboard could receive an event now: builders are then not run."""

    def publish(self, event: Event) -> None:
        """Hand an event to the dashboards. Never raises."""


def outbox_session_factory(engine: Engine, sink: OutboxSink) -> sessionmaker[Session]:
    """Sessions whose outboxes go to `sink`."""
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
    factory.configure(info={SINK_KEY: sink})
    event.listen(factory, "before_commit", _build_events)
    event.listen(factory, "after_commit", _hand_on)
    event.listen(factory, "after_soft_rollback", _take_back)
    event.listen(factory, "after_transaction_end", _forget_at_the_end)
    return factory


def sink_of(session: Session) -> OutboxSink | None:
    sink: OutboxSink | None = session.info.get(SINK_KEY)
    return sink


# --- Registering -----------------------------------------------------------------------------


def enqueue(
    session: Session, name: str, *args: Any, delay: float | None = None, **kwargs: Any
) -> None:
    """Queue task `name` once `session` commits (never if it rolls back)."""
    sink = sink_of(session)
    if sink is None:
        raise RuntimeError(f"cannot queue {name!r}: this session has no outbox (see outbox.py)")
    job = Job(name, args, kwargs, delay)
    sink.check(job)
    _outbox(session).jobs.append((job, current_transaction(session)))


def publish(session: Session, key: EventKey, build: Callable[[], Event]) -> None:
    """Publish `build()` once `session` commits; never if it rolls back.

    One event per `key` (say `("conversation.updated", conversation.id)`) goes out: the latest
    `build` registered for it, in the order keys were first registered. `build` runs inside the
    commit, after a flush; if it raises, the error is logged and only that event is skipped.
    """
    _outbox(session).events.register(key, build, current_transaction(session))


def publish_now(session: Session, event: Event) -> None:
    """Publish at once, outside any transaction: for events that describe nothing stored
    (someone is typing)."""
    sink = sink_of(session)
    if sink is not None:
        sink.publish(event)


def on_commit(session: Session, key: Hashable, reaction: Callable[[], None]) -> None:
    """Run `reaction` in this process once `session` commits (once per key)."""
    _outbox(session).reactions.register(key, reaction, current_transaction(session))


# --- The outbox of one session ---------------------------------------------------------------


@dataclass(frozen=True)
class _Registration(Generic[T]):
    value: T
    # The savepoint (or transaction) it was made in: rolling that back revokes it. None when
    # the session had not begun a transaction yet, which makes it the outermost one's.
    transaction: SessionTransaction | None


class _Keyed(Generic[T]):
    """The latest registration per key, in the order keys were first registered."""

    def __init__(self) -> None:
        self._by_key: dict[Hashable, list[_Registration[T]]] = {}

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def register(self, key: Hashable, value: T, transaction: SessionTransaction | None) -> None:
        registrations = self._by_key.setdefault(key, [])
        # Earlier registrations are kept only while they belong to an enclosing transaction: if
        # the savepoint of a later one rolls back, the earlier one is what counts.
        if registrations and registrations[-1].transaction is transaction:
            registrations[-1] = _Registration(value, transaction)
        else:
            registrations.append(_Registration(value, transaction))

    def take_back(self, savepoint: SessionTransaction) -> None:
        for key in list(self._by_key):
            kept = [r for r in self._by_key[key] if not made_within(r.transaction, savepoint)]
            if kept:
                self._by_key[key] = kept
            else:
                del self._by_key[key]

    def latest(self) -> list[tuple[Hashable, T]]:
        return [(key, registrations[-1].value) for key, registrations in self._by_key.items()]


class _Outbox:
    def __init__(self) -> None:
        self.reactions: _Keyed[Callable[[], None]] = _Keyed()
        self.jobs: list[tuple[Job, SessionTransaction | None]] = []
        self.events: _Keyed[Callable[[], Event]] = _Keyed()
        # Built by `_build_events` in the commit, published after it.
        self.built: list[Event] = []

    def take_back(self, savepoint: SessionTransaction) -> None:
        self.reactions.take_back(savepoint)
        self.jobs = [(job, t) for job, t in self.jobs if not made_within(t, savepoint)]
        self.events.take_back(savepoint)


def _outbox(session: Session) -> _Outbox:
    outbox: _Outbox | None = session.info.get(_OUTBOX_KEY)
    if outbox is None:
        outbox = session.info[_OUTBOX_KEY] = _Outbox()
    return outbox


# --- The session's life ----------------------------------------------------------------------


def _build_events(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint is being released: its entries wait for the outermost commit
    # The commit would flush next anyway. Flushing first gives builders their ids, and lets
    # code that registers as rows are flushed (a `before_flush` listener) do so in time.
    session.flush()
    outbox: _Outbox | None = session.info.get(_OUTBOX_KEY)
    if outbox is None or not outbox.events:
        return
    sink = sink_of(session)
    if sink is None or not sink.wants_events():
        # Nobody is watching: building costs a query or two per event for no one. Whoever
        # subscribes next refetches what is on screen when it connects.
        return
    for key, build in outbox.events.latest():
        try:
            outbox.built.append(build())
        except Exception:
            log.exception("outbox.event.build_failed", event_key=_describe(key))


def _hand_on(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy fires after_commit when a savepoint is released too; the rows are not
        # visible to anyone else until the outermost transaction commits.
        return
    outbox: _Outbox | None = session.info.pop(_OUTBOX_KEY, None)
    if outbox is None:
        return
    for key, reaction in outbox.reactions.latest():
        try:
            reaction()
        except Exception:
            log.exception("outbox.reaction.failed", key=_describe(key))
    sink = sink_of(session)
    if sink is None:
        return
    for job, _ in outbox.jobs:
        try:
            sink.send(job)
        except Exception:
            # The committed rows are the source of truth; the sweeper re-drives their work.
            log.exception("outbox.job.send_failed", task=job.name)
    for built in outbox.built:
        sink.publish(built)


def _take_back(session: Session, previous_transaction: SessionTransaction) -> None:
    outbox: _Outbox | None = session.info.get(_OUTBOX_KEY)
    if outbox is None:
        return
    boundary = rollback_boundary(previous_transaction)
    if boundary is None:
        session.info.pop(_OUTBOX_KEY, None)
    else:
        outbox.take_back(boundary)


def _forget_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    # A session closed without commit or rollback must not carry its outbox into its next use.
    if transaction.parent is None:
        session.info.pop(_OUTBOX_KEY, None)


def _describe(key: Hashable) -> str:
    if isinstance(key, tuple):
        return ":".join(str(part) for part in key)
    return str(key)
