"""The catalogue's queries: pages in a stable order (keyset, never OFFSET), search, sources."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, column, func, or_, select, table
from sqlalchemy.orm import InstrumentedAttribute, Session

from surgiai.catalogue.models import Course, CourseStatus, Product

# The knowledge domain's documents, read for their titles only (a source "Catalogue 2026, p. 3"):
# by table name, as the foreign keys name it, since knowledge sits above the catalogue.
_document = table("document", column("id"), column("title"))
# Courses without a date list after the dated ones.
NO_DATE = date(9999, 12, 31)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(q: str, *columns: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    pattern = f"%{_escape_like(q.strip().casefold())}%"
    return or_(*(func.lower(c).like(pattern, escape="\\") for c in columns))


class CatalogueRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- Products -----------------------------------------------------------------------------

    def product_page(
        self,
        *,
        limit: int,
        after: tuple[str, int] | None,
        q: str | None,
        available: bool | None,
    ) -> list[tuple[Product, str]]:
        """Products by name (case-insensitive), then id; with each, the sort key its cursor
        carries."""
        key = func.lower(Product.name)
        statement = select(Product, key).order_by(key, Product.id).limit(limit)
        if q:
            statement = statement.where(_contains(q, Product.name, Product.code, Product.category))
        if available is not None:
            statement = statement.where(Product.available.is_(available))
        if after is not None:
            name, last_id = after
            statement = statement.where((key > name) | ((key == name) & (Product.id > last_id)))
        return [(row[0], row[1]) for row in self.session.execute(statement)]

    def product_by_code(self, code: str) -> Product | None:
        return self.session.scalar(select(Product).where(Product.code == code))

    def all_products(self) -> Sequence[Product]:
        return self.session.scalars(select(Product)).all()

    # --- Courses ------------------------------------------------------------------------------

    def course_page(
        self,
        *,
        limit: int,
        after: tuple[date, int] | None,
        q: str | None,
        status: CourseStatus | None,
    ) -> list[tuple[Course, date]]:
        """Courses by start date (undated last), then id."""
        key = func.coalesce(Course.starts_on, NO_DATE)
        statement = select(Course, key).order_by(key, Course.id).limit(limit)
        if q:
            statement = statement.where(_contains(q, Course.title, Course.city, Course.venue))
        if status is not None:
            statement = statement.where(Course.status == status)
        if after is not None:
            starts, last_id = after
            statement = statement.where((key > starts) | ((key == starts) & (Course.id > last_id)))
        rows = []
        for course, sort_key in self.session.execute(statement):
            if isinstance(sort_key, str):  # SQLite returns the COALESCE as text
                sort_key = date.fromisoformat(sort_key)
            rows.append((course, sort_key))
        return rows

    # --- Sources ------------------------------------------------------------------------------

    def document_titles(self, ids: Iterable[int | None]) -> dict[int, str]:
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return {}
        statement = select(_document.c.id, _document.c.title).where(_document.c.id.in_(wanted))
        return {int(row[0]): str(row[1]) for row in self.session.execute(statement)}
