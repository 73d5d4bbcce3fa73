"""The approval queue in headless Chromium against `surgiai run --demo`: a draft is decided with
the doctor's question, the thread and the agent's sources in view, an edit is sent as the
editor's, and WhatsApp formatting is rendered, never shown as raw markers."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import DemoServer
from tests.browser.pages import ApprovalsPage, Dashboard, InboxPage
from tests.browser.test_dashboard import wait_for
from tests.browser.test_inbox import a_doctor, conversation_of, doctor_writes
from tests.browser.test_inbox import owner as owner  # the fixture


def messages(server: DemoServer, headers: dict[str, str], conversation_id: int) -> Any:
    return server.http.get(
        f"/api/v1/conversations/{conversation_id}/messages", headers=headers
    ).json()["items"]


class TestApprovalsInContext:
    def test_a_draft_is_decided_with_its_question_thread_and_sources_and_an_edit_is_the_editors(
        self, owner: Dashboard, server: DemoServer, owner_headers: dict[str, str]
    ) -> None:
        wa_id, name = a_doctor()
        doctor_writes(server, wa_id, name, "Hello, do you sell trocars?")
        conversation = conversation_of(server, owner_headers, wa_id)
        # The AI answers the first message before the conversation goes to draft mode.
        wait_for(
            lambda: any(
                m["direction"] == "out" for m in messages(server, owner_headers, conversation["id"])
            )
        )
        server.http.patch(
            f"/api/v1/conversations/{conversation['id']}",
            json={"mode": "draft"},
            headers=owner_headers,
        ).raise_for_status()

        owner.goto("/approvals")
        expect(owner.page.get_by_role("heading", name="Approvals", level=1)).to_be_visible()
        doctor_writes(server, wa_id, name, "What is the price of the Disposable Trocar 10 mm?")
        draft = ApprovalsPage(owner).draft(name)
        expect(draft).to_be_visible(timeout=30_000)

        # What it answers and the thread before it, beside the draft.
        expect(draft.get_by_role("region", name="The doctor asked")).to_contain_text(
            "What is the price of the Disposable Trocar 10 mm?"
        )
        thread = draft.get_by_role("region", name="Recent messages")
        expect(thread).to_contain_text("Hello, do you sell trocars?")
        expect(
            thread.get_by_role("listitem").filter(has_text="answered by this draft")
        ).to_have_count(1)
        # Its WhatsApp formatting is rendered, not shown as markers.
        reply = draft.get_by_role("region", name="Draft reply")
        expect(reply.locator("em")).to_have_text("Source: our product list")
        expect(reply).not_to_contain_text("_Source")
        # The doctor's name is a link styled as the dashboard's links are.
        expect(draft.get_by_role("link", name=name)).to_have_class(re.compile("mantine-Anchor"))
        owner.screenshot("16-approvals-in-context")

        draft.get_by_role("button", name="Edit").click()
        dialog = owner.page.get_by_role("dialog", name=f"Edit the reply to {name}")
        expect(dialog.get_by_role("region", name="The doctor asked")).to_contain_text(
            "price of the Disposable Trocar 10 mm"
        )
        expect(dialog.get_by_role("region", name="Recent messages")).to_contain_text(
            "do you sell trocars"
        )
        reply_field = dialog.get_by_role("textbox", name="Reply")
        reply_field.fill("*₹4,500* per box of 10, Doctor.")
        expect(dialog.get_by_label("What the doctor will see").locator("strong")).to_have_text(
            "₹4,500"
        )
        owner.screenshot("17-approvals-edit-in-context")
        dialog.get_by_role("button", name="Approve and send").click()
        expect(dialog).to_be_hidden()
        expect(draft).to_be_hidden()

        owner.goto(f"/inbox/{conversation['id']}")
        inbox = InboxPage(owner)
        edited = inbox.bubble("per box of 10, Doctor.")
        expect(edited).to_contain_text(re.compile(r"Edited by .+ from AI · \w+ draft"))
        expect(edited).not_to_contain_text("approved by")
        expect(edited.locator("strong")).to_have_text("₹4,500")
        # The list's preview renders the formatting too.
        item = inbox.conversation(name)
        expect(item.locator("strong")).to_have_text("₹4,500")
        expect(item).not_to_contain_text("*₹4,500*")
