"""What the Smart Reply agent answers from, as plain immutable values: the catalogue's products,
the confirmed courses, the approved FAQs and the passages of ready documents. Agents never read
the database: a context provider loads this once per knowledge revision and hands it over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class ProductFact:
    id: int
    name: str
    code: str | None
    pack_size: str | None
    price: Decimal | None
    currency: str
    category: str | None
    available: bool
    # "Catalogue 2026, p. 3"; None for a product an admin entered by hand.
    citation: str | None


@dataclass(frozen=True)
class CourseFact:
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
    citation: str | None


@dataclass(frozen=True)
class FaqFact:
    id: int
    question: str
    phrasings: tuple[str, ...]
    answer: str
    citation: str | None


@dataclass(frozen=True)
class Passage:
    chunk_id: int
    document_id: int
    document_title: str
    page: int
    # "text" or "table"
    kind: str
    text: str

    @property
    def citation(self) -> str:
        return f"{self.document_title}, p. {self.page}"


@dataclass(frozen=True)
class KnowledgeSnapshot:
    revision: int
    products: tuple[ProductFact, ...] = ()
    # Confirmed courses only: an extracted one waits for an admin.
    courses: tuple[CourseFact, ...] = ()
    # Approved entries only.
    faqs: tuple[FaqFact, ...] = ()
    # From documents in state `ready` only.
    passages: tuple[Passage, ...] = ()
