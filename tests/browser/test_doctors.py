"""The Doctors pages in headless Chromium against `surgiai run --demo`: an admin finds a doctor
by search and filter, opens the profile, edits it and overrides the stage with a reason, which
the timeline then shows with their name."""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.conftest import DemoServer
from tests.browser.pages import Dashboard, DoctorsPage, field
from tests.browser.test_dashboard import create_user

OpenDashboard = Callable[[], Dashboard]


def test_an_admin_finds_a_doctor_edits_the_profile_and_overrides_the_stage(
    open_dashboard: OpenDashboard, server: DemoServer, owner_headers: dict[str, str]
) -> None:
    tag = str(time.monotonic_ns())[-6:]
    for index, (name, city) in enumerate([("Meera", "Pune"), ("Vikram", "Chennai")]):
        created = server.http.post(
            "/api/v1/doctors",
            json={
                "name": f"Dr {name} {tag}",
                "phone": f"98{tag}{index}0",
                "city": city,
                "specialty": "Surgeon",
            },
            headers=owner_headers,
        )
        assert created.status_code == 201, created.text

    email, password = create_user(server, owner_headers, "admin")
    admin = open_dashboard()
    admin.sign_in_via_api(email, password)
    admin.goto("/")
    admin.go_to_section("Doctors")
    doctors = DoctorsPage(admin)

    doctors.search(tag)
    expect(doctors.row(f"Dr Meera {tag}")).to_contain_text("Pune")
    expect(doctors.row(f"Dr Vikram {tag}")).to_be_visible()
    field(admin.page, "City").fill("chennai")
    expect(doctors.row(f"Dr Meera {tag}")).to_have_count(0)
    expect(doctors.row(f"Dr Vikram {tag}")).to_contain_text("Chennai")
    admin.screenshot("40-doctors-list")

    doctors.open_profile(f"Dr Vikram {tag}")
    expect(admin.page.get_by_role("heading", name=f"Dr Vikram {tag}")).to_be_visible()

    dialog = doctors.edit()
    field(dialog, "Hospital or clinic").fill("Apollo Greams Road")
    dialog.get_by_role("combobox", name="Stage", exact=True).click()
    admin.page.get_by_role("option", name="qualified", exact=True).click()
    # Overriding the scorer asks for a reason before it can be saved.
    expect(field(dialog, "Reason")).to_have_attribute("required", "")
    field(dialog, "Reason").fill("Asked for a quote at the AICOG stall")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()

    expect(admin.page.get_by_text("Apollo Greams Road")).to_be_visible()
    expect(doctors.score_card).to_contain_text("qualified")
    expect(doctors.score_card).to_contain_text("set by admin")
    expect(doctors.timeline).to_contain_text("Asked for a quote at the AICOG stall")
    expect(doctors.timeline).to_contain_text("Profile edited: hospital")
    admin.screenshot("41-doctor-profile")
