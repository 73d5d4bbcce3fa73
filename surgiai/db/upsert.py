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
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg_statement = postgresql.insert(model).values(**values)
        pg_statement = pg_statement.on_conflict_do_nothing(index_elements=index_elements)
        result = session.execute(pg_statement)
    else:
        lite_statement = sqlite.insert(model).values(**values)
        lite_statement = lite_statement.on_conflict_do_nothing(index_elements=index_elements)
        result = session.execute(lite_statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]
