"""The catalogue: products and CME courses, extracted from the company's documents or entered
and imported by admins. What an admin edited wins over a later re-extraction (`edited_fields`)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from surgiai.db.base import Base
from surgiai.kit.time import utcnow

SINGLE_ROW_ID = 1
# Money as exact decimals: ₹ 1,25,000.50 must not become 125000.49999.
Money = Numeric(14, 2)


class Product(Base):
    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The company's product code ("LT-5100"); unique where given, folded to upper case.
    code: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    # As the catalogue writes it: "Box of 10", "12 pcs".
    pack_size: Mapped[str | None] = mapped_column(String(100), default=None)
    price: Mapped[Decimal | None] = mapped_column(Money, default=None)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    category: Mapped[str | None] = mapped_column(String(100), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    available: Mapped[bool] = mapped_column(default=True)
    source_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("document.id", ondelete="SET NULL"), default=None, index=True
    )
    source_page: Mapped[int | None] = mapped_column(default=None)
    # Fields an admin set by hand: a re-extraction leaves them as the admin left them.
    edited_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CourseStatus(enum.StrEnum):
    # Found in a brochure; not offered to doctors until an admin confirms it.
    extracted = "extracted"
    confirmed = "confirmed"
    cancelled = "cancelled"


class Course(Base):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date | None] = mapped_column(default=None)
    ends_on: Mapped[date | None] = mapped_column(default=None)
    city: Mapped[str | None] = mapped_column(String(100), default=None)
    venue: Mapped[str | None] = mapped_column(String(200), default=None)
    fee: Mapped[Decimal | None] = mapped_column(Money, default=None)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    cme_credits: Mapped[Decimal | None] = mapped_column(Numeric(5, 1), default=None)
    seats: Mapped[int | None] = mapped_column(default=None)
    status: Mapped[CourseStatus] = mapped_column(
        Enum(CourseStatus, native_enum=False, length=16), default=CourseStatus.extracted
    )
    source_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("document.id", ondelete="SET NULL"), default=None, index=True
    )
    source_page: Mapped[int | None] = mapped_column(default=None)
    edited_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KnowledgeRevision(Base):
    """One row, bumped in the transaction of every change to products, courses, documents or
    FAQs: a process knows its in-memory index of them is stale with one indexed read. Here, in
    the lowest of those domains, so that each of them can bump it."""

    __tablename__ = "knowledge_revision"
    __table_args__ = (CheckConstraint(f"id = {SINGLE_ROW_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=SINGLE_ROW_ID)
    revision: Mapped[int] = mapped_column(default=0)
