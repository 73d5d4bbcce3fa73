"""Phones, time zones and colleagues' accounts in headless Chromium (issue 18, items 4, 5, 9):
a phone typed without its country code is shown as it will be saved (+91 for India) and an
impossible one is refused with the reason; the time-zone picker finds Kolkata by its old name;
an admin edits a colleague and gives them a one-time link to choose a new password."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OWNER_EMAIL, OWNER_PASSWORD, DemoServer
from tests.browser.pages import Dashboard, LoginPage, OverviewPage, SettingsPage, UsersPage, field

OpenDashboard = Callable[[], Dashboard]


@pytest.fixture
def owner(open_dashboard: OpenDashboard) -> Dashboard:
    dashboard = open_dashboard()
    dashboard.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    return dashboard


@pytest.fixture
def restore_owner(server: DemoServer, owner_headers: dict[str, str]) -> Iterator[None]:
    """The demo server is shared: the owner's phone and the time zone go back as they were."""
    before = server.http.get("/api/v1/settings", headers=owner_headers).json()["timezone"]
    yield
    server.http.patch("/api/v1/auth/me", json={"phone": None}, headers=owner_headers)
    server.http.patch("/api/v1/settings", json={"timezone": before}, headers=owner_headers)


@pytest.mark.usefixtures("restore_owner")
class TestPhonesAndTimeZones:
    def test_a_phone_without_country_code_is_saved_as_indian_and_an_impossible_one_refused(
        self, owner: Dashboard, server: DemoServer, owner_headers: dict[str, str]
    ) -> None:
        owner.tolerate("status of 422")
        owner.goto("/settings")
        profile = SettingsPage(owner).form("Profile")
        phone = field(profile, "WhatsApp phone")

        phone.fill("12345")
        expect(profile.get_by_test_id("phone-preview")).to_contain_text(
            "'12345' has too few or too many digits for its country"
        )
        profile.get_by_role("button", name="Save profile").click()
        expect(profile.get_by_role("alert")).to_contain_text("has too few or too many digits")

        phone.fill("98765 43210")
        expect(profile.get_by_test_id("phone-preview")).to_have_text(
            "Will be saved as +91 98765 43210"
        )
        owner.screenshot("30-settings-phone-preview")
        profile.get_by_role("button", name="Save profile").click()
        expect(owner.page.get_by_text("Account saved")).to_be_visible()
        me = server.http.get("/api/v1/auth/me", headers=owner_headers).json()
        assert me["phone"] == "919876543210"
        expect(phone).to_have_value("+919876543210")

    def test_the_time_zone_picker_finds_kolkata_by_its_old_name(
        self, owner: Dashboard, server: DemoServer, owner_headers: dict[str, str]
    ) -> None:
        owner.goto("/settings")
        settings = SettingsPage(owner)
        expect(settings.time_zone).to_have_value(re.compile(r".+"))

        settings.choose_time_zone("Calcutta", "Asia/Kolkata")
        settings.save_button.click()

        expect(owner.page.get_by_text("Settings saved")).to_be_visible()
        saved = server.http.get("/api/v1/settings", headers=owner_headers).json()
        assert saved["timezone"] == "Asia/Kolkata"
        # Typing replaces the query rather than adding to the zone already chosen.
        settings.time_zone.click()
        owner.page.keyboard.type("IST")
        expect(settings.time_zone).to_have_value("IST")
        expect(owner.page.get_by_role("option", name=re.compile(r"^Asia\/Kolkata"))).to_be_visible()
        owner.screenshot("31-settings-time-zone")


class TestColleagues:
    def test_an_admin_edits_a_colleague_and_gives_them_a_one_time_reset_link(
        self,
        owner: Dashboard,
        open_dashboard: OpenDashboard,
        server: DemoServer,
        owner_headers: dict[str, str],
    ) -> None:
        tag = time.monotonic_ns() % 100_000
        email, first_name, name = (
            f"kavya-{tag}@surgiai.test",
            f"Kavya {tag}",
            f"Dr Kavya Iyer {tag}",
        )
        created = server.http.post(
            "/api/v1/users",
            json={"email": email, "name": first_name, "role": "agent", "password": "agent pass 1"},
            headers=owner_headers,
        )
        assert created.status_code == 201, created.text
        owner.goto("/users")
        users = UsersPage(owner)

        form = users.edit(first_name)
        field(form, "Name").fill(name)
        field(form, "WhatsApp phone").fill("98200 45118")
        expect(form.get_by_test_id("phone-preview")).to_have_text(
            "Will be saved as +91 98200 45118"
        )
        form.get_by_role("combobox", name="Role").click()
        owner.page.get_by_role("option", name=re.compile(r"^Viewer: ")).click()
        form.get_by_role("button", name="Save changes").click()
        expect(form.get_by_role("alertdialog")).to_contain_text("will be Viewer instead of Agent")
        form.get_by_role("button", name=re.compile(r"^Yes, make .* Viewer$")).click()
        expect(form).to_be_hidden()
        expect(users.row(name)).to_contain_text("+919820045118")
        link = users.make_reset_link(name)

        colleague = open_dashboard()
        # A spent link is refused (404) on purpose below.
        colleague.tolerate("status of 404")
        colleague.page.goto(link)
        reset = colleague.page.get_by_role("form", name="Choose a new password")
        expect(reset).to_contain_text(email)
        new_password = "theatre list at seven"
        reset.get_by_label(re.compile(r"^New password")).fill(new_password)
        reset.get_by_label(re.compile(r"^Confirm new password")).fill(new_password)
        colleague.screenshot("32-reset-password")
        reset.get_by_role("button", name="Set new password").click()
        expect(colleague.page.get_by_text("Password changed")).to_be_visible()

        # The same link again, opened afresh: it is spent.
        colleague.page.goto("about:blank")
        colleague.page.goto(link)
        expect(colleague.page.get_by_role("alert")).to_contain_text("used already")
        colleague.goto("/login")
        expect(colleague.page.get_by_text(re.compile("one-time reset link"))).to_be_visible()
        LoginPage(colleague).log_in(email, new_password)
        expect(OverviewPage(colleague).heading).to_be_visible()
