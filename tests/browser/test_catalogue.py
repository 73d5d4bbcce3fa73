"""The Catalogue page in headless Chromium against `surgiai run --demo`: an admin imports a
price list, sees the products, edits a price and confirms a course read from a brochure."""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.conftest import DemoServer
from tests.browser.pages import CataloguePage, Dashboard, field
from tests.browser.test_dashboard import create_user

OpenDashboard = Callable[[], Dashboard]


def test_an_admin_imports_a_price_list_edits_a_price_and_confirms_a_course(
    open_dashboard: OpenDashboard, server: DemoServer, owner_headers: dict[str, str]
) -> None:
    tag = str(time.monotonic_ns())[-6:]
    course_title = f"Hernia Masterclass {tag}"
    created = server.http.post(
        "/api/v1/courses",
        json={
            "title": course_title,
            "starts_on": "2027-01-12",
            "ends_on": "2027-01-13",
            "venue": "AIIMS, New Delhi",
            "city": "New Delhi",
            "fee": "15000",
            "cme_credits": "8",
            "seats": 30,
            "status": "extracted",
        },
        headers=owner_headers,
    )
    assert created.status_code == 201, created.text
    price_list = (
        "Cat. No.,Product Name,Pack Size,MRP (₹)\n"
        f'VC-{tag},Vicryl 2-0 {tag},Box of 12,"₹ 1,25,000"\n'
        f'PR-{tag},Prolene 3-0 {tag},Box of 12,"Rs. 1,950/-"\n'
        f"BAD-{tag},,1,100\n"
    ).encode("utf-8-sig")

    email, password = create_user(server, owner_headers, "admin")
    admin = open_dashboard()
    admin.sign_in_via_api(email, password)
    admin.goto("/")
    admin.go_to_section("Catalogue")
    catalogue = CataloguePage(admin)

    dialog = catalogue.import_file("price-list.csv", price_list)
    report = dialog.get_by_role("region", name="Import report")
    expect(report).to_contain_text("2 added")
    expect(report.get_by_role("table", name="Rejected rows")).to_contain_text("no product name")
    admin.screenshot("30-catalogue-import")
    dialog.get_by_role("button", name="Done").click()

    catalogue.search(tag)
    vicryl = catalogue.product_row(f"Vicryl 2-0 {tag}")
    expect(vicryl).to_contain_text("₹ 1,25,000")
    expect(vicryl).to_contain_text(f"VC-{tag}")
    expect(catalogue.product_row(f"Prolene 3-0 {tag}")).to_contain_text("₹ 1,950")

    form = catalogue.edit_product(f"Vicryl 2-0 {tag}")
    price = field(form, "Price (₹)")
    price.fill("1,30,000")
    form.get_by_role("button", name="Save").click()
    expect(form).to_be_hidden()
    expect(vicryl).to_contain_text("₹ 1,30,000")
    expect(vicryl).to_contain_text("edited by admin")
    admin.screenshot("31-catalogue-products")

    catalogue.open_courses()
    course = catalogue.course_row(course_title)
    expect(course).to_contain_text("Awaiting confirmation")
    expect(course).to_contain_text("12\u201313 Jan 2027")
    course.get_by_role("button", name=f"Confirm {course_title}").click()
    expect(course).to_contain_text("Confirmed")
    admin.screenshot("32-catalogue-courses")

    stored = server.http.get(f"/api/v1/courses/{created.json()['id']}", headers=owner_headers)
    assert stored.json()["status"] == "confirmed"
