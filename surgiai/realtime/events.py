"""Events for live dashboards, published only once the change they describe is committed.

Code that changes state registers an event on its session with `publish_after_commit`. The event
is built just before the outermost commit (ids exist, the ORM objects are still loaded) and handed
to this process's broker right after it; a rollback drops it. A dashboard therefore never shows a
change that did not happen, and one unit of work sends one event per key however often it touched
the object. `publish_now` is for ephemeral events that describe nothing stored (typing).

With no broker active (CLI commands that build no runtime), events are dropped with a debug log
rather than raising: they are a view of the database, which stays the source of truth, and a
dashboard refetches whenever it (re)connects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson
import structlog
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session, SessionTransaction

from surgiai.db.transactions import current_transaction, made_within, rollback_boundary

if TYPE_CHECKING:
    from surgiai.realtime.broker import Broker

log = structlog.get_logger(__name__)

PENDING_EVENTS_KEY = "surgiai.pending_events"
BUILT_EVENTS_KEY = "surgiai.built_events"

EventKey = tuple[str, object]


@dataclass(frozen=True)
class Event:
    type: str
    data: dict[str, Any]
    # The JSON it was read from (`from_json`): relayed events are sent on as they came.
    received_as: str | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> str:
        if self.received_as is not None:
            return self.received_as
        # Naive datetimes are UTC here, as everywhere in SurgiAI, so every datetime carries an
        # offset. Raises TypeError for a value JSON cannot carry.
        return orjson.dumps(
            {"type": self.type, "data": self.data},
            default=_json_default,
            option=orjson.OPT_NAIVE_UTC,
        ).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        """The inverse of `to_json`. Raises ValueError for anything that is not an event."""
        value = orjson.loads(text)
        if not (
            isinstance(value, dict)
            and isinstance(value.get("type"), str)
            and isinstance(value.get("data"), dict)
        ):
            raise ValueError("not an event: expected {type: str, data: object}")
        return cls(value["type"], value["data"], text if isinstance(text, str) else text.decode())


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)  # prices stay exact: never through a float
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_active_broker: Broker | None = None


def activate_broker(broker: Broker | None) -> None:
    """Make `broker` the one this process publishes to (None: publish nowhere)."""
    global _active_broker
    _active_broker = broker


def active_broker() -> Broker:
    if _active_broker is None:
        raise RuntimeError("no real-time broker is active in this process")
    return _active_broker


def publish_now(event: Event) -> None:
    """Publish at once, outside any transaction: for events that describe no stored state."""
    broker = _active_broker
    if broker is None:
        _drop(1)
        return
    broker.publish(event)


@dataclass(frozen=True)
class _Registration:
    build: Callable[[], Event]
    # The savepoint (or transaction) it was made in: rolling that savepoint back revokes it.
    # None when the session had not begun a transaction yet, which makes it the outermost one's.
    transaction: SessionTransaction | None


def publish_after_commit(session: Session, key: EventKey, build: Callable[[], Event]) -> None:
    """Publish `build()` once `session`'s outermost transaction commits; never if it rolls back.

    One event per `key` (say `("conversation.updated", conversation.id)`) is published: the
    latest `build` registered for it, in the order keys were first registered. `build` runs
    inside the commit, after a flush; if it raises, the error is logged and only that event is
    skipped.
    """
    pending: dict[EventKey, list[_Registration]] = session.info.setdefault(PENDING_EVENTS_KEY, {})
    transaction = current_transaction(session)
    registrations = pending.setdefault(key, [])
    # Earlier builders are kept only while they belong to an enclosing transaction: if the
    # savepoint of a later registration rolls back, the earlier one is what gets published.
    if registrations and registrations[-1].transaction is transaction:
        registrations[-1] = _Registration(build, transaction)
    else:
        registrations.append(_Registration(build, transaction))


def _drop(count: int) -> None:
    log.debug("realtime.events.dropped", reason="no_broker", count=count)


@orm_event.listens_for(Session, "before_commit")
def _build_pending_events(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint is being released: its events wait for the outermost commit
    # The commit would flush next anyway. Flushing first gives builders their ids, and lets
    # listeners that register events as rows are flushed (`before_flush`) do so in time.
    session.flush()
    pending: dict[EventKey, list[_Registration]] | None = session.info.pop(PENDING_EVENTS_KEY, None)
    if not pending:
        return
    if _active_broker is None:
        _drop(len(pending))
        return
    if not _active_broker.may_have_listeners():
        # Nobody is watching: building costs a query or two per event for no one. Whoever
        # subscribes next refetches what is on screen when it connects.
        return
    built: list[Event] = []
    for key, registrations in pending.items():
        try:
            built.append(registrations[-1].build())
        except Exception:
            log.exception("realtime.build.failed", event_key=f"{key[0]}:{key[1]}")
    session.info[BUILT_EVENTS_KEY] = built


@orm_event.listens_for(Session, "after_commit")
def _publish_built_events(session: Session) -> None:
    events: list[Event] = session.info.pop(BUILT_EVENTS_KEY, [])
    if not events:
        return
    broker = _active_broker
    if broker is None:
        _drop(len(events))
        return
    for event in events:
        broker.publish(event)


@orm_event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back_events(session: Session, previous_transaction: SessionTransaction) -> None:
    boundary = rollback_boundary(previous_transaction)
    if boundary is None:
        _forget(session)
        return
    pending: dict[EventKey, list[_Registration]] = session.info.get(PENDING_EVENTS_KEY, {})
    for key in list(pending):
        kept = [r for r in pending[key] if not made_within(r.transaction, boundary)]
        if kept:
            pending[key] = kept
        else:
            del pending[key]


@orm_event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    # A session closed without commit or rollback must not carry its events into its next use.
    if transaction.parent is None:
        _forget(session)


def _forget(session: Session) -> None:
    session.info.pop(PENDING_EVENTS_KEY, None)
    session.info.pop(BUILT_EVENTS_KEY, None)
