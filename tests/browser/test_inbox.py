"""The team inbox and the approval queue in headless Chromium against `surgiai run --demo`:
simulated doctors write through the simulator's control plane, and everything the test waits
for arrives over the WebSocket, without a reload."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from surgiai.demo import DEMO_NUMBERS
from tests.browser.conftest import OWNER_EMAIL, OWNER_PASSWORD, DemoServer
from tests.browser.pages import ApprovalsPage, Dashboard, InboxPage, field
from tests.browser.test_campaigns import audience
from tests.browser.test_dashboard import create_user, wait_for

OpenDashboard = Callable[[], Dashboard]
SALES_PNID = DEMO_NUMBERS[0].phone_number_id


def a_doctor() -> tuple[str, str]:
    """A doctor nobody has heard from yet: a fresh number and name."""
    n = time.monotonic_ns() % 10_000_000
    return f"9198{n:07d}0", f"Dr. Live {n}"


def doctor_writes(server: DemoServer, wa_id: str, name: str, text: str) -> None:
    server.http.post(
        "/simulator/control/inbound",
        json={
            "phone_number_id": SALES_PNID,
            "from": wa_id,
            "name": name,
            "type": "text",
            "text": {"body": text},
        },
    ).raise_for_status()


def conversation_of(server: DemoServer, headers: dict[str, str], wa_id: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        page = server.http.get("/api/v1/conversations", params={"q": wa_id}, headers=headers)
        items: list[dict[str, Any]] = page.json()["items"]
        return next((c for c in items if c["doctor"]["wa_id"] == wa_id), None)

    return wait_for(found)


@pytest.fixture
def owner(open_dashboard: OpenDashboard) -> Dashboard:
    dashboard = open_dashboard()
    dashboard.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    return dashboard


class TestInbox:
    def test_a_doctors_message_arrives_live_and_an_owner_takes_over_and_answers(
        self, owner: Dashboard, server: DemoServer
    ) -> None:
        owner.goto("/inbox")
        inbox = InboxPage(owner)
        # A new demo may have no conversation yet: the first arrives with the doctor below.
        expect(inbox.loaded).to_be_visible()
        wa_id, name = a_doctor()

        doctor_writes(server, wa_id, name, "Price of the 5 mm trocar?")
        # No reload: the conversation comes in over the WebSocket.
        item = inbox.conversation(name)
        expect(item).to_be_visible()
        item.click()
        expect(owner.page).to_have_url(re.compile(r"/inbox/\d+$"))
        expect(inbox.bubble("Price of the 5 mm trocar?")).to_contain_text("Doctor")

        owner.page.get_by_role("button", name="Take over").click()
        expect(inbox.mode("Human")).to_be_visible()
        expect(owner.page.get_by_role("button", name=re.compile(r"^Release"))).to_be_visible()

        inbox.composer.fill("*₹4,500* per box of 10")
        owner.page.get_by_role("button", name="Preview and send").click()
        dialog = inbox.preview_dialog
        expect(dialog).to_contain_text("24 h window open")
        rendered = dialog.get_by_label("What the doctor will see")
        expect(rendered.locator("strong")).to_have_text("₹4,500")
        owner.screenshot("10-inbox-preview")
        dialog.get_by_role("button", name="Send", exact=True).click()
        expect(dialog).to_be_hidden()
        expect(inbox.composer).to_have_value("")

        answer = inbox.bubble("per box of 10")
        expect(answer).to_contain_text("Admin · ")
        # The simulated doctor reads it: sent, delivered, then read, all live.
        expect(inbox.tick("per box of 10", "Read")).to_be_visible(timeout=40_000)
        owner.screenshot("11-inbox-thread-read")

        owner.page.get_by_role("button", name="Notes").click()
        notes = owner.page.get_by_role("dialog", name="Internal notes")
        field(notes, "New note").fill("Wants a quote for 20 boxes.")
        notes.get_by_role("button", name="Add note").click()
        expect(notes.get_by_role("listitem").filter(has_text="20 boxes")).to_be_visible()
        owner.page.keyboard.press("Escape")
        expect(notes).to_be_hidden()

        owner.page.get_by_role("button", name=re.compile(r"^Release")).click()
        expect(owner.page.get_by_role("button", name="Take over")).to_be_visible()

    def test_a_viewer_reads_the_inbox_but_cannot_send(
        self,
        open_dashboard: OpenDashboard,
        server: DemoServer,
        owner_headers: dict[str, str],
    ) -> None:
        wa_id, name = a_doctor()
        doctor_writes(server, wa_id, name, "Is the CME course on Saturday?")
        conversation = conversation_of(server, owner_headers, wa_id)
        email, password = create_user(server, owner_headers, "viewer")
        viewer = open_dashboard()
        viewer.sign_in_via_api(email, password)

        viewer.goto(f"/inbox/{conversation['id']}")
        inbox = InboxPage(viewer)
        expect(inbox.bubble("CME course on Saturday")).to_be_visible()
        expect(viewer.page.get_by_text("your role cannot send messages")).to_be_visible()
        expect(inbox.composer).to_have_count(0)
        expect(viewer.page.get_by_role("button", name="Take over")).to_have_count(0)
        expect(viewer.page.get_by_role("button", name="Preview and send")).to_have_count(0)
        viewer.screenshot("12-inbox-as-viewer")

    def test_a_doctor_without_a_phone_number_is_shown_by_username_and_answered(
        self, owner: Dashboard, server: DemoServer
    ) -> None:
        """WhatsApp usernames: the simulator's doctor shares no phone; the inbox names them by
        their handle, and the reply reaches them by their WhatsApp user id."""
        wa_id, _ = a_doctor()
        handle = f"dr.live.{wa_id[-6:]}"
        server.http.put(
            f"/simulator/control/users/{wa_id}", json={"username": handle, "phone_shared": False}
        ).raise_for_status()
        owner.goto("/inbox")
        inbox = InboxPage(owner)
        expect(inbox.loaded).to_be_visible()
        name = f"Dr. Kavya {wa_id[-6:]}"
        doctor_writes(server, wa_id, name, "Laparoscopic suturing course ki fees?")

        item = inbox.conversation(name)
        expect(item).to_contain_text(f"@{handle}")
        item.click()
        expect(owner.page.get_by_role("heading", name=name)).to_be_visible()
        expect(owner.page.get_by_text(f"@{handle} (no phone number shared)")).to_be_visible()
        owner.page.get_by_role("button", name="Take over").click()
        inbox.composer.fill("Rs 12,000 for the two days, Doctor.")
        owner.page.get_by_role("button", name="Preview and send").click()
        dialog = inbox.preview_dialog
        expect(dialog).to_contain_text("To WhatsApp user ")
        dialog.get_by_role("button", name="Send", exact=True).click()
        expect(inbox.tick("Rs 12,000", "Read")).to_be_visible(timeout=40_000)
        owner.screenshot("13-inbox-username-doctor")
        received = server.http.get("/simulator/control/received", params={"wa_id": wa_id})
        [reply] = [
            m["request"]
            for m in received.json()["messages"]
            if m["request"].get("text", {}).get("body", "").startswith("Rs 12,000")
        ]
        assert "to" not in reply and reply["recipient"].startswith("IN.")


class TestApprovals:
    def test_an_ai_draft_waits_in_the_queue_and_an_owner_approves_it(
        self, owner: Dashboard, server: DemoServer, owner_headers: dict[str, str]
    ) -> None:
        wa_id, name = a_doctor()
        doctor_writes(server, wa_id, name, "Hello, do you sell trocars?")
        conversation = conversation_of(server, owner_headers, wa_id)

        def answered() -> bool:
            page = server.http.get(
                f"/api/v1/conversations/{conversation['id']}/messages", headers=owner_headers
            ).json()
            return any(m["direction"] == "out" for m in page["items"])

        # The AI answers the first question before the conversation goes to draft mode.
        wait_for(answered)
        server.http.patch(
            f"/api/v1/conversations/{conversation['id']}",
            json={"mode": "draft"},
            headers=owner_headers,
        ).raise_for_status()

        owner.goto("/approvals")
        approvals = ApprovalsPage(owner)
        expect(owner.page.get_by_role("heading", name="Approvals", level=1)).to_be_visible()
        doctor_writes(server, wa_id, name, "What is the price of the 10 mm trocar?")

        # The AI's reply waits for a person, and appears here live.
        draft = approvals.draft(name)
        expect(draft).to_be_visible(timeout=30_000)
        expect(draft).to_contain_text("AI · ")
        expect(owner.navigation.get_by_label(re.compile(r"\d+ waiting"))).to_be_visible()
        owner.screenshot("13-approvals")

        draft.get_by_role("button", name="Approve").click()
        expect(draft).to_be_hidden()
        expect(owner.page.get_by_text(f"Sent to {name}.")).to_be_visible()

        def approved_reply() -> bool:
            page = server.http.get(
                f"/api/v1/conversations/{conversation['id']}/messages", headers=owner_headers
            ).json()
            return any("approved by" in m["sender"]["label"] for m in page["items"])

        wait_for(approved_reply)
        owner.goto(f"/inbox/{conversation['id']}")
        expect(
            InboxPage(owner).messages.get_by_text(re.compile(r"approved by")).first
        ).to_be_visible()
        owner.screenshot("14-inbox-approved-draft")

    def test_the_overview_shows_agent_health_and_notifications(
        self, owner: Dashboard, server: DemoServer
    ) -> None:
        owner.goto("/")
        table = owner.page.get_by_role("table", name="Agent health")
        expect(table).to_contain_text("greeting")
        expect(owner.page.get_by_role("heading", name="Notifications")).to_be_visible()
        # A doctor asking for a person raises a notification, which arrives live.
        wa_id, name = a_doctor()
        doctor_writes(server, wa_id, name, "Can someone call me please?")
        dismiss = owner.page.get_by_role("button", name=re.compile(f"^Dismiss: {re.escape(name)} "))
        expect(dismiss).to_be_visible(timeout=30_000)
        owner.screenshot("15-overview-agents-notifications")
        dismiss.click()
        expect(dismiss).to_be_hidden()


class TestDailyInbox:
    def test_enter_sends_shift_enter_breaks_the_line_and_problems_show_in_place(
        self, owner: Dashboard, server: DemoServer, owner_headers: dict[str, str]
    ) -> None:
        wa_id, name = a_doctor()
        doctor_writes(server, wa_id, name, "Do you have 5 mm trocars?")
        conversation = conversation_of(server, owner_headers, wa_id)
        owner.goto(f"/inbox/{conversation['id']}")
        inbox = InboxPage(owner)
        owner.page.get_by_role("button", name="Take over").click()
        expect(inbox.mode("Human")).to_be_visible()
        composer = inbox.composer
        problems = owner.page.get_by_role("alert").filter(has_text="Not sent")

        composer.press("Enter")
        expect(problems).to_contain_text("Write a message first.")
        composer.fill("x" * 4097)
        composer.press("Enter")
        expect(problems).to_contain_text("4097 characters")
        expect(composer).to_have_value("x" * 4097)

        composer.fill("Yes, Doctor.")
        composer.press("Shift+Enter")
        composer.press_sequentially("*₹1,950* per box")
        expect(composer).to_have_value("Yes, Doctor.\n*₹1,950* per box")
        expect(problems).to_have_count(0)
        composer.press("Enter")
        expect(composer).to_have_value("")
        expect(inbox.preview_dialog).to_have_count(0)
        sent = inbox.bubble("per box")
        expect(sent.locator("strong")).to_have_text("₹1,950")
        # The list's one-line preview renders the formatting too.
        expect(inbox.conversation(name).locator("strong")).to_have_text("₹1,950")
        owner.screenshot("18-inbox-enter-sends")

        # The preview stays one click away, with Send focused: Enter sends, it does not cancel.
        composer.fill("Delivery in 3 days.")
        owner.page.get_by_role("button", name="Preview and send").click()
        send = inbox.preview_dialog.get_by_role("button", name="Send", exact=True)
        expect(send).to_be_focused()
        owner.page.keyboard.press("Enter")
        expect(inbox.preview_dialog).to_be_hidden()
        expect(inbox.bubble("Delivery in 3 days.")).to_be_visible()

        # Each person chooses: with Ctrl+Enter sending, Enter is a new line; kept on reload.
        owner.page.get_by_text("Ctrl+Enter sends", exact=True).click()
        composer.fill("GST included.")
        composer.press("Enter")
        expect(composer).to_have_value("GST included.\n")
        composer.press("Control+Enter")
        expect(composer).to_have_value("")
        expect(inbox.bubble("GST included.")).to_be_visible()
        owner.page.reload()
        expect(owner.page.get_by_role("radio", name="Ctrl+Enter sends")).to_be_checked()

    def test_the_open_conversation_stays_read_as_messages_arrive(
        self, owner: Dashboard, server: DemoServer, owner_headers: dict[str, str]
    ) -> None:
        wa_id, name = a_doctor()
        doctor_writes(server, wa_id, name, "Hello")
        conversation = conversation_of(server, owner_headers, wa_id)
        owner.goto(f"/inbox/{conversation['id']}")
        inbox = InboxPage(owner)
        expect(inbox.bubble("Hello")).to_be_visible()

        doctor_writes(server, wa_id, name, "Is the 10 mm in stock?")
        expect(inbox.bubble("Is the 10 mm in stock?")).to_be_visible()
        wait_for(lambda: conversation_of(server, owner_headers, wa_id)["unread_count"] == 0)
        expect(inbox.conversation(name)).not_to_have_attribute("aria-label", re.compile("unread"))

    def test_doctors_of_the_same_name_are_told_apart_by_their_numbers(
        self, owner: Dashboard, server: DemoServer
    ) -> None:
        first, _ = a_doctor()
        second = f"{first[:-4]}{(int(first[-4:]) + 4321) % 10_000:04d}"
        # Unique to this test, without digits: the list shows the number's, not the name's.
        name = "Dr. Rahul Sharma " + "".join(chr(ord("a") + int(d)) for d in first[-7:-1])
        owner.goto("/inbox")
        inbox = InboxPage(owner)
        expect(inbox.loaded).to_be_visible()
        doctor_writes(server, first, name, "Hernia mesh price?")
        doctor_writes(server, second, name, "Stapler price?")

        expect(inbox.conversation(name)).to_have_count(2)
        for wa_id in (first, second):
            item = inbox.conversations.get_by_role("link", name=f"{name} …{wa_id[-4:]}")
            expect(item).to_contain_text(f"…{wa_id[-4:]}")
        owner.screenshot("19-inbox-same-named-doctors")


class TestCampaignInInbox:
    def test_a_campaign_message_appears_in_the_open_thread_and_the_list_without_a_reload(
        self, owner: Dashboard, server: DemoServer, owner_headers: dict[str, str]
    ) -> None:
        tag = str(time.monotonic_ns())[-6:]
        course = f"Hernia repair course {tag}"
        segment, (writer, newcomer) = audience(server, owner_headers, tag, 2)
        # One doctor has written already: the admin has their thread open.
        doctor_writes(server, writer["wa_id"], writer["name"], "Hello")

        # The AI greets them back and keeps the conversation (a campaign skips one a person has).
        def answered() -> dict[str, Any] | None:
            found = conversation_of(server, owner_headers, writer["wa_id"])
            return found if (found["last_message"] or {}).get("direction") == "out" else None

        conversation = wait_for(answered)
        assert conversation["mode"] == "ai", conversation
        owner.goto(f"/inbox/{conversation['id']}")
        inbox = InboxPage(owner)
        expect(inbox.bubble("Hello")).to_be_visible()
        expect(inbox.conversation(newcomer["name"])).to_have_count(0)
        owner.page.evaluate("window.sameDocument = true")

        [saved] = [
            item
            for item in server.http.get("/api/v1/segments", headers=owner_headers).json()
            if item["name"] == segment
        ]
        created = server.http.post(
            "/api/v1/campaigns",
            json={
                "name": f"Hernia course {tag}",
                "kind": "template",
                "segment_id": saved["id"],
                "variants": [
                    {
                        "key": "A",
                        "template_name": "course_invite",
                        "language": "en",
                        "parameters": {"body": {"1": {"field": "name"}, "2": {"value": course}}},
                    }
                ],
            },
            headers=owner_headers,
        )
        assert created.status_code == 201, created.text
        started = server.http.post(
            f"/api/v1/campaigns/{created.json()['id']}/start", headers=owner_headers
        )
        assert started.status_code == 200, started.text

        # In the open thread, with its ticks as the simulated doctor receives and reads it.
        sent = f"Dr. {writer['name']}, seats are open for {course}."
        expect(inbox.bubble(sent)).to_be_visible(timeout=30_000)
        expect(inbox.tick(sent, "Read")).to_be_visible(timeout=40_000)
        # In the list, the newcomer's conversation new: each shows the message. (Not "on top":
        # the demo's simulated doctors keep writing, and their conversations move above.)
        for doctor in (writer, newcomer):
            expect(inbox.conversation(doctor["name"])).to_contain_text(
                f"seats are open for {course}"
            )
        assert owner.page.evaluate("window.sameDocument") is True, "the page was reloaded"
        owner.screenshot("20-inbox-campaign-live")
