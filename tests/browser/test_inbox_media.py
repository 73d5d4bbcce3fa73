"""Doctors' media in the team inbox, in headless Chromium against `surgiai run --demo`: a
simulated doctor sends a photo, a voice note, a PDF, a location, a contact, a reaction and a
reply through the simulator (signed webhooks into the real endpoint); the team sees each as
WhatsApp shows it, and sends an image, a PDF and a voice note recorded in the browser."""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from base64 import b64encode
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Playwright, expect

from surgiai.config import Settings
from surgiai.demo import DEMO_NUMBERS
from tests.browser.conftest import OWNER_EMAIL, OWNER_PASSWORD, DemoServer, screenshot_dir
from tests.browser.pages import Dashboard, InboxPage, field
from tests.browser.test_dashboard import wait_for
from tests.browser.test_inbox import a_doctor, conversation_of, doctor_writes

OpenDashboard = Callable[[], Dashboard]
SALES_PNID = DEMO_NUMBERS[0].phone_number_id
GRAPH_VERSION = Settings.model_fields["graph_api_version"].default
TOKENS = {number.phone_number_id: number.access_token for number in DEMO_NUMBERS}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png(width: int, height: int) -> bytes:
    """A real PNG (a teal gradient), so the browser has pixels to decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes((20, 120 + x % 100, 110 + y % 120)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def doctor_sends(
    server: DemoServer, wa_id: str, name: str, kind: str, body: Any, **extra: Any
) -> str:
    answer = server.http.post(
        "/simulator/control/inbound",
        json={
            "phone_number_id": SALES_PNID,
            "from": wa_id,
            "name": name,
            "type": kind,
            kind: body,
            **extra,
        },
    )
    answer.raise_for_status()
    wamid: str = answer.json()["wamid"]
    return wamid


def received(server: DemoServer, wa_id: str, kind: str) -> list[dict[str, Any]]:
    seen = server.http.get("/simulator/control/received", params={"wa_id": wa_id}).json()
    return [m["request"] for m in seen["messages"] if m["request"].get("type") == kind]


def image_loaded(page: Page, image: Locator) -> None:
    expect(image).to_be_visible()
    page.wait_for_function(
        "image => image.complete && image.naturalWidth > 0", arg=image.element_handle()
    )


def fetched(page: Page, url: str | None) -> tuple[int, str]:
    """What the signed-in browser gets for a media URL of the page."""
    assert url, "no media URL"
    response = page.context.request.get(page.url.split("/inbox")[0] + url)
    return response.status, response.headers["content-type"]


@pytest.fixture
def owner(open_dashboard: OpenDashboard) -> Dashboard:
    dashboard = open_dashboard()
    dashboard.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    return dashboard


@pytest.fixture
def take_over(server: DemoServer, owner_headers: dict[str, str]) -> Callable[[int], None]:
    """The AI stays out of the way of a conversation the test answers itself."""

    def take(conversation_id: int) -> None:
        server.http.post(
            f"/api/v1/conversations/{conversation_id}/takeover", headers=owner_headers
        ).raise_for_status()

    return take


class TestDoctorsMedia:
    def test_each_kind_of_media_shows_as_whatsapp_shows_it(
        self,
        owner: Dashboard,
        server: DemoServer,
        owner_headers: dict[str, str],
        take_over: Callable[[int], None],
    ) -> None:
        wa_id, name = a_doctor()
        question = "Sending the OT photos and the consent form"
        first = doctor_sends(server, wa_id, name, "text", {"body": question})
        conversation = conversation_of(server, owner_headers, wa_id)
        take_over(conversation["id"])
        doctor_sends(
            server,
            wa_id,
            name,
            "image",
            {
                "data_base64": b64encode(png(160, 120)).decode(),
                "mime_type": "image/png",
                "caption": "Port site on day 3",
            },
        )
        doctor_sends(server, wa_id, name, "audio", {"voice": True})
        doctor_sends(
            server,
            wa_id,
            name,
            "document",
            {
                "data_base64": b64encode(PDF).decode(),
                "mime_type": "application/pdf",
                "filename": "Consent form - Dr Mehta.pdf",
            },
        )
        doctor_sends(
            server,
            wa_id,
            name,
            "location",
            {
                "latitude": 19.0509,
                "longitude": 72.8294,
                "name": "Lilavati Hospital",
                "address": "A-791, Bandra Reclamation, Bandra West, Mumbai",
            },
        )
        doctor_sends(
            server,
            wa_id,
            name,
            "contacts",
            [
                {
                    "name": {"formatted_name": "Dr. Anjali Deshpande", "first_name": "Anjali"},
                    "phones": [
                        {"phone": "+91 98200 45117", "type": "CELL", "wa_id": "919820045117"}
                    ],
                    "org": {"company": "Kokilaben Hospital"},
                }
            ],
        )
        doctor_sends(server, wa_id, name, "reaction", {"message_id": first, "emoji": "🙏"})
        doctor_sends(
            server,
            wa_id,
            name,
            "text",
            {"body": "Is this form enough, ya?"},
            context={"id": first, "from": wa_id},
        )

        owner.goto(f"/inbox/{conversation['id']}")
        inbox = InboxPage(owner)
        page = owner.page

        photo = inbox.bubble("Port site on day 3").get_by_role("img", name=re.compile("^Image"))
        image_loaded(page, photo)
        assert fetched(page, photo.get_attribute("src")) == (200, "image/png")
        page.get_by_role("button", name=re.compile("^Enlarge: Image")).click()
        enlarged = page.get_by_role("dialog").get_by_role("img", name=re.compile("^Image"))
        image_loaded(page, enlarged)
        owner.screenshot("16-inbox-media-enlarged")
        page.keyboard.press("Escape")
        expect(enlarged).to_be_hidden()

        voice = inbox.messages.locator("audio[aria-label='Voice note']")
        expect(voice).to_have_count(1)
        status, content_type = fetched(page, voice.get_attribute("src"))
        assert status == 200 and content_type.startswith("audio/ogg")

        download = inbox.messages.get_by_role("link", name="Download Consent form - Dr Mehta.pdf")
        expect(download).to_contain_text(f"{len(PDF)} bytes")
        expect(download).to_have_attribute("download", "Consent form - Dr Mehta.pdf")
        assert fetched(page, download.get_attribute("href")) == (200, "application/pdf")

        place = inbox.messages.get_by_role("link", name=re.compile("^Open map"))
        expect(place).to_have_attribute(
            "href", re.compile(r"^https://www\.openstreetmap\.org/\?mlat=19\.0509&mlon=72\.8294")
        )
        expect(inbox.bubble("Lilavati Hospital")).to_contain_text("Bandra West")

        card = inbox.messages.get_by_role("article", name="Contact: Dr. Anjali Deshpande")
        expect(card).to_contain_text("+91 98200 45117")
        expect(card).to_contain_text("Kokilaben Hospital")

        # The reaction sits on the message it reacts to, not in a bubble of its own.
        expect(
            inbox.bubble(question).get_by_role("img", name="Reaction 🙏 by Doctor")
        ).to_be_visible()
        expect(
            inbox.messages.get_by_role("listitem").filter(has_text=re.compile("^Doctor.{0,40}🙏"))
        ).to_have_count(0)

        quote = inbox.bubble("Is this form enough").get_by_label("Replying to")
        expect(quote).to_contain_text(question)
        owner.screenshot("16-inbox-media")
        # The whole thread in one picture: a tall window shows every message at once.
        page.set_viewport_size({"width": 1366, "height": 2000})
        page.screenshot(path=owner.shots / "16-inbox-media-whole-thread-1366x2000.png")
        page.set_viewport_size({"width": 1366, "height": 768})

    def test_media_whatsapp_no_longer_has_says_so(
        self,
        owner: Dashboard,
        server: DemoServer,
        owner_headers: dict[str, str],
    ) -> None:
        wa_id, name = a_doctor()
        doctor_writes(server, wa_id, name, "One more scan")
        conversation = conversation_of(server, owner_headers, wa_id)
        before = server.http.get("/simulator/control/config").json()["inbound_media_ttl_seconds"]
        # The media id is gone before SurgiAI asks for it (WhatsApp keeps them 7 days).
        server.http.patch(
            "/simulator/control/config", json={"inbound_media_ttl_seconds": 0.001}
        ).raise_for_status()
        try:
            doctor_sends(server, wa_id, name, "image", {"caption": "CT abdomen"})
        finally:
            server.http.patch(
                "/simulator/control/config", json={"inbound_media_ttl_seconds": before}
            ).raise_for_status()
        owner.goto(f"/inbox/{conversation['id']}")
        bubble = InboxPage(owner).bubble("CT abdomen")
        expect(bubble.get_by_role("note", name="Media could not be downloaded")).to_contain_text(
            "media could not be downloaded"
        )
        expect(bubble.get_by_role("img")).to_have_count(0)


class TestTeamSendsMedia:
    def test_an_image_and_a_pdf_go_from_the_composer_to_the_doctor(
        self,
        owner: Dashboard,
        server: DemoServer,
        owner_headers: dict[str, str],
        take_over: Callable[[int], None],
        tmp_path: Path,
    ) -> None:
        wa_id, name = a_doctor()
        doctor_writes(server, wa_id, name, "Please send the brochure")
        conversation = conversation_of(server, owner_headers, wa_id)
        take_over(conversation["id"])
        photo = tmp_path / "stapler.png"
        photo.write_bytes(png(120, 90))
        brochure = tmp_path / "Laparoscopy CME brochure.pdf"
        brochure.write_bytes(PDF)
        too_big = tmp_path / "scan.png"
        too_big.write_bytes(b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 1))

        owner.goto(f"/inbox/{conversation['id']}")
        inbox = InboxPage(owner)
        page = owner.page

        def attach(path: Path) -> None:
            with page.expect_file_chooser() as chooser:
                page.get_by_role("button", name="Attach file").click()
            chooser.value.set_files(str(path))

        attach(too_big)
        expect(page.get_by_role("alert")).to_contain_text("WhatsApp takes images up to 5 MB")

        attach(photo)
        attachment = page.get_by_role("group", name="Attachment")
        image_loaded(page, attachment.get_by_role("img", name="stapler.png"))
        inbox.composer.fill("Our *new* 60 mm stapler")
        page.get_by_role("button", name="Preview and send").click()
        dialog = inbox.preview_dialog
        image_loaded(page, dialog.get_by_role("img", name="stapler.png"))
        dialog.get_by_role("button", name="Send", exact=True).click()
        expect(dialog).to_be_hidden()
        image_loaded(
            page, inbox.bubble("60 mm stapler").get_by_role("img", name=re.compile("^Image"))
        )

        attach(brochure)
        page.get_by_role("button", name="Preview and send").click()
        inbox.preview_dialog.get_by_role("button", name="Send", exact=True).click()
        expect(
            inbox.messages.get_by_role("link", name="Download Laparoscopy CME brochure.pdf")
        ).to_be_visible()

        [image] = wait_for(lambda: received(server, wa_id, "image") or None)
        assert image["image"]["caption"] == "Our *new* 60 mm stapler"
        assert image["image"]["id"]
        [document] = wait_for(lambda: received(server, wa_id, "document") or None)
        assert document["document"]["filename"] == "Laparoscopy CME brochure.pdf"
        owner.screenshot("17-inbox-media-sent")

    def test_a_brochure_template_goes_with_the_pdf_attached_as_its_header(
        self, owner: Dashboard, server: DemoServer, owner_headers: dict[str, str], tmp_path: Path
    ) -> None:
        """The window is closed, so only a template may go; the demo's course_brochure has a
        document header: the agent attaches the PDF, and the doctor gets it, named."""
        wa_id, _ = a_doctor()
        # A doctor who never wrote: their conversation starts with a template, window closed.
        server.http.post(
            "/api/v1/messages",
            json={
                "to": wa_id,
                "type": "template",
                "template": {
                    "name": "follow_up",
                    "language": {"code": "en"},
                    "components": [
                        {"type": "body", "parameters": [{"type": "text", "text": "Dr. Rao"}]}
                    ],
                },
            },
            headers=owner_headers,
        ).raise_for_status()
        conversation = conversation_of(server, owner_headers, wa_id)
        # Unique to this run: the simulator must hold these very bytes.
        content = PDF + f"% Laparoscopy CME {wa_id}\n".encode()
        brochure = tmp_path / "Laparoscopy CME brochure.pdf"
        brochure.write_bytes(content)

        owner.goto(f"/inbox/{conversation['id']}")
        inbox = InboxPage(owner)
        page = owner.page
        page.get_by_role("combobox", name="Template").click()
        page.get_by_role("option", name="course_brochure (en)", exact=True).click()
        header = page.get_by_role("group", name="Header file")
        expect(header).to_contain_text("course_brochure needs a document for its header.")
        send = page.get_by_role("button", name="Preview and send")
        expect(send).to_be_disabled()

        with page.expect_file_chooser() as chooser:
            header.get_by_role("button", name="Attach the header document").click()
        chooser.value.set_files(str(brochure))
        expect(header).to_contain_text("Laparoscopy CME brochure.pdf")
        field(page, "Body {{1}}").fill("Rao")
        field(page, "Body {{2}}").fill("Laparoscopy CME")
        send.click()
        dialog = inbox.preview_dialog
        expect(dialog).to_contain_text("Laparoscopy CME brochure.pdf")
        expect(dialog).to_contain_text("Dr. Rao, the brochure for Laparoscopy CME is attached")
        owner.screenshot("18-inbox-template-document-header")
        dialog.get_by_role("button", name="Send", exact=True).click()
        expect(dialog).to_be_hidden()

        def brochure_sent() -> dict[str, Any] | None:
            seen = server.http.get("/simulator/control/received", params={"wa_id": wa_id})
            return next(
                (
                    message
                    for message in seen.json()["messages"]
                    if message["request"].get("template", {}).get("name") == "course_brochure"
                ),
                None,
            )

        sent = wait_for(brochure_sent)
        header_component, body = sent["request"]["template"]["components"]
        assert body["parameters"][1] == {"type": "text", "text": "Laparoscopy CME"}
        [parameter] = header_component["parameters"]
        assert parameter["type"] == "document"
        assert parameter["document"]["filename"] == "Laparoscopy CME brochure.pdf"
        # The id is one the simulator issued for an upload of this very file.
        media = server.http.get(
            f"/simulator/graph/{GRAPH_VERSION}/{parameter['document']['id']}",
            headers={"Authorization": f"Bearer {TOKENS[sent['phone_number_id']]}"},
        )
        assert media.status_code == 200, media.text
        assert media.json()["sha256"] == hashlib.sha256(content).hexdigest()
        # WhatsApp took it: the thread shows it sent, not failed after the fact.
        sent_bubble = inbox.bubble("Template course_brochure")
        expect(
            sent_bubble.get_by_role("img", name=re.compile("^(Sent|Delivered|Read)$"))
        ).to_be_visible()


@pytest.fixture
def with_microphone(
    playwright: Playwright, chromium: str, server: DemoServer
) -> Iterator[Dashboard]:
    """A browser with Chromium's fake microphone (a tone) that the page may use."""
    browser = playwright.chromium.launch(
        executable_path=chromium,
        headless=True,
        args=["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
    )
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    context.grant_permissions(["microphone"], origin=server.url)
    dashboard = Dashboard(context, server.url, screenshot_dir(), [])
    dashboard.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    yield dashboard
    problems = dashboard.console_problems()
    context.close()
    browser.close()
    assert not problems, "The browser reported errors:\n" + "\n".join(problems)


class TestVoiceNotes:
    def test_a_voice_note_recorded_in_the_browser_reaches_the_doctor_as_ogg_opus(
        self,
        with_microphone: Dashboard,
        server: DemoServer,
        owner_headers: dict[str, str],
        take_over: Callable[[int], None],
    ) -> None:
        wa_id, name = a_doctor()
        doctor_writes(server, wa_id, name, "Can you explain the dosage by voice?")
        conversation = conversation_of(server, owner_headers, wa_id)
        take_over(conversation["id"])
        owner = with_microphone
        owner.goto(f"/inbox/{conversation['id']}")
        inbox = InboxPage(owner)
        page = owner.page

        page.get_by_role("button", name="Record voice note").click()
        expect(page.get_by_role("form", name="Reply").get_by_role("status")).to_contain_text(
            "Recording 0:01"
        )
        page.get_by_role("button", name="Stop").click()
        # Listen before sending: the recording plays in the browser.
        listen = page.get_by_role("group", name="Attachment").locator("audio")
        page.wait_for_function(
            "audio => audio.readyState >= 1 && audio.duration > 0.5", arg=listen.element_handle()
        )
        page.get_by_role("button", name="Preview and send").click()
        inbox.preview_dialog.get_by_role("button", name="Send", exact=True).click()
        expect(inbox.preview_dialog).to_be_hidden()

        sent = inbox.messages.locator("audio[aria-label='Voice note']")
        expect(sent).to_have_count(1)
        # What WhatsApp would get is Ogg/Opus that Chromium itself can play.
        page.wait_for_function(
            "audio => audio.readyState >= 1 && audio.duration > 0.5", arg=sent.element_handle()
        )
        status, content_type = fetched(page, sent.get_attribute("src"))
        assert (status, content_type) == (200, "audio/ogg")
        [voice] = wait_for(lambda: received(server, wa_id, "audio") or None)
        assert voice["audio"]["voice"] is True
