"""INSERT … ON CONFLICT DO NOTHING on both SQLite and PostgreSQL: unique keys make retries and
duplicate deliveries harmless."""

from __future__ import annotations

import threading
from typing import Any, TypeVar, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from surgiai.db.base import Base

Row = TypeVar("Row", bound=Base)

# One statement per (dialect, table, key, RETURNING or not), built once: these run for every
# inbound message, and building an INSERT (and its cache key) on each call cost more than
# executing it.
_statements: dict[tuple[object, ...], Any] = {}
_statements_lock = threading.Lock()


def insert_ignore_conflict(
    session: Session, model: type[Base], values: dict[str, Any], index_elements: list[str]
) -> bool:
    """Insert one row unless its unique key exists. Returns True when a row was inserted.

    A Core insert on the session's connection: pending ORM changes are not flushed first, and
    column defaults apply as for any insert."""
    statement = _statement(session, model, index_elements, returning=False)
    result = session.connection().execute(statement, values)
    return bool(result.rowcount)


def insert_returning_new(
    session: Session, model: type[Row], values: dict[str, Any], index_elements: list[str]
) -> Row | None:
    """Insert one row unless its unique key exists. Returns the new row, loaded into the
    session by the INSERT itself (RETURNING: no second statement to read it back), or None
    when the key existed. An empty `index_elements` means any of the table's unique keys."""
    statement = _statement(session, model, index_elements, returning=True)
    return cast(Row | None, session.scalars(statement, values).one_or_none())


def _statement(
    session: Session, model: type[Base], index_elements: list[str], *, returning: bool
) -> Any:
    dialect = session.get_bind().dialect.name
    key = (dialect, model.__tablename__, tuple(index_elements), returning)
    statement = _statements.get(key)
    if statement is None:
        table = cast(Table, model.__table__)
        statement = conflict_insert(dialect)(table).on_conflict_do_nothing(
            index_elements=index_elements or None
        )
        if returning:
            # A Core INSERT read as ORM rows: half the CPU of an ORM-enabled INSERT ... RETURNING.
            statement = select(model).from_statement(statement.returning(*table.c))
        with _statements_lock:
            statement = _statements.setdefault(key, statement)
    return statement


def conflict_insert(dialect: str) -> Any:
    """The dialect's INSERT that knows ON CONFLICT (PostgreSQL's, else SQLite's)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
