"""The Campaigns pages in headless Chromium against `surgiai run --demo` (issue 20): an admin
creates a campaign from a segment in the wizard, reads the planner's forecast and a preview per
doctor, starts it and watches it complete against the simulator; a second one, held by quiet
hours, is paused, resumed (a double click sends one request) and cancelled; the results show;
the failed are retried only where a retry can help; a template's document header is uploaded
in the wizard and reaches each doctor."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from surgiai.config import Settings
from surgiai.demo import DEMO_NUMBERS
from tests.browser.conftest import OWNER_EMAIL, OWNER_PASSWORD, DemoServer
from tests.browser.pages import PHONE, CampaignsPage, Dashboard
from tests.browser.test_phone_layout import assert_actions_on_screen, phone_screenshot

OpenDashboard = Callable[[], Dashboard]
# A demo template (surgiai/demo.py): "Dr. {{1}}, seats are open for {{2}}."
TEMPLATE = "course_invite (en) · marketing"
COURSE = "Laparoscopic suturing"
GRAPH_VERSION = Settings.model_fields["graph_api_version"].default


def audience(
    server: DemoServer, headers: dict[str, str], tag: str, size: int
) -> tuple[str, list[dict[str, Any]]]:
    """`size` surgeons in Pune tagged for this test, and a saved segment of them."""
    doctors = []
    for index in range(size):
        created = server.http.post(
            "/api/v1/doctors",
            json={
                "name": f"Meera Kulkarni {tag}-{index}",
                "phone": f"+91 98{tag}{index:02d}",
                "specialty": "General surgery",
                "city": "Pune",
                "state": "Maharashtra",
                "tags": [f"cme-{tag}"],
            },
            headers=headers,
        )
        assert created.status_code == 201, created.text
        doctors.append(created.json())
    name = f"Pune surgeons {tag}"
    saved = server.http.post(
        "/api/v1/segments",
        json={"name": name, "filters": {"tags": [f"cme-{tag}"]}},
        headers=headers,
    )
    assert saved.status_code == 201, saved.text
    return name, doctors


def create_in_wizard(campaigns: CampaignsPage, name: str, segment: str, size: int) -> None:
    campaigns.new()
    campaigns.name(name)
    campaigns.choose("Segment", segment)
    expect(campaigns.segment_count).to_have_text(f"{size} doctors in this segment now")
    campaigns.next()
    campaigns.choose("Template", TEMPLATE)
    campaigns.fill_variable("Body {{2}}", COURSE)
    expect(campaigns.page.get_by_label("Message preview")).to_contain_text(
        f"Dr. [Name], seats are open for {COURSE}."
    )
    campaigns.next()


def test_an_admin_creates_a_campaign_from_a_segment_and_watches_it_complete(
    open_dashboard: OpenDashboard, server: DemoServer, owner_headers: dict[str, str]
) -> None:
    tag = str(time.monotonic_ns())[-6:]
    segment, doctors = audience(server, owner_headers, tag, 4)
    owner = open_dashboard()
    owner.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    owner.goto("/")
    owner.go_to_section("Campaigns")
    campaigns = CampaignsPage(owner)

    create_in_wizard(campaigns, f"CME invite {tag}", segment, 4)
    campaigns.next()  # now, no quiet hours

    expect(campaigns.plan_figure("Recipients")).to_have_text("4")
    expect(campaigns.samples.first).to_contain_text(
        re.compile(rf"Dr\. Meera Kulkarni {tag}-\d, seats are open for {COURSE}\.")
    )
    expect(campaigns.plan.get_by_role("table", name="Numbers in the plan")).to_contain_text("msg/s")
    owner.screenshot("50-campaign-review")
    campaigns.start()

    expect(owner.page).to_have_url(re.compile(r"/campaigns/\d+$"))
    expect(campaigns.progress).to_have_text("4 of 4 (100 %)", timeout=60_000)
    # The last chunk's worker, or the minute's tick, finds nothing left and completes it.
    expect(campaigns.status).to_have_text("Completed", timeout=90_000)
    expect(campaigns.figure("Sent")).to_have_text("4")
    expect(campaigns.results.get_by_role("table", name="By variant")).to_contain_text("A")
    expect(campaigns.recipients.get_by_role("row")).to_have_count(5)
    expect(owner.page.get_by_role("link", name="Download CSV")).to_have_attribute(
        "href", re.compile(r"^/api/v1/campaigns/\d+/export$")
    )
    # What the simulator received: the template, each doctor's name, the constant.
    received = server.http.get(
        "/simulator/control/received", params={"wa_id": doctors[0]["wa_id"]}
    ).json()
    assert COURSE in str(received)
    owner.screenshot("51-campaign-completed")

    owner.goto("/campaigns")
    expect(campaigns.row(f"CME invite {tag}")).to_contain_text("Completed")
    expect(campaigns.row(f"CME invite {tag}")).to_contain_text("4 of 4 (100 %)")
    assert owner.console_problems() == []


def test_a_campaign_held_by_quiet_hours_is_paused_resumed_once_and_cancelled(
    open_dashboard: OpenDashboard, server: DemoServer, owner_headers: dict[str, str]
) -> None:
    tag = str(time.monotonic_ns())[-6:]
    segment, _ = audience(server, owner_headers, tag, 3)
    zone = server.http.get("/api/v1/settings", headers=owner_headers).json()["timezone"]
    now = datetime.now(ZoneInfo(zone))
    # Quiet from an hour ago to an hour from now: it starts, and sends nothing yet.
    quiet = (
        (now - timedelta(hours=1)).strftime("%H:%M"),
        (now + timedelta(hours=1)).strftime("%H:%M"),
    )
    owner = open_dashboard()
    owner.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    owner.goto("/campaigns")
    campaigns = CampaignsPage(owner)

    create_in_wizard(campaigns, f"Night CME {tag}", segment, 3)
    campaigns.quiet_hours(*quiet)
    campaigns.next()
    expect(campaigns.plan).to_contain_text("The campaign will pause for the quiet hours")
    campaigns.start()

    expect(campaigns.status).to_have_text(re.compile(r"^(Running|Scheduled)$"))
    expect(campaigns.progress).to_have_text("0 of 3 (0 %)")
    campaigns.button("Pause").click()
    expect(campaigns.status).to_have_text("Paused")

    requests: list[str] = []
    owner.page.on(
        "request",
        lambda request: requests.append(request.url) if "/resume" in request.url else None,
    )
    campaigns.button("Resume pending").dblclick()
    expect(campaigns.status).to_have_text(re.compile(r"^(Running|Scheduled)$"))
    assert len(requests) == 1, requests

    campaigns.cancel()
    expect(campaigns.status).to_have_text("Cancelled")
    expect(campaigns.figure("Sent")).to_have_text("0")
    owner.screenshot("52-campaign-cancelled")
    assert owner.console_problems() == []


def test_on_a_phone_the_campaign_pages_fit_and_their_actions_are_on_screen(
    open_dashboard: OpenDashboard, server: DemoServer, owner_headers: dict[str, str]
) -> None:
    tag = str(time.monotonic_ns())[-6:]
    segment, _ = audience(server, owner_headers, tag, 2)
    [saved] = [
        item
        for item in server.http.get("/api/v1/segments", headers=owner_headers).json()
        if item["name"] == segment
    ]
    created = server.http.post(
        "/api/v1/campaigns",
        json={
            "name": f"Phone draft {tag}",
            "kind": "text",
            "segment_id": saved["id"],
            "variants": [{"text": "Hello {name}, *new* trocars are in stock."}],
        },
        headers=owner_headers,
    )
    assert created.status_code == 201, created.text
    phone = open_dashboard()
    phone.page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    phone.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    campaigns = CampaignsPage(phone)

    phone.goto("/campaigns")
    expect(campaigns.row(f"Phone draft {tag}")).to_contain_text("Draft")
    assert_actions_on_screen(phone.page, campaigns.table.get_by_role("row"))

    phone.goto(f"/campaigns/{created.json()['id']}")
    expect(campaigns.status).to_have_text("Draft")
    expect(campaigns.button("Start")).to_be_visible()
    controls = assert_actions_on_screen(phone.page, phone.page.locator("main"))
    assert controls >= 2  # Start and Cancel campaign at least
    phone_screenshot(phone.page, "53-campaign-draft")

    phone.goto("/campaigns/new")
    expect(phone.page.get_by_text("Step 1 of 4: Audience")).to_be_visible()
    assert_actions_on_screen(phone.page, phone.page.locator("main"))


def test_failed_recipients_are_retried_by_reason_and_sent_once_more(
    open_dashboard: OpenDashboard, server: DemoServer, owner_headers: dict[str, str]
) -> None:
    tag = str(time.monotonic_ns())[-6:]
    segment, doctors = audience(server, owner_headers, tag, 3)
    [saved] = [
        item
        for item in server.http.get("/api/v1/segments", headers=owner_headers).json()
        if item["name"] == segment
    ]
    # WhatsApp accepts the first send to one doctor, then reports it failed with a temporary
    # error (131000): a retry can help. Another is not on WhatsApp (131026): a retry cannot.
    for code, doctor in ((131000, doctors[0]), (131026, doctors[1])):
        fault = server.http.post(
            "/simulator/control/faults",
            json={"code": code, "mode": "async", "count": 1, "wa_id": doctor["wa_id"]},
        )
        assert fault.status_code == 200, fault.text
    created = server.http.post(
        "/api/v1/campaigns",
        json={
            "name": f"Retry CME {tag}",
            "kind": "template",
            "segment_id": saved["id"],
            "variants": [
                {
                    "template_name": "course_invite",
                    "language": "en",
                    "parameters": {
                        "body": {"1": {"field": "name"}, "2": {"value": COURSE}},
                    },
                }
            ],
        },
        headers=owner_headers,
    )
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    started = server.http.post(f"/api/v1/campaigns/{campaign_id}/start", headers=owner_headers)
    assert started.status_code == 200, started.text
    owner = open_dashboard()
    owner.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    owner.goto(f"/campaigns/{campaign_id}")
    campaigns = CampaignsPage(owner)

    expect(campaigns.figure("Failed")).to_have_text("2", timeout=60_000)
    expect(campaigns.progress).to_have_text("3 of 3 (100 %)")
    failed_by_reason = campaigns.results.get_by_role("list", name="Failed by reason")
    expect(failed_by_reason).to_contain_text("Temporary WhatsApp error: 1")
    expect(failed_by_reason).to_contain_text("Not reachable on WhatsApp: 1")
    campaigns.button("Retry failed…").click()
    dialog = owner.page.get_by_role("dialog", name="Retry failed recipients")
    # Only the failure a retry can help is offered; the other is told, with no checkbox.
    expect(dialog.get_by_role("checkbox")).to_have_count(1)
    expect(dialog.get_by_role("checkbox", name="Temporary WhatsApp error (1)")).to_be_checked()
    expect(dialog).to_contain_text("Not reachable on WhatsApp (1): a retry cannot help.")
    owner.screenshot("54-campaign-retry-dialog")
    dialog.get_by_role("button", name="Retry 1").click()
    expect(owner.page.get_by_text("1 recipient requeued.")).to_be_visible()

    expect(campaigns.figure("Sent")).to_have_text("2", timeout=60_000)
    expect(campaigns.figure("Failed")).to_have_text("1")
    expect(campaigns.status).to_have_text("Completed", timeout=90_000)
    # What is left failed, a retry cannot help: the button says so and does nothing.
    expect(campaigns.button("Retry failed…")).to_be_disabled()
    expect(campaigns.button("Retry failed…")).to_have_accessible_description(
        "A retry cannot help those who failed: Not reachable on WhatsApp (1)."
    )
    received = server.http.get(
        "/simulator/control/received", params={"wa_id": doctors[0]["wa_id"]}
    ).json()
    assert COURSE in str(received)
    owner.screenshot("54-campaign-retried")
    assert owner.console_problems() == []


def test_a_campaign_sends_a_brochure_uploaded_in_the_wizard_as_its_document_header(
    open_dashboard: OpenDashboard, server: DemoServer, owner_headers: dict[str, str]
) -> None:
    tag = str(time.monotonic_ns())[-6:]
    segment, doctors = audience(server, owner_headers, tag, 2)
    # A small but real PDF, unique to this run: the simulator must hold these very bytes.
    brochure = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n"
        + f"% Laparoscopic suturing course {tag}\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    owner = open_dashboard()
    owner.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    owner.goto("/campaigns")
    campaigns = CampaignsPage(owner)

    campaigns.new()
    campaigns.name(f"Brochure {tag}")
    campaigns.choose("Segment", segment)
    expect(campaigns.segment_count).to_have_text("2 doctors in this segment now")
    campaigns.next()
    campaigns.choose("Template", "course_brochure (en) · marketing")
    campaigns.fill_variable("Body {{2}}", COURSE)
    campaigns.header_media("suturing-course.pdf", "application/pdf", brochure)
    expect(owner.page.get_by_text(re.compile(r"^Uploaded \(file #\d+\)\.$"))).to_be_visible()
    owner.screenshot("55-campaign-document-header")
    campaigns.next()
    campaigns.next()  # now, no quiet hours
    expect(campaigns.plan_figure("Recipients")).to_have_text("2")
    campaigns.start()

    expect(owner.page).to_have_url(re.compile(r"/campaigns/\d+$"))
    expect(campaigns.progress).to_have_text("2 of 2 (100 %)", timeout=60_000)
    expect(campaigns.figure("Sent")).to_have_text("2")
    tokens = {number.phone_number_id: number.access_token for number in DEMO_NUMBERS}
    for doctor in doctors:
        received = server.http.get(
            "/simulator/control/received", params={"wa_id": doctor["wa_id"]}
        ).json()
        [sent] = [
            message
            for message in received["messages"]
            if message["request"].get("template", {}).get("name") == "course_brochure"
        ]
        header, body = sent["request"]["template"]["components"]
        assert body["parameters"][1] == {"type": "text", "text": COURSE}
        [parameter] = header["parameters"]
        assert parameter["type"] == "document"
        # The id is one the simulator issued for an upload of this very file.
        media = server.http.get(
            f"/simulator/graph/{GRAPH_VERSION}/{parameter['document']['id']}",
            headers={"Authorization": f"Bearer {tokens[sent['phone_number_id']]}"},
        )
        assert media.status_code == 200, media.text
        assert media.json()["mime_type"] == "application/pdf"
        assert media.json()["sha256"] == hashlib.sha256(brochure).hexdigest()
    assert owner.console_problems() == []
