"""Shared steps of the catalogue tests: documents to cite, products and courses to merge."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from surgiai.catalogue.extraction import ExtractedCourse, ExtractedProduct
from surgiai.knowledge.models import Document, DocumentState
from surgiai.media.models import MediaFile


def add_document(session: Session, title: str = "Catalogue 2026", version: int = 1) -> int:
    media = MediaFile(
        sha256="0" * 64,
        mime_type="application/pdf",
        size=100,
        filename=f"{title}.pdf",
        storage_path=f"documents/{title}-{version}.pdf",
    )
    session.add(media)
    session.flush()
    document = Document(
        title=title,
        filename=f"{title}.pdf",
        media_file_id=media.id,
        size=100,
        version=version,
        state=DocumentState.ready,
    )
    session.add(document)
    session.flush()
    return document.id


def product(
    name: str,
    code: str | None = None,
    price: str | None = None,
    *,
    pack_size: str | None = None,
    category: str | None = None,
    page: int = 1,
) -> ExtractedProduct:
    return ExtractedProduct(
        name=name,
        code=code,
        pack_size=pack_size,
        price=None if price is None else Decimal(price),
        currency="INR",
        category=category,
        page=page,
    )


def course(
    title: str,
    starts_on: date | None = None,
    *,
    fee: str | None = None,
    city: str | None = None,
    page: int = 1,
) -> ExtractedCourse:
    return ExtractedCourse(
        title=title,
        starts_on=starts_on,
        ends_on=starts_on,
        city=city,
        venue=None,
        fee=None if fee is None else Decimal(fee),
        currency="INR",
        cme_credits=None,
        seats=None,
        page=page,
    )
