"""The inbox's daily loop in headless Chromium against `surgiai run --demo`: the "awaiting our
reply" queue with its timer, assigning a colleague, closing and reopening, and release
unassigning. Everything the test waits for arrives over the WebSocket, without a reload."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OWNER_EMAIL, OWNER_PASSWORD, DemoServer
from tests.browser.pages import Dashboard, InboxPage
from tests.browser.test_inbox import a_doctor, conversation_of, doctor_writes

OpenDashboard = Callable[[], Dashboard]
# The demo's AI hands this to a person: it acknowledges, and the doctor waits for us.
ASKS_FOR_A_PERSON = "Can someone please call me? I need to talk to a person about the mesh"


@pytest.fixture
def owner(open_dashboard: OpenDashboard) -> Dashboard:
    dashboard = open_dashboard()
    dashboard.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    return dashboard


def show(owner: Dashboard, option: str) -> None:
    owner.page.get_by_role("combobox", name="Show").click()
    owner.page.get_by_role("option", name=option).click()


class TestAwaitingQueue:
    def test_a_waiting_doctor_is_queued_with_a_timer_assigned_answered_closed_and_reopened(
        self, owner: Dashboard, server: DemoServer, owner_headers: dict[str, str]
    ) -> None:
        colleague = f"Neha Joshi {time.monotonic_ns() % 100_000}"
        server.http.post(
            "/api/v1/users",
            json={
                "email": f"neha-{time.monotonic_ns()}@surgiai.test",
                "name": colleague,
                "role": "agent",
                "password": "agent password 123",
            },
            headers=owner_headers,
        ).raise_for_status()
        owner.goto("/inbox")
        inbox = InboxPage(owner)
        expect(inbox.loaded).to_be_visible()
        show(owner, "Awaiting our reply")
        wa_id, name = a_doctor()

        doctor_writes(server, wa_id, name, ASKS_FOR_A_PERSON)
        item = inbox.conversation(name)
        expect(item).to_be_visible()
        expect(item).to_contain_text(re.compile(r"waiting (<1|\d+) min"))
        conversation = conversation_of(server, owner_headers, wa_id)
        owner.screenshot("30-inbox-awaiting-queue")

        item.click()
        owner.page.get_by_role("combobox", name="Assigned to").click()
        owner.page.get_by_role("option", name=colleague).click()
        expect(owner.page.get_by_text(f"· assigned to {colleague} ·")).to_be_visible()

        # A person answers (from anywhere): the doctor waits no more.
        server.http.post(
            f"/api/v1/conversations/{conversation['id']}/messages",
            json={"type": "text", "text": {"body": "Calling you in 5 min, doctor"}},
            headers=owner_headers,
        ).raise_for_status()
        expect(item).to_be_hidden()

        owner.page.get_by_role("button", name="Close", exact=True).click()
        expect(owner.page.get_by_role("button", name="Reopen")).to_be_visible()
        show(owner, "Closed")
        expect(inbox.conversation(name)).to_contain_text("Closed")

        # The doctor writes into the closed conversation: open again, and waiting again.
        doctor_writes(server, wa_id, name, "Sir pls call after 6, OT mein hoon")
        expect(inbox.conversation(name)).to_be_hidden()
        expect(owner.page.get_by_role("button", name="Close", exact=True)).to_be_visible()
        show(owner, "Awaiting our reply")
        expect(inbox.conversation(name)).to_contain_text(re.compile(r"waiting"))
        owner.screenshot("31-inbox-reopened-by-the-doctor")

    def test_release_unassigns_the_conversation(
        self, owner: Dashboard, server: DemoServer, owner_headers: dict[str, str]
    ) -> None:
        wa_id, name = a_doctor()
        doctor_writes(server, wa_id, name, "pls send hernia mesh 15x15 rate")
        conversation = conversation_of(server, owner_headers, wa_id)
        owner.goto(f"/inbox/{conversation['id']}")

        owner.page.get_by_role("button", name="Take over").click()
        expect(owner.page.get_by_text("· assigned to Owner ·")).to_be_visible()
        owner.page.get_by_role("button", name=re.compile(r"^Release")).click()
        expect(owner.page.get_by_role("button", name="Take over")).to_be_visible()
        expect(owner.page.get_by_text("· assigned to")).to_be_hidden()
        expect(owner.page.get_by_role("combobox", name="Assigned to")).to_have_value("Nobody")
