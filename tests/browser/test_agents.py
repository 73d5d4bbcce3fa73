"""Agent health in headless Chromium against `surgiai run --demo` started for this module with
the opt-out agent and its standby failing on every run (SURGIAI_CHAOS), so that a doctor's STOP
files a crash report through the real path. Its own server: no other page's test meets them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OWNER_EMAIL, OWNER_PASSWORD, DemoServer, running_demo
from tests.browser.pages import AgentsPage, Dashboard, OverviewPage
from tests.browser.test_dashboard import create_user
from tests.browser.test_inbox import a_doctor, doctor_writes

OpenDashboard = Callable[[], Dashboard]
CHAOS = "opt_out=raise:1.0;opt_out_basic=raise:1.0"


@pytest.fixture(scope="module")
def server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with running_demo(tmp_path_factory.mktemp("agents"), {"SURGIAI_CHAOS": CHAOS}) as demo:
        yield demo


@pytest.fixture
def owner(open_dashboard: OpenDashboard) -> Dashboard:
    dashboard = open_dashboard()
    dashboard.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    return dashboard


class TestAgentHealth:
    def test_an_owner_sees_every_agent_and_disables_then_enables_one(
        self, owner: Dashboard
    ) -> None:
        owner.goto("/")
        overview = OverviewPage(owner)
        overview.page.get_by_role("link", name="Agent health and crash reports").click()
        agents = AgentsPage(owner)
        expect(agents.heading).to_be_visible()
        expect(owner.navigation.get_by_role("link", name="Agents")).to_have_attribute(
            "aria-current", "page"
        )

        greeting = agents.agent("greeting")
        expect(greeting).to_contain_text("Healthy")
        expect(greeting).to_contain_text("Standbyacknowledgement")
        expect(greeting).to_contain_text("CircuitClosed")
        for name in ("acknowledgement", "opt_out", "opt_out_basic", "human_handoff"):
            expect(agents.agent(name)).to_be_visible()
        expect(agents.workers).to_contain_text("Alive")
        expect(agents.workers).to_contain_text("Inside the API")
        owner.screenshot("11-agents")

        agents.switch("greeting", "Disable", reason="Answers in the wrong language")
        expect(owner.page.get_by_text("greeting is disabled.")).to_be_visible()
        expect(greeting).to_contain_text("Disabled")
        expect(greeting).to_contain_text(
            "An admin disabled it (its standby acknowledgement answers instead)."
        )
        owner.screenshot("12-agents-greeting-disabled")

        agents.switch("greeting", "Enable")
        expect(greeting).not_to_contain_text("Disabled")
        expect(greeting.get_by_role("button", name="Disable greeting")).to_be_visible()

    def test_a_viewer_sees_agent_health_but_no_switches(
        self, open_dashboard: OpenDashboard, server: DemoServer
    ) -> None:
        email, password = create_user(server, server.owner_headers(), "viewer")
        viewer = open_dashboard()
        viewer.sign_in_via_api(email, password)
        viewer.goto("/agents")

        agents = AgentsPage(viewer)
        expect(agents.agent("greeting")).to_be_visible()
        expect(
            viewer.page.get_by_text("Only owners and admins can disable or enable")
        ).to_be_visible()
        expect(agents.switch_buttons()).to_have_count(0)

    def test_a_crash_report_arrives_live_with_its_stack_trace(
        self, owner: Dashboard, server: DemoServer
    ) -> None:
        owner.goto("/agents")
        agents = AgentsPage(owner)
        expect(agents.crash_reports).to_contain_text("No crash reports")
        owner.screenshot("13-agents-no-crash-reports")

        # The opt-out agent and its standby both fail on STOP: a person takes over, and the
        # report comes over the WebSocket, without a reload.
        wa_id, name = a_doctor()
        doctor_writes(server, wa_id, name, "STOP")
        report = agents.crash_report("opt_out_basic")
        expect(report).to_be_visible(timeout=30_000)
        expect(report).to_contain_text("ChaosError: SURGIAI_CHAOS: opt_out_basic fails on purpose")
        expect(report).to_have_attribute("aria-expanded", "false")

        report.click()
        expect(report).to_have_attribute("aria-expanded", "true")
        trace = agents.crash_reports.get_by_role("figure", name="Stack trace")
        expect(trace).to_be_visible()
        expect(trace).to_contain_text("Traceback (most recent call last)")
        expect(trace).to_contain_text("ChaosError")
        expect(
            agents.crash_reports.get_by_role("link", name="Open the conversation")
        ).to_be_visible()
        # Its health follows: both agents failed their run.
        expect(agents.agent("opt_out")).to_contain_text("failed", timeout=30_000)
        owner.screenshot("14-agents-crash-report")
