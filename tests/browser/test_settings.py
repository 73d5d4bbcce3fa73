"""The Settings page in headless Chromium against `surgiai run --demo`: an owner's change
sticks and applies everywhere at once; a viewer sees the settings but cannot change them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OWNER_EMAIL, OWNER_PASSWORD, DemoServer
from tests.browser.pages import Dashboard, SettingsPage, field
from tests.browser.test_dashboard import create_user

OpenDashboard = Callable[[], Dashboard]


@pytest.fixture
def restore_settings(server: DemoServer, owner_headers: dict[str, str]) -> Iterator[None]:
    """The demo server is shared with the other browser tests, which need the AI to answer."""
    yield
    restored = server.http.patch(
        "/api/v1/settings",
        json={"business_name": "SurgiAI", "ai_replies_enabled": True},
        headers=owner_headers,
    )
    assert restored.status_code == 200, restored.text


@pytest.mark.usefixtures("restore_settings")
class TestSettings:
    def test_an_owner_renames_the_workspace_and_turns_ai_replies_off_for_good(
        self, open_dashboard: OpenDashboard
    ) -> None:
        owner = open_dashboard()
        owner.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
        owner.goto("/")
        owner.go_to_section("Settings")
        settings = SettingsPage(owner)
        expect(settings.business_name).to_have_value("SurgiAI")
        expect(settings.ai_replies).to_be_checked()
        expect(settings.save_button).to_be_disabled()

        settings.business_name.fill("Rao Surgicals")
        settings.ai_replies.uncheck()
        settings.save_button.click()
        expect(owner.page.get_by_text("Settings saved")).to_be_visible()
        expect(settings.header).to_contain_text("Rao Surgicals")
        expect(owner.page).to_have_title("Rao Surgicals · SurgiAI")
        expect(settings.workspace).to_contain_text("Last changed just now by Owner")
        owner.screenshot("20-settings-owner")

        owner.page.reload()
        expect(settings.business_name).to_have_value("Rao Surgicals")
        expect(settings.ai_replies).not_to_be_checked()
        expect(settings.header).to_contain_text("Rao Surgicals")

    def test_a_viewer_sees_the_settings_read_only_and_follows_changes_live(
        self,
        open_dashboard: OpenDashboard,
        server: DemoServer,
        owner_headers: dict[str, str],
    ) -> None:
        email, password = create_user(server, owner_headers, "viewer")
        viewer = open_dashboard()
        viewer.sign_in_via_api(email, password)
        viewer.goto("/settings")
        settings = SettingsPage(viewer)

        expect(settings.workspace).to_contain_text("Read-only for your role")
        expect(settings.business_name).not_to_be_editable()
        expect(settings.ai_replies).to_be_disabled()
        expect(settings.save_button).to_have_count(0)
        # Their own account is theirs to change.
        expect(field(settings.form("Profile"), "Name")).to_be_editable()
        viewer.screenshot("21-settings-viewer")

        changed = server.http.patch(
            "/api/v1/settings", json={"business_name": "Live Surgicals"}, headers=owner_headers
        )
        assert changed.status_code == 200, changed.text
        expect(settings.business_name).to_have_value("Live Surgicals")
        expect(settings.header).to_contain_text("Live Surgicals")
