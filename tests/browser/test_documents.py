"""The Documents page in headless Chromium against `surgiai run --demo`: an admin uploads a
catalogue and sees it read, with what was found; a file that cannot be read shows why."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from surgiai.knowledge.pdf import ENCRYPTED
from tests.browser.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.browser.pages import Dashboard, DocumentsPage
from tests.knowledge.pdfs import PRODUCTS, catalogue_pdf, encrypted_pdf

OpenDashboard = Callable[[], Dashboard]


class TestDocuments:
    def test_an_admin_uploads_a_catalogue_and_a_locked_pdf(
        self, open_dashboard: OpenDashboard
    ) -> None:
        owner = open_dashboard()
        owner.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
        owner.goto("/")
        owner.go_to_section("Documents")
        documents = DocumentsPage(owner)
        expect(documents.heading).to_be_visible()

        documents.upload("browser_catalogue_2026.pdf", catalogue_pdf(extra_text_pages=5))
        expect(
            owner.page.get_by_text("“browser catalogue 2026” (v1) is being read.")
        ).to_be_visible()
        row = documents.row("browser catalogue 2026")
        expect(row.get_by_test_id("document-state")).to_have_text("Ready")
        expect(row.get_by_test_id("document-counts")).to_have_text(
            f"8 pages · {len(PRODUCTS)} products · 0 courses"
        )
        owner.screenshot("documents")

        preview = documents.view_pages("browser catalogue 2026")
        preview.get_by_role("button", name="2", exact=True).click()
        expect(preview.get_by_role("cell", name="TR-0500", exact=True)).to_be_visible()
        owner.page.keyboard.press("Escape")
        expect(preview).to_be_hidden()

        documents.upload("locked.pdf", encrypted_pdf(), title="Locked price list")
        locked = documents.row("Locked price list")
        expect(locked.get_by_test_id("document-state")).to_have_text("Failed")
        expect(locked.get_by_test_id("failure-reason")).to_have_text(ENCRYPTED)
        # The catalogue still answers.
        expect(row.get_by_test_id("document-state")).to_have_text("Ready")

        documents.delete("Locked price list", 1)
        expect(locked).to_have_count(0)
