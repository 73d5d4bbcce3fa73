"""The overview's traffic and leads trend in headless Chromium against `surgiai run --demo`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OWNER_EMAIL, OWNER_PASSWORD, DemoServer
from tests.browser.pages import Dashboard, OverviewPage
from tests.browser.test_dashboard import wait_for
from tests.browser.test_inbox import a_doctor, doctor_writes

OpenDashboard = Callable[[], Dashboard]


@pytest.fixture
def owner(open_dashboard: OpenDashboard) -> Dashboard:
    dashboard = open_dashboard()
    dashboard.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    return dashboard


def today(server: DemoServer, headers: dict[str, str]) -> dict[str, Any]:
    answer = server.http.get("/api/v1/stats/traffic", params={"days": 1}, headers=headers)
    answer.raise_for_status()
    day: dict[str, Any] = answer.json()["today"]
    return day


class TestTrafficTrend:
    def test_the_overview_draws_todays_messages_and_new_doctors(
        self, owner: Dashboard, server: DemoServer, owner_headers: dict[str, str]
    ) -> None:
        wa_id, name = a_doctor()
        doctor_writes(server, wa_id, name, "Hello, is the 5 mm trocar in stock?")
        wait_for(lambda: today(server, owner_headers)["new_doctors"] >= 1)

        owner.goto("/")
        overview = OverviewPage(owner)
        trend = overview.traffic
        expect(trend.get_by_text("From doctors today")).to_be_visible()
        expect(trend).to_contain_text(re.compile(r"\d+ messages? from doctors"))
        # The chart is drawn (its library loads after the figures) with a legend per series.
        expect(overview.traffic_chart.locator("svg.recharts-surface").first).to_be_visible()
        legend = overview.traffic_chart.get_by_role("list")
        expect(legend.get_by_role("listitem")).to_have_text(
            ["From doctors", "To doctors", "Failed", "New doctors"]
        )
        # Screen readers get every day as a row: 14 by default.
        expect(overview.traffic_table.get_by_role("row")).to_have_count(15)
        owner.screenshot("10-overview-trend")

        overview.period("7 days")
        expect(overview.traffic_table.get_by_role("row")).to_have_count(8)
        expect(trend.get_by_role("radio", name="7 days")).to_be_checked()
