"""The demo's catalogue: a fictional Indian surgical supplier's products, CME courses and approved
FAQ answers (`surgiai/demo_data/`), so that `surgiai run --demo` answers its simulated doctors'
questions from the first minute. Read through the same header mapping as an admin's CSV import;
seeded only into an empty catalogue, never over an admin's."""

from __future__ import annotations

import csv
import json
from importlib import resources

import structlog
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from surgiai.catalogue.extraction import courses_from_table, products_from_table
from surgiai.catalogue.models import Course, CourseStatus, Product
from surgiai.catalogue.revision import bump_revision
from surgiai.knowledge.facts import stated_facts
from surgiai.knowledge.models import FaqEntry, FaqStatus

log = structlog.get_logger(__name__)

DEMO_CITATION = "Demo price list 2026"


def _rows(name: str) -> list[list[str | None]]:
    text = resources.files("surgiai").joinpath("demo_data", name).read_text("utf-8")
    return [list(row) for row in csv.reader(text.splitlines())]


def seed_catalogue(session: Session) -> bool:
    """Products, courses and FAQs for the demo; False (nothing done) when any exist."""
    if session.scalar(select(exists().where(Product.id.is_not(None)))):
        return False
    products = products_from_table(_rows("products.csv"), page=1)
    courses = courses_from_table(_rows("courses.csv"), page=1)
    for product in products:
        session.add(
            Product(
                name=product.name,
                code=product.code,
                pack_size=product.pack_size,
                price=product.price,
                currency=product.currency,
                category=product.category,
            )
        )
    for course in courses:
        session.add(
            Course(
                title=course.title,
                starts_on=course.starts_on,
                ends_on=course.ends_on,
                city=course.city,
                venue=course.venue,
                fee=course.fee,
                currency=course.currency,
                cme_credits=course.cme_credits,
                seats=course.seats,
                status=CourseStatus.confirmed,
            )
        )
    faqs = json.loads(
        resources.files("surgiai").joinpath("demo_data", "faqs.json").read_text("utf-8")
    )
    for faq in faqs:
        session.add(
            FaqEntry(
                question=faq["question"],
                phrasings=faq["phrasings"],
                answer=faq["answer"],
                citation=DEMO_CITATION,
                status=FaqStatus.approved,
                facts=list(stated_facts(faq["answer"])),
            )
        )
    session.flush()
    bump_revision(session)
    log.info("demo.catalogue", products=len(products), courses=len(courses), faqs=len(faqs))
    return True
