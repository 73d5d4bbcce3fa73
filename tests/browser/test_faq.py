"""The FAQ page in headless Chromium against `surgiai run --demo`: a simulated doctor's question
that nothing approved answers waits as a suggestion; an owner writes the answer and approves
it, sending it to the doctor; another doctor's rewording is then answered by the AI, citing the
FAQ. A viewer reads the FAQ but cannot decide."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import OWNER_EMAIL, OWNER_PASSWORD, DemoServer
from tests.browser.pages import Dashboard
from tests.browser.test_dashboard import create_user, wait_for
from tests.browser.test_inbox import a_doctor, doctor_writes

OpenDashboard = Callable[[], Dashboard]
QUESTION = "Do you have a service centre in Guwahati?"
ANSWER = "Yes: our service centre is at GS Road, Guwahati, open Monday to Saturday."


def suggestion_for(server: DemoServer, headers: dict[str, str], question: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        page = server.http.get(
            "/api/v1/faqs", params={"status": "suggested", "q": question[:40]}, headers=headers
        ).json()
        return next((item for item in page["items"] if item["question"] == question), None)

    return wait_for(found)


def received(server: DemoServer, wa_id: str) -> list[str]:
    answer = server.http.get("/simulator/control/received", params={"wa_id": wa_id}).json()
    return [
        str(item["request"]["text"]["body"])
        for item in answer["messages"]
        if "body" in item["request"].get("text", {})
    ]


def test_an_owner_approves_a_suggested_answer_and_the_ai_answers_it_from_then_on(
    open_dashboard: OpenDashboard, server: DemoServer, owner_headers: dict[str, str]
) -> None:
    wa_id, name = a_doctor()
    doctor_writes(server, wa_id, name, QUESTION)
    suggestion_for(server, owner_headers, QUESTION)

    owner = open_dashboard()
    owner.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    owner.goto("/")
    owner.go_to_section("FAQ")
    page = owner.page
    expect(page.get_by_role("heading", name="FAQ", level=1)).to_be_visible()
    card = page.get_by_role("article", name=QUESTION)
    expect(card).to_contain_text("asked 1\u00d7")
    owner.screenshot("40-faq-suggested")

    card.get_by_role("button", name="Write the answer").click()
    dialog = page.get_by_role("dialog", name="Approve the answer")
    dialog.get_by_role("textbox", name="Answer").fill(ANSWER)
    expect(dialog.get_by_role("checkbox", name="Also send this answer")).to_be_checked()
    dialog.get_by_role("button", name="Approve").click()
    expect(
        page.get_by_text("Approved, and the answer is on its way to the doctor.")
    ).to_be_visible()
    expect(card).to_be_hidden()
    wait_for(lambda: any(ANSWER in text for text in received(server, wa_id)))

    page.locator("label", has_text=re.compile(r"^Approved")).click()
    approved = page.get_by_role("article", name=QUESTION)
    expect(approved).to_contain_text(ANSWER)
    expect(approved).to_contain_text("Answered by Owner")
    owner.screenshot("41-faq-approved")

    # Another doctor, other words: the AI answers from the approved entry at once.
    other, other_name = a_doctor()
    doctor_writes(server, other, other_name, "guwahati mein service centre hai kya?")
    wait_for(lambda: any(ANSWER in text for text in received(server, other)))
    assert owner.console_problems() == []


def test_a_viewer_reads_the_faq_but_cannot_decide(
    open_dashboard: OpenDashboard, server: DemoServer, owner_headers: dict[str, str]
) -> None:
    email, password = create_user(server, owner_headers, "viewer")
    viewer = open_dashboard()
    viewer.sign_in_via_api(email, password)
    viewer.goto("/faq")
    page = viewer.page
    page.locator("label", has_text=re.compile(r"^Approved")).click()
    # The demo's approved answers, read-only.
    card = page.get_by_role("article", name="How can I pay?")
    expect(card).to_contain_text("UPI")
    expect(card.get_by_role("button")).to_have_count(0)
    expect(page.get_by_role("button", name="New answer")).to_have_count(0)
    assert viewer.console_problems() == []
