"""The catalogue's products and courses: applying what a document's extraction found, and what
admins create, change, import and delete.

An admin's change wins: the fields they set are listed in the row's `edited_fields`, and a
later extraction leaves those as the admin left them. Every change bumps the knowledge revision
in its transaction, so every process's answers see it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import structlog
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surgiai.audit.service import audit_service
from surgiai.auth.models import User
from surgiai.catalogue.extraction import (
    HEADER_SEARCH_ROWS,
    ExtractedCourse,
    ExtractedProduct,
    normalise_code,
    normalise_name,
    read_product_rows,
)
from surgiai.catalogue.importing import read_table_file
from surgiai.catalogue.models import Course, CourseStatus, Product
from surgiai.catalogue.repository import CatalogueRepository
from surgiai.catalogue.revision import bump_revision
from surgiai.catalogue.schemas import (
    CourseCreate,
    CoursePage,
    CourseRead,
    CourseUpdate,
    ImportRejection,
    ImportReport,
    ProductCreate,
    ProductPage,
    ProductRead,
    ProductUpdate,
    SourceRead,
)
from surgiai.errors import BadRequest, Conflict, NotFound, Unprocessable

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


def encode_cursor(key: str | date, row_id: int) -> str:
    value = key.isoformat() if isinstance(key, date) else key
    raw = json.dumps([value, row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key, row_id = json.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(key, str) or not isinstance(row_id, int):
            raise ValueError("not a cursor")
        return key, row_id
    except (ValueError, TypeError, binascii.Error) as error:
        raise BadRequest("The cursor is not one this API returned.") from error


def _audit_value(value: Any) -> Any:
    if isinstance(value, Decimal | date):
        return str(value)
    if isinstance(value, CourseStatus):
        return value.value
    return value


def _changes(row: Any, body: BaseModel, fields: Sequence[str]) -> dict[str, tuple[Any, Any]]:
    """The fields the request sets to a new value: {field: (old, new)}."""
    changes: dict[str, tuple[Any, Any]] = {}
    for name in body.model_fields_set:
        if name not in fields:
            continue
        new = getattr(body, name)
        old = getattr(row, name)
        if _values_differ(old, new):
            changes[name] = (old, new)
    return changes


def _merge_edited(existing: Sequence[str] | None, names: Sequence[str]) -> list[str]:
    merged = list(existing or [])
    merged.extend(name for name in names if name not in merged)
    return merged


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
        # The rows this extraction lists, by identity (new rows have no id until the flush).
        touched: dict[int, Product] = {}
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
                    available=item.available is not False,
                    source_document_id=document_id,
                    source_page=item.page,
                    edited_fields=[],
                )
                session.add(row)
                added += 1
                if row.code:
                    by_code[row.code] = row
                by_name.setdefault(normalise_name(row.name), row)
                touched[id(row)] = row
                continue
            if id(row) in touched:
                continue
            touched[id(row)] = row
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
            # Listed again: available, unless the document says it is out of stock.
            available = item.available is not False
            if row.available != available and "available" not in edited:
                row.available = available
                changed = True
            row.source_document_id = document_id
            row.source_page = item.page
            if changed:
                updated += 1
        session.flush()
        return added, updated, {row.id for row in touched.values()}

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

    # --- Products -----------------------------------------------------------------------------

    def product_page(
        self,
        session: Session,
        *,
        limit: int,
        cursor: str | None,
        q: str | None = None,
        available: bool | None = None,
    ) -> ProductPage:
        """By name, case-insensitively; `q` searches name, code and category."""
        after = _decode_cursor(cursor) if cursor else None
        rows = CatalogueRepository(session).product_page(
            limit=limit + 1, after=after, q=(q or "").strip() or None, available=available
        )
        page = rows[:limit]
        next_cursor = encode_cursor(page[-1][1], page[-1][0].id) if len(rows) > limit else None
        return ProductPage(
            items=self.product_reads(session, [row for row, _ in page]), next_cursor=next_cursor
        )

    def product_reads(self, session: Session, rows: Sequence[Product]) -> list[ProductRead]:
        titles = CatalogueRepository(session).document_titles(r.source_document_id for r in rows)
        return [_product_read(row, titles) for row in rows]

    def product_read(self, session: Session, row: Product) -> ProductRead:
        return self.product_reads(session, [row])[0]

    def get_product(self, session: Session, product_id: int) -> Product:
        row = session.get(Product, product_id)
        if row is None:
            raise NotFound(f"No product with id {product_id}.")
        return row

    def create_product(self, session: Session, user: User, body: ProductCreate) -> Product:
        values = body.model_dump()
        values["code"] = self._free_code(session, body.code, None)
        row = Product(**values)
        # What an admin enters is theirs: a document's extraction will not overwrite it.
        row.edited_fields = [
            name for name in PRODUCT_FIELDS if values.get(name) is not None and name != "currency"
        ]
        session.add(row)
        self._flush_unique(session, values["code"])
        self._audit(session, user, "product.created", "product", row.id, {"name": row.name})
        bump_revision(session)
        return row

    def update_product(
        self, session: Session, user: User, product_id: int, body: ProductUpdate
    ) -> Product:
        row = self.get_product(session, product_id)
        if "name" in body.model_fields_set and body.name is None:
            raise Unprocessable("A product needs a name.")
        if "currency" in body.model_fields_set and body.currency is None:
            raise Unprocessable("A product needs a currency.")
        if body.code is not None:
            body.code = self._free_code(session, body.code, row.id)
        changes = _changes(row, body, (*PRODUCT_FIELDS, "available"))
        if not changes:
            return row
        for name, (_, new) in changes.items():
            setattr(row, name, new)
        row.edited_fields = _merge_edited(row.edited_fields, list(changes))
        self._flush_unique(session, row.code)
        self._audit(session, user, "product.updated", "product", row.id, _audit_changes(changes))
        bump_revision(session)
        return row

    def delete_product(self, session: Session, user: User, product_id: int) -> None:
        row = self.get_product(session, product_id)
        details = {"name": row.name, "code": row.code}
        session.delete(row)
        session.flush()
        self._audit(session, user, "product.deleted", "product", product_id, details)
        bump_revision(session)

    def _free_code(self, session: Session, code: str | None, product_id: int | None) -> str | None:
        """The code as stored (upper case); 409 when another product has it."""
        if code is None:
            return None
        normalised = normalise_code(code)
        if normalised is None:
            raise Unprocessable(f"{code!r} is not a product code.")
        other = CatalogueRepository(session).product_by_code(normalised)
        if other is not None and other.id != product_id:
            raise Conflict(f"Product {other.id} ({other.name}) already has the code {normalised}.")
        return normalised

    def _flush_unique(self, session: Session, code: str | None) -> None:
        try:
            session.flush()
        except IntegrityError as error:  # another request took the code meanwhile
            raise Conflict(f"Another product already has the code {code}.") from error

    # --- Import -------------------------------------------------------------------------------

    def import_products(
        self, session: Session, user: User, *, filename: str | None, data: bytes
    ) -> ImportReport:
        """Add and update products from a CSV or XLSX file, its columns named as a document's
        tables name them. Valid rows are kept and each rejected row is reported with its row
        number and reason. Products match by code, else by name; an empty cell changes
        nothing, and the same file again changes nothing. What a file sets counts as set by
        an admin (`edited_fields`): a document's extraction will not overwrite it."""
        sheet = read_table_file(filename, data)
        numbers = [number for number, _ in sheet.rows]
        reading = read_product_rows([cells for _, cells in sheet.rows])
        if reading.header_row is None:
            raise Unprocessable(
                "No header row naming the product and its code, price or pack size was found "
                f"in the first {HEADER_SEARCH_ROWS} rows ({sheet.source}). Name the columns, "
                "for example: Product, Code, Pack Size, Price."
            )
        columns = set(reading.columns)
        if "description" in columns and "name" not in columns:
            columns.add("name")
        present = {f for f in PRODUCT_FIELDS if f in columns or f == "currency"}
        if "price" not in columns:
            present.discard("currency")
        repository = CatalogueRepository(session)
        existing = list(repository.all_products())
        by_code = {known.code: known for known in existing if known.code}
        by_name: dict[str, Product] = {}
        for known in existing:
            by_name.setdefault(normalise_name(known.name), known)
        rejected: list[ImportRejection] = []
        seen: dict[str, int] = {}
        added = updated = unchanged = 0
        for item in reading.rows:
            number = numbers[item.row_number - 1]
            if item.product is None or item.problems:
                reason = "; ".join(item.problems) or "no product name"
                rejected.append(ImportRejection(row=number, reason=reason))
                continue
            product = item.product
            key = f"code {product.code}" if product.code else f"name {product.name!r}"
            if key in seen:
                rejected.append(
                    ImportRejection(row=number, reason=f"{key} is already on row {seen[key]}")
                )
                continue
            seen[key] = number
            row: Product | None = by_code.get(product.code) if product.code else None
            if row is None:
                candidate = by_name.get(normalise_name(product.name))
                if candidate is not None and not (
                    product.code and candidate.code and candidate.code != product.code
                ):
                    row = candidate
            if row is None:
                row = Product(
                    name=product.name,
                    code=product.code,
                    pack_size=product.pack_size,
                    price=product.price,
                    currency=product.currency,
                    category=product.category,
                    description=product.description,
                    available=True,
                    edited_fields=[
                        f for f in PRODUCT_FIELDS if f != "currency" and getattr(product, f)
                    ],
                )
                session.add(row)
                if row.code:
                    by_code[row.code] = row
                by_name.setdefault(normalise_name(row.name), row)
                added += 1
                continue
            if product.code and row.code != product.code and product.code in by_code:
                other = by_code[product.code]
                rejected.append(
                    ImportRejection(
                        row=number,
                        reason=f"code {product.code} belongs to another product ({other.name})",
                    )
                )
                continue
            changed: list[str] = []
            for name in PRODUCT_FIELDS:
                new = getattr(product, name)
                if name not in present or new is None:
                    continue
                if _values_differ(getattr(row, name), new):
                    if name == "code":
                        by_code.pop(row.code or "", None)
                        by_code[new] = row
                    setattr(row, name, new)
                    changed.append(name)
            if changed:
                row.edited_fields = _merge_edited(
                    row.edited_fields, [f for f in changed if f != "currency"]
                )
                updated += 1
            else:
                unchanged += 1
        self._flush_unique(session, None)
        report = ImportReport(
            rows=len(reading.rows),
            added=added,
            updated=updated,
            unchanged=unchanged,
            rejected=rejected,
        )
        if added or updated:
            bump_revision(session)
        audit_service.record(
            session,
            "products.imported",
            actor_user_id=user.id,
            actor_email=user.email,
            target_type="product",
            details={
                "filename": (filename or "")[:255],
                "source": sheet.source,
                "added": added,
                "updated": updated,
                "rejected": len(rejected),
            },
        )
        log.info("products.imported", added=added, updated=updated, rejected=len(rejected))
        return report

    # --- Courses ------------------------------------------------------------------------------

    def course_page(
        self,
        session: Session,
        *,
        limit: int,
        cursor: str | None,
        q: str | None = None,
        status: CourseStatus | None = None,
    ) -> CoursePage:
        """By start date (undated last); `q` searches title, city and venue."""
        after = None
        if cursor:
            key, last_id = _decode_cursor(cursor)
            try:
                after = (date.fromisoformat(key), last_id)
            except ValueError as error:
                raise BadRequest("The cursor is not one this API returned.") from error
        rows = CatalogueRepository(session).course_page(
            limit=limit + 1, after=after, q=(q or "").strip() or None, status=status
        )
        page = rows[:limit]
        next_cursor = encode_cursor(page[-1][1], page[-1][0].id) if len(rows) > limit else None
        return CoursePage(
            items=self.course_reads(session, [row for row, _ in page]), next_cursor=next_cursor
        )

    def course_reads(self, session: Session, rows: Sequence[Course]) -> list[CourseRead]:
        titles = CatalogueRepository(session).document_titles(r.source_document_id for r in rows)
        return [_course_read(row, titles) for row in rows]

    def course_read(self, session: Session, row: Course) -> CourseRead:
        return self.course_reads(session, [row])[0]

    def get_course(self, session: Session, course_id: int) -> Course:
        row = session.get(Course, course_id)
        if row is None:
            raise NotFound(f"No course with id {course_id}.")
        return row

    def create_course(self, session: Session, user: User, body: CourseCreate) -> Course:
        values = body.model_dump()
        values["status"] = CourseStatus(body.status)
        row = Course(**values)
        row.edited_fields = [
            name for name in COURSE_FIELDS if values.get(name) is not None and name != "currency"
        ]
        session.add(row)
        session.flush()
        self._audit(session, user, "course.created", "course", row.id, {"title": row.title})
        bump_revision(session)
        return row

    def update_course(
        self, session: Session, user: User, course_id: int, body: CourseUpdate
    ) -> Course:
        row = self.get_course(session, course_id)
        for required in ("title", "currency", "status"):
            if required in body.model_fields_set and getattr(body, required) is None:
                raise Unprocessable(f"A course needs a {required}.")
        starts_on = body.starts_on if "starts_on" in body.model_fields_set else row.starts_on
        ends_on = body.ends_on if "ends_on" in body.model_fields_set else row.ends_on
        if starts_on is not None and ends_on is not None and ends_on < starts_on:
            raise Unprocessable("The course would end before it starts.")
        changes = _changes(row, body, COURSE_FIELDS)
        new_status = CourseStatus(body.status) if body.status is not None else row.status
        status_changed = new_status != row.status
        if not changes and not status_changed:
            return row
        for name, (_, new) in changes.items():
            setattr(row, name, new)
        row.edited_fields = _merge_edited(row.edited_fields, list(changes))
        details = _audit_changes(changes)
        if status_changed:
            details["status"] = [row.status.value, new_status.value]
            row.status = new_status
        session.flush()
        action = (
            "course.confirmed"
            if status_changed and new_status is CourseStatus.confirmed
            else "course.updated"
        )
        self._audit(session, user, action, "course", row.id, details)
        bump_revision(session)
        return row

    def delete_course(self, session: Session, user: User, course_id: int) -> None:
        row = self.get_course(session, course_id)
        details = {"title": row.title}
        session.delete(row)
        session.flush()
        self._audit(session, user, "course.deleted", "course", course_id, details)
        bump_revision(session)

    # --- Audit --------------------------------------------------------------------------------

    def _audit(
        self,
        session: Session,
        user: User,
        action: str,
        target_type: str,
        target_id: int,
        details: dict[str, Any],
    ) -> None:
        audit_service.record(
            session,
            action,
            actor_user_id=user.id,
            actor_email=user.email,
            target_type=target_type,
            target_id=target_id,
            details=details,
        )
        log.info(action, target_id=target_id, user_id=user.id)


def _audit_changes(changes: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    return {name: [_audit_value(old), _audit_value(new)] for name, (old, new) in changes.items()}


def _source(document_id: int | None, page: int | None, titles: dict[int, str]) -> SourceRead | None:
    if document_id is None:
        return None
    return SourceRead(document_id=document_id, title=titles.get(document_id), page=page)


def _product_read(row: Product, titles: dict[int, str]) -> ProductRead:
    return ProductRead(
        id=row.id,
        name=row.name,
        code=row.code,
        pack_size=row.pack_size,
        price=row.price,
        currency=row.currency,
        category=row.category,
        description=row.description,
        available=row.available,
        source=_source(row.source_document_id, row.source_page, titles),
        edited_fields=list(row.edited_fields or []),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _course_read(row: Course, titles: dict[int, str]) -> CourseRead:
    return CourseRead(
        id=row.id,
        title=row.title,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        city=row.city,
        venue=row.venue,
        fee=row.fee,
        currency=row.currency,
        cme_credits=row.cme_credits,
        seats=row.seats,
        status=row.status.value,
        source=_source(row.source_document_id, row.source_page, titles),
        edited_fields=list(row.edited_fields or []),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


catalogue_service = CatalogueService()
