"""The catalogue's products and courses: applying what a document's extraction found, and what
admins create, change, import and delete.

An admin's change wins: the fields they set are listed in the row's `edited_fields`, and a
later extraction leaves those as the admin left them. Every change bumps the knowledge revision
in its transaction, so every process's answers see it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from surgiai.catalogue.extraction import ExtractedCourse, ExtractedProduct, normalise_name
from surgiai.catalogue.models import Course, CourseStatus, Product
from surgiai.catalogue.revision import bump_revision

log = structlog.get_logger(__name__)

# What an extraction may set on a product, and on a course (unless an admin edited it).
PRODUCT_FIELDS = ("name", "code", "pack_size", "price", "currency", "category", "description")
COURSE_FIELDS = (
    "title",
    "starts_on",
    "ends_on",
    "city",
    "venue",
    "fee",
    "currency",
    "cme_credits",
    "seats",
)


@dataclass(frozen=True)
class ExtractionResult:
    products_added: int = 0
    products_updated: int = 0
    # From the replaced document and not in the new one: kept, marked unavailable.
    products_retired: int = 0
    courses_added: int = 0
    courses_updated: int = 0


def _values_differ(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) and isinstance(new, Decimal):
        return old.compare(new) != 0
    return bool(old != new)


class CatalogueService:
    # --- Extraction ---------------------------------------------------------------------------

    def apply_extraction(
        self,
        session: Session,
        *,
        document_id: int,
        replaced_document_id: int | None,
        products: Sequence[ExtractedProduct],
        courses: Sequence[ExtractedCourse],
    ) -> ExtractionResult:
        """Merge a document's products and courses into the catalogue, in the caller's
        transaction. Products match by code, else by name (normalised); a field an admin
        edited is never overwritten, and a value the document lacks (None) clears nothing.
        Products of `replaced_document_id` that the new version no longer lists are retired
        (available=False). New courses wait for an admin's confirmation (`extracted`)."""
        added, updated, matched_ids = self._apply_products(session, document_id, products)
        retired = 0
        if replaced_document_id is not None:
            retired = self._retire(session, replaced_document_id, matched_ids)
        courses_added, courses_updated = self._apply_courses(session, document_id, courses)
        bump_revision(session)
        result = ExtractionResult(added, updated, retired, courses_added, courses_updated)
        log.info(
            "catalogue.extraction_applied",
            document_id=document_id,
            replaced_document_id=replaced_document_id,
            **result.__dict__,
        )
        return result

    def _apply_products(
        self, session: Session, document_id: int, products: Sequence[ExtractedProduct]
    ) -> tuple[int, int, set[int]]:
        existing = list(session.scalars(select(Product)))
        by_code = {product.code: product for product in existing if product.code}
        by_name: dict[str, Product] = {}
        for product in existing:
            by_name.setdefault(normalise_name(product.name), product)
        added = updated = 0
        matched: set[int] = set()
        seen: set[str] = set()
        for item in products:
            key = f"code:{item.code}" if item.code else f"name:{normalise_name(item.name)}"
            if key in seen or not normalise_name(item.name):
                continue  # the same product twice in one document: its first listing
            seen.add(key)
            row = by_code.get(item.code) if item.code else None
            if row is None:
                candidate = by_name.get(normalise_name(item.name))
                # A name match with another code is another product (a variant).
                if candidate is not None and not (
                    item.code and candidate.code and candidate.code != item.code
                ):
                    row = candidate
            if row is None:
                row = Product(
                    name=item.name,
                    code=item.code,
                    pack_size=item.pack_size,
                    price=item.price,
                    currency=item.currency,
                    category=item.category,
                    description=item.description,
                    available=True,
                    source_document_id=document_id,
                    source_page=item.page,
                    edited_fields=[],
                )
                session.add(row)
                session.flush()
                added += 1
                if row.code:
                    by_code[row.code] = row
                by_name.setdefault(normalise_name(row.name), row)
                matched.add(row.id)
                continue
            if row.id in matched:
                continue
            matched.add(row.id)
            edited = set(row.edited_fields or [])
            changed = False
            for name in PRODUCT_FIELDS:
                new = getattr(item, name)
                if name in edited or new is None:
                    continue
                if name == "code" and (new in by_code and by_code[new] is not row):
                    continue  # another product has that code
                if _values_differ(getattr(row, name), new):
                    if name == "code":
                        by_code.pop(row.code or "", None)
                        by_code[new] = row
                    setattr(row, name, new)
                    changed = True
            if not row.available and "available" not in edited:
                row.available = True
                changed = True
            row.source_document_id = document_id
            row.source_page = item.page
            if changed:
                updated += 1
        session.flush()
        return added, updated, matched

    def _retire(self, session: Session, replaced_document_id: int, kept: set[int]) -> int:
        retired = 0
        rows = session.scalars(
            select(Product).where(
                Product.source_document_id == replaced_document_id, Product.available.is_(True)
            )
        )
        for row in rows:
            if row.id in kept or "available" in (row.edited_fields or []):
                continue
            row.available = False
            retired += 1
        session.flush()
        return retired

    def _apply_courses(
        self, session: Session, document_id: int, courses: Sequence[ExtractedCourse]
    ) -> tuple[int, int]:
        existing = list(session.scalars(select(Course)))
        index: dict[tuple[str, Any], Course] = {}
        for course in existing:
            index.setdefault((normalise_name(course.title), course.starts_on), course)
        added = updated = 0
        seen: set[tuple[str, Any]] = set()
        for item in courses:
            key = (normalise_name(item.title), item.starts_on)
            if key in seen or not key[0]:
                continue
            seen.add(key)
            row = index.get(key)
            if row is None:
                row = Course(
                    title=item.title,
                    starts_on=item.starts_on,
                    ends_on=item.ends_on,
                    city=item.city,
                    venue=item.venue,
                    fee=item.fee,
                    currency=item.currency,
                    cme_credits=item.cme_credits,
                    seats=item.seats,
                    status=CourseStatus.extracted,
                    source_document_id=document_id,
                    source_page=item.page,
                    edited_fields=[],
                )
                session.add(row)
                index[key] = row
                added += 1
                continue
            edited = set(row.edited_fields or [])
            changed = False
            for name in COURSE_FIELDS:
                new = getattr(item, name)
                if name in edited or new is None:
                    continue
                if _values_differ(getattr(row, name), new):
                    setattr(row, name, new)
                    changed = True
            row.source_document_id = document_id
            row.source_page = item.page
            if changed:
                updated += 1
        session.flush()
        return added, updated


catalogue_service = CatalogueService()
