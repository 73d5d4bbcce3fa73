"""Importing doctors in headless Chromium against `surgiai run --demo`: an admin chooses a file
whose number column has an unusual name, maps it, checks the preview, imports, and reads the
report with the rejected rows."""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.conftest import DemoServer
from tests.browser.pages import Dashboard, DoctorImportPage
from tests.browser.test_dashboard import create_user

OpenDashboard = Callable[[], Dashboard]


def test_an_admin_maps_a_column_previews_and_imports_doctors(
    open_dashboard: OpenDashboard, server: DemoServer, owner_headers: dict[str, str]
) -> None:
    tag = str(time.monotonic_ns())[-6:]
    numbers = [f"98{tag}{index:02d}" for index in range(2)]
    listing = (
        "Dr Name,Phone 1,City\n"
        f"डॉ. अनीता {tag},{numbers[0]},Jaipur\n"
        f"Dr. Rao {tag},+91 {numbers[1]},Pune\n"
        f"Dr. Typo {tag},98765abcde,Pune\n"
    ).encode("utf-8-sig")

    email, password = create_user(server, owner_headers, "admin")
    admin = open_dashboard()
    admin.sign_in_via_api(email, password)
    admin.goto("/doctors/import")
    importer = DoctorImportPage(admin)
    importer.choose_file("doctors.csv", listing)
    # "Phone 1" is not a header SurgiAI recognises: nothing can be imported until it is mapped.
    expect(importer.form.get_by_role("button", name="Import", exact=True)).to_be_disabled()
    importer.map_column("Mobile number", "Phone 1")
    expect(importer.preview).to_contain_text(f"+91{numbers[1]}")
    expect(importer.preview).to_contain_text("has letters in it")
    admin.screenshot("40-doctor-import-preview")

    report = importer.start()
    expect(report).to_contain_text("2 added")
    expect(report).to_contain_text("1 rejected")
    rejected = report.get_by_role("table", name="Rejected rows")
    expect(rejected).to_contain_text("98765abcde")
    expect(report.get_by_role("button", name="Download rejected rows (CSV)")).to_be_visible()
    admin.screenshot("41-doctor-import-report")

    exported = server.http.get("/api/v1/doctors/export", params={"q": tag}, headers=owner_headers)
    assert exported.status_code == 200
    assert f"डॉ. अनीता {tag}" in exported.content.decode("utf-8-sig")
