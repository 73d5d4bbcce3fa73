"""Merging a document's extraction into the catalogue: matching, admins' edits, retirement."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from surgiai.catalogue.models import Course, CourseStatus, Product
from surgiai.catalogue.revision import current_revision
from surgiai.catalogue.service import ExtractionResult, catalogue_service
from surgiai.db.engine import session_scope
from surgiai.runtime import Runtime
from tests.catalogue.helpers import add_document, course, product


def products_by_code(runtime: Runtime) -> dict[str | None, Product]:
    with session_scope(runtime.session_factory) as session:
        rows = session.scalars(select(Product)).all()
        session.expunge_all()
        return {row.code: row for row in rows}


class TestApplyExtraction:
    def test_new_products_and_courses_are_added_with_their_source(self, runtime: Runtime) -> None:
        with session_scope(runtime.session_factory) as session:
            document_id = add_document(session)
            before = current_revision(session)
            result = catalogue_service.apply_extraction(
                session,
                document_id=document_id,
                replaced_document_id=None,
                products=[product("Vicryl 2-0", "LT-5100", "2450", page=3)],
                courses=[course("Laparoscopy Workshop", date(2027, 1, 12), fee="15000")],
            )
            assert result == ExtractionResult(products_added=1, courses_added=1)
            assert current_revision(session) == before + 1
            row = session.scalars(select(Product)).one()
            assert (row.source_document_id, row.source_page) == (document_id, 3)
            assert row.price == Decimal("2450.00")
            assert row.available
            assert session.scalars(select(Course)).one().status is CourseStatus.extracted

    def test_an_admins_edit_wins_over_a_later_extraction(self, runtime: Runtime) -> None:
        with session_scope(runtime.session_factory) as session:
            first = add_document(session)
            catalogue_service.apply_extraction(
                session,
                document_id=first,
                replaced_document_id=None,
                products=[product("Vicryl 2-0", "LT-5100", "2450", pack_size="Box of 12")],
                courses=[],
            )
            row = session.scalars(select(Product)).one()
            row.price = Decimal("2000")
            row.edited_fields = ["price"]
        with session_scope(runtime.session_factory) as session:
            second = add_document(session, version=2)
            result = catalogue_service.apply_extraction(
                session,
                document_id=second,
                replaced_document_id=first,
                products=[product("Vicryl 2-0", "LT-5100", "2600", pack_size="Box of 24")],
                courses=[],
            )
            assert result.products_updated == 1
            assert result.products_retired == 0
        row = products_by_code(runtime)["LT-5100"]
        assert row.price == Decimal("2000.00")  # the admin's
        assert row.pack_size == "Box of 24"  # the document's

    def test_products_missing_from_the_new_version_are_retired_not_deleted(
        self, runtime: Runtime
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            first = add_document(session)
            catalogue_service.apply_extraction(
                session,
                document_id=first,
                replaced_document_id=None,
                products=[product("Vicryl", "A1", "10"), product("Prolene", "A2", "20")],
                courses=[],
            )
            second = add_document(session, version=2)
            result = catalogue_service.apply_extraction(
                session,
                document_id=second,
                replaced_document_id=first,
                products=[product("Vicryl", "A1", "10"), product("Monocryl", "A3", "30")],
                courses=[],
            )
            assert result == ExtractionResult(products_added=1, products_retired=1)
        rows = products_by_code(runtime)
        assert rows["A2"].available is False
        assert rows["A1"].available and rows["A3"].available
        assert rows["A1"].source_document_id == second

    def test_a_product_is_matched_by_name_when_it_has_no_code(self, runtime: Runtime) -> None:
        with session_scope(runtime.session_factory) as session:
            document_id = add_document(session)
            session.add(Product(name="Harmonic  Scalpel", price=Decimal("100")))
            session.flush()
            result = catalogue_service.apply_extraction(
                session,
                document_id=document_id,
                replaced_document_id=None,
                products=[product("harmonic scalpel", "HS-1", "120")],
                courses=[],
            )
            assert result.products_added == 0 and result.products_updated == 1
            row = session.scalars(select(Product)).one()
            assert (row.code, row.price) == ("HS-1", Decimal("120.00"))

    def test_the_same_extraction_twice_changes_nothing(self, runtime: Runtime) -> None:
        items = [product("Vicryl", "A1", "10"), product("Prolene", None, "20")]
        courses = [course("Hernia Masterclass", date(2027, 3, 1), city="Pune")]
        with session_scope(runtime.session_factory) as session:
            document_id = add_document(session)
            catalogue_service.apply_extraction(
                session,
                document_id=document_id,
                replaced_document_id=None,
                products=items,
                courses=courses,
            )
            again = catalogue_service.apply_extraction(
                session,
                document_id=document_id,
                replaced_document_id=None,
                products=items,
                courses=courses,
            )
            assert again == ExtractionResult()
            assert len(session.scalars(select(Product)).all()) == 2

    def test_a_confirmed_course_keeps_its_status_and_edited_fields(self, runtime: Runtime) -> None:
        with session_scope(runtime.session_factory) as session:
            document_id = add_document(session)
            session.add(
                Course(
                    title="Hernia Masterclass",
                    starts_on=date(2027, 3, 1),
                    city="Mumbai",
                    status=CourseStatus.confirmed,
                    edited_fields=["city"],
                )
            )
            session.flush()
            result = catalogue_service.apply_extraction(
                session,
                document_id=document_id,
                replaced_document_id=None,
                products=[],
                courses=[course("Hernia masterclass", date(2027, 3, 1), fee="9000", city="Pune")],
            )
            assert result == ExtractionResult(courses_updated=1)
            row = session.scalars(select(Course)).one()
            assert (row.status, row.city, row.fee) == (
                CourseStatus.confirmed,
                "Mumbai",
                Decimal("9000.00"),
            )

    def test_a_document_that_says_out_of_stock_makes_the_product_unavailable_and_back(
        self, runtime: Runtime
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            document_id = add_document(session)
            listed = product("Disposable Trocar 5 mm", "TR-5", "2450")
            catalogue_service.apply_extraction(
                session,
                document_id=document_id,
                replaced_document_id=None,
                products=[replace(listed, available=False)],
                courses=[],
            )
        assert products_by_code(runtime)["TR-5"].available is False
        with session_scope(runtime.session_factory) as session:
            result = catalogue_service.apply_extraction(
                session,
                document_id=document_id,
                replaced_document_id=None,
                products=[replace(listed, available=True)],
                courses=[],
            )
            assert result == ExtractionResult(products_updated=1)
        assert products_by_code(runtime)["TR-5"].available is True
