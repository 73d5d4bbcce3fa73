"""A small catalogue written straight to the database, for tests of what the agents answer."""

from __future__ import annotations

from decimal import Decimal

from surgiai.catalogue.models import Course, CourseStatus, Product
from surgiai.catalogue.revision import bump_revision
from surgiai.db.engine import session_scope
from surgiai.runtime import Runtime


def add_product(
    runtime: Runtime,
    name: str = "Disposable Trocar 5 mm",
    *,
    code: str | None = "SG-TR05",
    pack_size: str | None = "Box of 6",
    price: str | None = "2450",
    category: str | None = "Laparoscopy",
) -> int:
    with session_scope(runtime.session_factory) as session:
        product = Product(
            name=name,
            code=code,
            pack_size=pack_size,
            price=Decimal(price) if price is not None else None,
            category=category,
        )
        session.add(product)
        session.flush()
        bump_revision(session)
        return product.id


def add_course(runtime: Runtime, title: str, **fields: object) -> int:
    with session_scope(runtime.session_factory) as session:
        course = Course(title=title, status=CourseStatus.confirmed, **fields)
        session.add(course)
        session.flush()
        bump_revision(session)
        return course.id
