"""Documents end to end: upload, the reading task, versions and FAQ flags, failures that change
nothing, deletion, and a worker that dies mid-document."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from surgiai.catalogue.models import Course, Product
from surgiai.catalogue.revision import current_revision
from surgiai.db.engine import session_scope
from surgiai.kit.time import utcnow
from surgiai.knowledge import documents as documents_module
from surgiai.knowledge import tasks as knowledge_tasks
from surgiai.knowledge.documents import CRASHED, GENERIC_FAILURE, PROCESS_TASK
from surgiai.knowledge.models import Document, DocumentChunk, DocumentState, FaqEntry, FaqStatus
from surgiai.knowledge.pdf import DAMAGED, ENCRYPTED, NO_TEXT
from surgiai.runtime import Runtime, TaskContext
from tests.conftest import drain
from tests.knowledge.conftest import Headers, upload, upload_and_process
from tests.knowledge.pdfs import (
    PRODUCTS,
    SampleProduct,
    catalogue_pdf,
    course_brochure_pdf,
    encrypted_pdf,
    image_only_pdf,
    truncated_pdf,
)

CHEAPER_TROCAR = SampleProduct(
    "Disposable Trocar 5 mm", "TR-0500", "Box of 6", Decimal("2300"), "Laparoscopy"
)


def products(runtime: Runtime) -> dict[str, tuple[Decimal | None, int | None, bool]]:
    with session_scope(runtime.session_factory) as session:
        return {
            product.code or product.name: (
                product.price,
                product.source_document_id,
                product.available,
            )
            for product in session.scalars(select(Product))
        }


def chunk_pages(runtime: Runtime, document_id: int) -> list[tuple[int, str]]:
    with session_scope(runtime.session_factory) as session:
        return [
            (chunk.page, chunk.kind)
            for chunk in session.scalars(
                select(DocumentChunk)
                .where(DocumentChunk.document_id == document_id)
                .order_by(DocumentChunk.ordinal)
            )
        ]


def approved_faq(runtime: Runtime, *, facts: list[str], source: int | None) -> int:
    with session_scope(runtime.session_factory) as session:
        faq = FaqEntry(
            question="What is the price of the 5 mm trocar?",
            answer="The Disposable Trocar 5 mm costs ₹ 2,450 for a box of 6.",
            status=FaqStatus.approved,
            facts=facts,
            source_document_id=source,
            source_page=2,
        )
        session.add(faq)
        session.flush()
        return faq.id


def faq(runtime: Runtime, faq_id: int) -> FaqEntry:
    with session_scope(runtime.session_factory) as session:
        entry = session.get(FaqEntry, faq_id)
        assert entry is not None
        return entry


class TestProcessing:
    def test_a_catalogue_becomes_ready_with_its_passages_and_products(
        self, client: TestClient, runtime: Runtime, admin: Headers
    ) -> None:
        revision = current_revision_of(runtime)
        document = upload_and_process(client, runtime, admin, catalogue_pdf())
        assert document["state"] == "ready"
        assert document["title"] == "Catalogue 2026"
        assert document["version"] == 1
        assert (document["pages"], document["pages_done"]) == (3, 3)
        assert document["failure_reason"] is None
        summary = document["summary"]
        assert isinstance(summary, dict)
        assert summary["products"] == summary["products_added"] == len(PRODUCTS)
        assert summary["tables"] == 1
        assert summary["chunks"] == len(chunk_pages(runtime, document["id"]))
        assert {page for page, _ in chunk_pages(runtime, document["id"])} == {1, 2, 3}
        found = products(runtime)
        assert found["TR-0500"] == (Decimal("2450.00"), document["id"], True)
        assert len(found) == len(PRODUCTS)
        assert current_revision_of(runtime) > revision

    def test_courses_from_a_brochure(
        self, client: TestClient, runtime: Runtime, admin: Headers
    ) -> None:
        document = upload_and_process(client, runtime, admin, course_brochure_pdf())
        assert document["state"] == "ready"
        with session_scope(runtime.session_factory) as session:
            titles = sorted(course.title for course in session.scalars(select(Course)))
        assert titles == [
            "Advanced Hernia Repair",
            "Basic Laparoscopic Skills",
            "Stapling in GI Surgery",
        ]

    def test_twenty_pages_processed_in_under_five_seconds(
        self, client: TestClient, runtime: Runtime, admin: Headers
    ) -> None:
        response = upload(client, admin, catalogue_pdf(extra_text_pages=17))
        started = time.perf_counter()
        drain(runtime.queue)
        elapsed = time.perf_counter() - started
        document = client.get(f"/api/v1/documents/{response.json()['id']}", headers=admin).json()
        assert (document["state"], document["pages"]) == ("ready", 20)
        assert elapsed < 5, f"{elapsed:.2f} s"

    def test_processing_again_replaces_the_passages(
        self, client: TestClient, runtime: Runtime, admin: Headers
    ) -> None:
        document_id = upload(client, admin, catalogue_pdf()).json()["id"]
        # The first attempt's worker died after storing its passages but before the commit
        # was seen: a second attempt must not double them.
        drain(runtime.queue)
        before = chunk_pages(runtime, document_id)
        with session_scope(runtime.session_factory) as session:
            session.execute(
                update(Document)
                .where(Document.id == document_id)
                .values(state=DocumentState.processing)
            )
        run_task(runtime, document_id)
        assert chunk_pages(runtime, document_id) == before


def current_revision_of(runtime: Runtime) -> int:
    with session_scope(runtime.session_factory) as session:
        return current_revision(session)


def run_task(runtime: Runtime, document_id: int) -> None:
    with session_scope(runtime.session_factory) as session:
        knowledge_tasks.process_document(TaskContext(session, runtime), document_id)


class TestVersions:
    def test_a_new_version_replaces_the_old_and_flags_faqs_whose_facts_changed(
        self, client: TestClient, runtime: Runtime, admin: Headers
    ) -> None:
        first = upload_and_process(client, runtime, admin, catalogue_pdf())
        old_price = approved_faq(runtime, facts=["₹ 2,450", "Box of 6"], source=first["id"])
        still_true = approved_faq(runtime, facts=["Rs. 18,500"], source=first["id"])
        admins_own = approved_faq(runtime, facts=["2,450"], source=None)
        elsewhere = approved_faq(runtime, facts=["2,450"], source=None)
        with session_scope(runtime.session_factory) as session:
            other = session.get(FaqEntry, elsewhere)
            assert other is not None
            other.facts = ["99,999"]  # not in the catalogue: not this document's to check

        second = upload_and_process(
            client,
            runtime,
            admin,
            catalogue_pdf((CHEAPER_TROCAR, *PRODUCTS[1:])),
            filename="CATALOGUE 2026.pdf",
        )
        assert second["state"] == "ready"
        assert (second["version"], second["replaces_document_id"]) == (2, first["id"])
        assert second["summary"]["faqs_flagged"] == 2
        old = client.get(f"/api/v1/documents/{first['id']}", headers=admin).json()
        assert old["state"] == "superseded"

        flagged = faq(runtime, old_price)
        assert flagged.needs_review
        assert flagged.review_reason == "₹ 2,450 is no longer in Catalogue 2026 (v2)"
        assert flagged.source_document_id == second["id"]
        unchanged = faq(runtime, still_true)
        assert (unchanged.needs_review, unchanged.source_document_id) == (False, second["id"])
        assert faq(runtime, admins_own).needs_review
        assert not faq(runtime, elsewhere).needs_review
        assert products(runtime)["TR-0500"] == (Decimal("2300.00"), second["id"], True)

    def test_replacing_a_document_chosen_explicitly_keeps_its_title(
        self, client: TestClient, runtime: Runtime, admin: Headers
    ) -> None:
        first = upload_and_process(client, runtime, admin, catalogue_pdf())
        second = upload_and_process(
            client, runtime, admin, catalogue_pdf(), filename="scan_0042.pdf", replaces=first["id"]
        )
        assert (second["title"], second["version"]) == ("Catalogue 2026", 2)

    def test_another_title_is_another_document(
        self, client: TestClient, runtime: Runtime, admin: Headers
    ) -> None:
        upload_and_process(client, runtime, admin, catalogue_pdf())
        brochure = upload_and_process(
            client, runtime, admin, course_brochure_pdf(), filename="cme_courses_2026.pdf"
        )
        assert (brochure["title"], brochure["version"]) == ("cme courses 2026", 1)
        assert brochure["replaces_document_id"] is None

    @pytest.mark.parametrize(
        ("data", "reason"),
        [(encrypted_pdf(), ENCRYPTED), (truncated_pdf(), DAMAGED), (image_only_pdf(), NO_TEXT)],
        ids=["encrypted", "truncated", "scan"],
    )
    def test_a_failed_new_version_changes_nothing(
        self, client: TestClient, runtime: Runtime, admin: Headers, data: bytes, reason: str
    ) -> None:
        first = upload_and_process(client, runtime, admin, catalogue_pdf())
        faq_id = approved_faq(runtime, facts=["₹ 2,450"], source=first["id"])
        catalogue_before = products(runtime)
        chunks_before = chunk_pages(runtime, first["id"])
        revision = current_revision_of(runtime)

        failed = upload_and_process(client, runtime, admin, data)
        assert (failed["state"], failed["failure_reason"]) == ("failed", reason)
        assert failed["replaces_document_id"] == first["id"]
        old = client.get(f"/api/v1/documents/{first['id']}", headers=admin).json()
        assert old["state"] == "ready"
        assert products(runtime) == catalogue_before
        assert chunk_pages(runtime, first["id"]) == chunks_before
        assert chunk_pages(runtime, failed["id"]) == []
        assert not faq(runtime, faq_id).needs_review
        assert current_revision_of(runtime) == revision
        # The next good upload replaces the version that still answers.
        retried = upload_and_process(client, runtime, admin, catalogue_pdf())
        assert (retried["state"], retried["replaces_document_id"]) == ("ready", first["id"])
        assert retried["version"] == 3

    def test_a_version_still_being_read_cannot_be_replaced(
        self, client: TestClient, runtime: Runtime, admin: Headers
    ) -> None:
        assert upload(client, admin, catalogue_pdf()).status_code == 202
        response = upload(client, admin, catalogue_pdf())
        assert response.status_code == 409
        assert "still being read" in response.json()["detail"]


class TestFailures:
    def test_an_unexpected_error_fails_with_a_generic_reason(
        self, client: TestClient, runtime: Runtime, admin: Headers, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("bug")

        monkeypatch.setattr(documents_module, "chunk_document", broken)
        document = upload_and_process(client, runtime, admin, catalogue_pdf())
        assert (document["state"], document["failure_reason"]) == ("failed", GENERIC_FAILURE)
        assert products(runtime) == {}

    def test_deleted_while_being_read_stops_cleanly(
        self, client: TestClient, runtime: Runtime, admin: Headers, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        document_id = upload(client, admin, catalogue_pdf()).json()["id"]
        real_progress = documents_module.DocumentService.record_progress

        def delete_then_progress(self: object, session: object, *args: int) -> None:
            assert (
                client.delete(f"/api/v1/documents/{document_id}", headers=admin).status_code == 204
            )
            real_progress(self, session, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(
            documents_module.DocumentService, "record_progress", delete_then_progress
        )
        drain(runtime.queue)
        assert client.get(f"/api/v1/documents/{document_id}", headers=admin).status_code == 404
        assert products(runtime) == {}

    def test_a_dead_workers_document_is_read_again_then_given_up(
        self, client: TestClient, runtime: Runtime, admin: Headers
    ) -> None:
        document_id = upload(client, admin, catalogue_pdf()).json()["id"]
        # The job is lost (the embedded queue restarted) and each attempt's worker dies.
        runtime.queue.huey.flush()
        for attempt in range(documents_module.MAX_ATTEMPTS + 1):
            age = documents_module.STUCK_AFTER if attempt else documents_module.LOST_AFTER
            with session_scope(runtime.session_factory) as session:
                document = session.get(Document, document_id)
                assert document is not None
                document.created_at = utcnow() - age - timedelta(seconds=1)
                if "attempt_at" in document.summary:
                    document.summary = {
                        **document.summary,
                        "attempt_at": (utcnow() - age - timedelta(seconds=1)).isoformat(),
                    }
            with session_scope(runtime.session_factory) as session:
                assert knowledge_tasks.redrive_documents(TaskContext(session, runtime)) == 1
            assert queued(runtime) == [document_id]
            with session_scope(runtime.session_factory) as session:
                # The worker takes the job, starts, and dies before it finishes.
                started = documents_module.document_service.start(session, document_id)
            runtime.queue.huey.flush()
            if attempt < documents_module.MAX_ATTEMPTS:
                assert started is not None
        document_json = client.get(f"/api/v1/documents/{document_id}", headers=admin).json()
        assert document_json["state"] == "failed"
        assert document_json["failure_reason"] == CRASHED.format(attempts=3)


def queued(runtime: Runtime) -> list[int]:
    """The documents whose reading waits in the queue."""
    return [task.args[1] for task in runtime.queue.huey.pending() if task.name == PROCESS_TASK]
