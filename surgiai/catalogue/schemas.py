"""The catalogue's API shapes. Money travels as decimal strings ("2450.00"): exact, never a
float; requests may send a string or a number."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from surgiai.kit.schemas import JSON_NUMBER, Day, Flag, PartialUpdate

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Venue = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Currency = Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Za-z]{3}$")]
# Stored with two places: "2450" is returned as "2450.00".
Price = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2),
    AfterValidator(lambda value: value.quantize(Decimal("0.01"))),
]
Credits = Annotated[
    Decimal,
    Field(ge=0, max_digits=5, decimal_places=1),
    AfterValidator(lambda value: value.quantize(Decimal("0.1"))),
]
Seats = Annotated[int, Field(ge=0, le=100_000), JSON_NUMBER]
CourseStatusName = Literal["extracted", "confirmed", "cancelled"]


class SourceRead(BaseModel):
    """The document a row was read from: "Catalogue 2026, p. 3"."""

    document_id: int
    # None when the document is gone (deleted after the row was read).
    title: str | None
    page: int | None


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    code: str | None
    pack_size: str | None
    price: Decimal | None
    currency: str
    category: str | None
    description: str | None
    available: bool
    source: SourceRead | None
    # The fields an admin set by hand: a re-extraction leaves them as they are.
    edited_fields: list[str]
    created_at: datetime
    updated_at: datetime


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    code: Code | None = None
    pack_size: Short | None = None
    price: Price | None = None
    currency: Currency = "INR"
    category: Short | None = None
    description: Description | None = None
    available: Flag = True


class ProductUpdate(PartialUpdate):
    """The fields to change; a field sent as null is cleared (name, currency and availability
    excepted)."""

    clearable = frozenset({"code", "pack_size", "price", "category", "description"})

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    code: Code | None = None
    pack_size: Short | None = None
    price: Price | None = None
    currency: Currency | None = None
    category: Short | None = None
    description: Description | None = None
    available: Flag | None = None


class ProductPage(BaseModel):
    items: list[ProductRead]
    # Pass as `cursor` for the next page; null on the last page.
    next_cursor: str | None


class CourseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    starts_on: date | None
    ends_on: date | None
    city: str | None
    venue: str | None
    fee: Decimal | None
    currency: str
    cme_credits: Decimal | None
    seats: int | None
    # extracted: found in a document, not offered to doctors until an admin confirms it.
    status: CourseStatusName
    source: SourceRead | None
    edited_fields: list[str]
    created_at: datetime
    updated_at: datetime


def _check_dates(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise ValueError("ends_on is before starts_on")


class CourseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Name
    starts_on: Day | None = None
    ends_on: Day | None = None
    city: Short | None = None
    venue: Venue | None = None
    fee: Price | None = None
    currency: Currency = "INR"
    cme_credits: Credits | None = None
    seats: Seats | None = None
    # A course an admin enters is offered at once unless they say otherwise.
    status: CourseStatusName = "confirmed"

    @model_validator(mode="after")
    def dates_in_order(self) -> CourseCreate:
        _check_dates(self.starts_on, self.ends_on)
        return self


class CourseUpdate(PartialUpdate):
    """The fields to change; `status: "confirmed"` confirms an extracted course. Null clears
    a field (title, currency and status excepted)."""

    clearable = frozenset({"starts_on", "ends_on", "city", "venue", "fee", "cme_credits", "seats"})

    model_config = ConfigDict(extra="forbid")

    title: Name | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    city: Short | None = None
    venue: Venue | None = None
    fee: Price | None = None
    currency: Currency | None = None
    cme_credits: Credits | None = None
    seats: Seats | None = None
    status: CourseStatusName | None = None

    @model_validator(mode="after")
    def dates_in_order(self) -> CourseUpdate:
        _check_dates(self.starts_on, self.ends_on)
        return self


class CoursePage(BaseModel):
    items: list[CourseRead]
    next_cursor: str | None


class ImportRejection(BaseModel):
    # As a spreadsheet numbers it: the header is row 1 when it is the first row.
    row: int
    reason: str


class ImportReport(BaseModel):
    rows: int
    added: int
    updated: int
    unchanged: int
    rejected: list[ImportRejection]
