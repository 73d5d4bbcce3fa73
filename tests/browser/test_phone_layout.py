"""The Numbers and Users pages on a 390 px phone (issue 18, 12): each row is a card whose
actions are on screen, not past the right edge of a table scrolled sideways."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import OWNER_EMAIL, OWNER_PASSWORD, DemoServer, screenshot_dir
from tests.browser.pages import PHONE, Dashboard, NumbersPage, UsersPage
from tests.browser.test_dashboard import create_user

OpenDashboard = Callable[[], Dashboard]


@pytest.fixture
def phone(open_dashboard: OpenDashboard) -> Dashboard:
    dashboard = open_dashboard()
    dashboard.page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    dashboard.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    return dashboard


def assert_actions_on_screen(page: Page, rows: Locator) -> int:
    """Every button and choice of every row lies within the phone's width (without scrolling
    sideways, which a table too wide for the screen would need); returns how many there were."""
    width = PHONE[0]
    controls = 0
    for index in range(rows.count()):
        row = rows.nth(index)
        actions = row.locator("button, input:not([type=hidden])")
        for action in (actions.nth(i) for i in range(actions.count())):
            if not action.is_visible():
                continue
            box = action.bounding_box()
            assert box is not None
            name = action.get_attribute("aria-label") or action.inner_text()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (
                f"{name!r} spans {box['x']:.0f} to {box['x'] + box['width']:.0f} px on a "
                f"{width} px screen"
            )
            controls += 1
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page scrolls sideways ({scroll_width} px)"
    return controls


def phone_screenshot(page: Page, name: str) -> None:
    page.screenshot(
        path=screenshot_dir() / f"{name}-phone-{PHONE[0]}x{PHONE[1]}.png", full_page=True
    )


class TestOnAPhone:
    def test_every_numbers_actions_are_on_screen(self, phone: Dashboard) -> None:
        phone.goto("/numbers")
        page = NumbersPage(phone)
        expect(page.refresh_buttons().first).to_be_visible()
        rows = phone.page.locator("[data-testid^='number-']")

        controls = assert_actions_on_screen(phone.page, rows)

        # Details, Refresh health and Edit at least, for each demo number.
        assert controls >= 3 * 2
        phone.page.evaluate("window.scrollTo(0, 0)")
        phone_screenshot(phone.page, "12-numbers")

    def test_every_users_actions_are_on_screen(
        self, phone: Dashboard, server: DemoServer, owner_headers: dict[str, str]
    ) -> None:
        create_user(server, owner_headers, "agent")
        phone.goto("/users")
        users = UsersPage(phone)
        expect(users.cards().first).to_be_visible()
        expect(phone.page.get_by_role("button", name="Edit Vera Agent").first).to_be_visible()

        controls = assert_actions_on_screen(phone.page, users.cards())

        # Role, Edit, Reset password and Deactivate for the agent at least.
        assert controls >= 4
        phone.page.evaluate("window.scrollTo(0, 0)")
        phone_screenshot(phone.page, "12-users")
