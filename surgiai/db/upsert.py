"""INSERT … ON CONFLICT DO NOTHING on both SQLite and PostgreSQL: unique keys make retries and
duplicate deliveries harmless."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from surgiai.db.base import Base


def insert_ignore_conflict(
    session: Session, model: type[Base], values: dict[str, Any], index_elements: list[str]
) -> bool:
    """Insert one row unless its unique key exists. Returns True when a row was inserted."""
    insert = conflict_insert(session.get_bind().dialect.name)
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=index_elements)
    result = session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def conflict_insert(dialect: str) -> Any:
    """The dialect's INSERT that knows ON CONFLICT (PostgreSQL's, else SQLite's)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
