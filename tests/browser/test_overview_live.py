"""The overview's figures move with the live events in headless Chromium against
`surgiai run --demo`: a doctor's message shows in today's figures within seconds, not at the
next minute's poll."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.conftest import OWNER_EMAIL, OWNER_PASSWORD, DemoServer
from tests.browser.pages import Dashboard, OverviewPage
from tests.browser.test_inbox import a_doctor, doctor_writes

OpenDashboard = Callable[[], Dashboard]
# Well before the minute the figures used to wait for.
LIVE_TIMEOUT_MS = 6_000


@pytest.fixture
def owner(open_dashboard: OpenDashboard) -> Dashboard:
    dashboard = open_dashboard()
    dashboard.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    return dashboard


def figure(trend: Locator, label: str) -> Locator:
    """The value shown under a figure's label."""
    return trend.get_by_text(label, exact=True).locator("xpath=following-sibling::*[1]")


def count(text: str) -> int:
    return int(re.sub(r"\D", "", text))


class TestLiveOverview:
    def test_a_doctors_message_moves_todays_figures_within_seconds(
        self, owner: Dashboard, server: DemoServer
    ) -> None:
        owner.goto("/")
        trend = OverviewPage(owner).traffic
        from_doctors = figure(trend, "From doctors today")
        new_doctors = figure(trend, "New doctors today")
        expect(from_doctors).to_have_text(re.compile(r"\d"))
        before_text, doctors_before_text = from_doctors.inner_text(), new_doctors.inner_text()
        before, doctors_before = count(before_text), count(doctors_before_text)

        wa_id, name = a_doctor()
        doctor_writes(server, wa_id, name, "Veress needle 120mm available?")

        # The simulated doctors write too: the figure grows by at least this message.
        expect(from_doctors).not_to_have_text(before_text, timeout=LIVE_TIMEOUT_MS)
        assert count(from_doctors.inner_text()) > before
        expect(new_doctors).not_to_have_text(doctors_before_text, timeout=LIVE_TIMEOUT_MS)
        assert count(new_doctors.inner_text()) > doctors_before
