"""The dashboard as admins use it, in headless Chromium against `surgiai run --demo`."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from playwright.sync_api import expect

from surgiai.demo import DEMO_NUMBERS, DEMO_WABA_ID
from tests.browser.conftest import OWNER_EMAIL, OWNER_PASSWORD, DemoServer
from tests.browser.pages import (
    Dashboard,
    LoginPage,
    NumbersPage,
    OverviewPage,
    UsersPage,
    field,
)

OpenDashboard = Callable[[], Dashboard]
SALES, COURSES = (number.label for number in DEMO_NUMBERS)
COURSES_PNID = DEMO_NUMBERS[1].phone_number_id
T = TypeVar("T")


def wait_for(check: Callable[[], T | None], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.25)
    raise AssertionError("condition not met in time")


def numbers(server: DemoServer, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer: list[dict[str, Any]] = server.http.get("/api/v1/numbers", headers=headers).json()
    return answer


@pytest.fixture(scope="module")
def demo_numbers_checked(server: DemoServer, owner_headers: dict[str, str]) -> None:
    """The demo numbers' first health check (queued at start) has come back from WhatsApp."""
    wait_for(
        lambda: all(
            n["health"]["status"] == "CONNECTED"
            for n in numbers(server, owner_headers)
            if n["label"] in {SALES, COURSES}
        ),
        timeout=60,
    )


@pytest.fixture
def owner(open_dashboard: OpenDashboard, demo_numbers_checked: None) -> Dashboard:
    dashboard = open_dashboard()
    dashboard.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    return dashboard


def create_user(server: DemoServer, headers: dict[str, str], role: str) -> tuple[str, str]:
    email, password = f"{role}-{time.monotonic_ns()}@surgiai.test", f"{role} password 123"
    created = server.http.post(
        "/api/v1/users",
        json={"email": email, "name": f"Vera {role.title()}", "role": role, "password": password},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return email, password


class TestLogin:
    def test_owner_logs_in_and_sees_both_demo_numbers_with_their_health(
        self, open_dashboard: OpenDashboard, demo_numbers_checked: None
    ) -> None:
        dashboard = open_dashboard()
        dashboard.goto("/numbers")
        expect(dashboard.page).to_have_url(re.compile(r"/login$"))
        login = LoginPage(dashboard)
        dashboard.screenshot("01-login")

        dashboard.tolerate(r"status of 401")
        login.log_in(OWNER_EMAIL, "not the password")
        expect(login.error).to_contain_text("Wrong email or password.")
        dashboard.screenshot("02-login-refused")

        login.log_in(OWNER_EMAIL, OWNER_PASSWORD)
        # Back to the page that asked for the login.
        expect(dashboard.page).to_have_url(re.compile(r"/numbers$"))
        dashboard.go_to_section("Overview")

        overview = OverviewPage(dashboard)
        expect(overview.heading).to_be_visible()
        for label in (SALES, COURSES):
            card = overview.number_card(label)
            expect(card).to_contain_text("Sending")
            expect(card).to_contain_text("Quality: High")
            expect(card).to_contain_text("Messaging tier")
        dashboard.screenshot("03-overview")

        dashboard.log_out()
        dashboard.goto("/")
        expect(dashboard.page).to_have_url(re.compile(r"/login$"))


class TestNumbers:
    def test_owner_adds_a_cloud_api_number_and_sees_its_health_arrive(
        self, owner: Dashboard, server: DemoServer
    ) -> None:
        # The number exists on WhatsApp's side (the simulator) before it is added here.
        pnid, token = "100000000000077", "demo-token-support-077"
        server.http.post(
            f"/simulator/control/numbers/{pnid}",
            json={
                "waba_id": DEMO_WABA_ID,
                "display_phone_number": "15550100077",
                "verified_name": "SurgiAI Support",
                "access_token": token,
                "tier": "TIER_10K",
            },
        ).raise_for_status()

        owner.goto("/numbers")
        page = NumbersPage(owner)
        expect(page.row(SALES)).to_contain_text("Sending")
        form = page.add_number(
            {
                "Name": "Support",
                "Phone number": "15550100077",
                "Phone number ID": pnid,
                "WhatsApp Business Account ID": DEMO_WABA_ID,
                "Access token": token,
            }
        )
        owner.screenshot("04-numbers-add-dialog")
        form.get_by_role("button", name="Add number").click()
        expect(form).to_be_hidden()

        row = page.row("Support")
        expect(row).to_contain_text("+15550100077")
        expect(row).to_contain_text("Sending", timeout=40_000)
        expect(row).to_contain_text("10K doctors / 24 h")
        owner.screenshot("05-numbers")

        row.get_by_role("button", name="Refresh health of Support").click()
        expect(
            owner.page.get_by_text("Support updates as soon as WhatsApp answers.")
        ).to_be_visible()

        row.get_by_role("button", name="Edit Support").click()
        form = owner.page.get_by_role("form", name="Edit Support")
        field(form, "Name").fill("Support desk")
        form.get_by_role("button", name="Save changes").click()
        expect(form).to_be_hidden()
        expect(page.row("Support desk")).to_contain_text("+15550100077")

    def test_a_paused_number_says_why_and_an_owner_resumes_it(
        self, owner: Dashboard, server: DemoServer, owner_headers: dict[str, str]
    ) -> None:
        # WhatsApp refuses the next send from the courses number for spam (131048).
        server.http.post(
            "/simulator/control/faults",
            json={"code": 131048, "phone_number_id": COURSES_PNID, "count": 1},
        ).raise_for_status()
        courses_id = next(n["id"] for n in numbers(server, owner_headers) if n["label"] == COURSES)
        sent = server.http.post(
            "/api/v1/messages",
            json={
                "to": "919811122299",
                "type": "template",
                "template": {
                    "name": "follow_up",
                    "language": {"code": "en"},
                    "components": [
                        {"type": "body", "parameters": [{"type": "text", "text": "Dr. Rao"}]}
                    ],
                },
                "number_id": courses_id,
            },
            headers=owner_headers,
        )
        assert sent.status_code == 202, sent.text
        wait_for(
            lambda: any(
                n["health"]["paused"]
                for n in numbers(server, owner_headers)
                if n["id"] == courses_id
            )
        )

        owner.goto("/numbers")
        page = NumbersPage(owner)
        row = page.row(COURSES)
        expect(row).to_contain_text("Paused")
        expect(row).to_contain_text("131048")
        owner.screenshot("06-numbers-paused")
        details = page.open_details(COURSES)
        expect(details).to_contain_text("Why this number is paused")
        owner.screenshot("07-number-paused-details")
        owner.page.keyboard.press("Escape")
        expect(details).to_be_hidden()

        row.get_by_role("button", name=f"Resume {COURSES}").click()
        expect(row).not_to_contain_text("Paused")
        expect(owner.page.get_by_text(f"{COURSES} sends again.")).to_be_visible()

        owner.goto("/")
        expect(OverviewPage(owner).number_card(COURSES)).to_contain_text("Sending normally.")

    def test_the_dashboard_updates_live_when_a_numbers_health_changes(
        self, owner: Dashboard, server: DemoServer, owner_headers: dict[str, str]
    ) -> None:
        owner.goto("/")
        expect(
            owner.page.get_by_role("status", name=re.compile(r"^Live updates: Live"))
        ).to_be_visible()
        card = OverviewPage(owner).number_card(SALES)
        expect(card).to_contain_text("Quality: High")

        sales_pnid = DEMO_NUMBERS[0].phone_number_id
        server.http.post(
            f"/simulator/control/numbers/{sales_pnid}",
            json={"quality_rating": "YELLOW"},
        ).raise_for_status()
        sales_id = next(n["id"] for n in numbers(server, owner_headers) if n["label"] == SALES)
        server.http.post(
            f"/api/v1/numbers/{sales_id}/refresh", headers=owner_headers
        ).raise_for_status()

        # No reload; and while live the page does not poll, so only the event can bring it.
        expect(card).to_contain_text("Quality: Medium", timeout=20_000)


class TestRoles:
    def test_a_viewer_sees_health_but_no_controls(
        self,
        open_dashboard: OpenDashboard,
        server: DemoServer,
        owner_headers: dict[str, str],
        demo_numbers_checked: None,
    ) -> None:
        email, password = create_user(server, owner_headers, "viewer")
        viewer = open_dashboard()
        viewer.sign_in_via_api(email, password)
        viewer.goto("/")
        expect(OverviewPage(viewer).number_card(SALES)).to_contain_text("Sending")
        expect(viewer.navigation).not_to_contain_text("Users and roles")

        # Keyboard only: skip link, then the navigation.
        viewer.page.keyboard.press("Tab")
        expect(viewer.page.get_by_role("link", name="Skip to content")).to_be_focused()
        viewer.navigation.get_by_role("link", name="Numbers").focus()
        viewer.page.keyboard.press("Enter")
        expect(viewer.page).to_have_url(re.compile(r"/numbers$"))

        page = NumbersPage(viewer)
        expect(page.row(SALES)).to_contain_text("Sending")
        expect(page.add_button).to_have_count(0)
        expect(page.edit_buttons()).to_have_count(0)
        expect(page.refresh_buttons()).to_have_count(0)
        details = page.open_details(SALES)
        expect(details).to_contain_text("Phone number ID")
        expect(details.get_by_role("button", name="Edit number")).to_have_count(0)
        viewer.page.keyboard.press("Escape")
        viewer.screenshot("08-numbers-as-viewer")

        viewer.goto("/users")
        expect(viewer.page.get_by_role("alert")).to_contain_text("cannot manage users")

    def test_owner_adds_a_user_changes_the_role_and_deactivates_them(
        self, owner: Dashboard
    ) -> None:
        owner.goto("/users")
        users = UsersPage(owner)
        expect(users.row("Owner")).to_contain_text(OWNER_EMAIL)
        name = f"Arjun Agent {time.monotonic_ns() % 10_000}"
        users.add_user(
            name, f"arjun-{time.monotonic_ns()}@surgiai.test", "Agent", "agent password 1"
        )
        row = users.row(name)
        expect(row).to_contain_text("Active")

        # A role change is confirmed first, naming the person and both roles.
        confirm = users.change_role(name, "Viewer")
        expect(confirm).to_contain_text(f"{name} (arjun-")
        expect(confirm).to_contain_text("from Agent to Viewer")
        confirm.get_by_role("button", name="Cancel").click()
        expect(confirm).to_be_hidden()
        expect(users.role(name)).to_have_value("Agent")
        confirm = users.change_role(name, "Viewer")
        confirm.get_by_role("button", name="Make Viewer").click()
        expect(owner.page.get_by_text(f"{name} is now Viewer.")).to_be_visible()
        expect(users.role(name)).to_have_value("Viewer")
        row.get_by_role("button", name=f"Deactivate {name}").click()
        expect(row).to_contain_text("Deactivated")
        expect(row.get_by_role("button", name=f"Reactivate {name}")).to_be_visible()
        owner.screenshot("09-users")


# Every Content-Security-Policy violation on the page, whatever reported it.
RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


class TestContentSecurityPolicy:
    def test_every_section_works_under_the_dashboards_policy(self, owner: Dashboard) -> None:
        page = owner.page
        page.add_init_script(RECORD_CSP_VIOLATIONS)
        response = page.goto(owner.base_url + "/")
        assert response is not None
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["x-frame-options"] == "DENY"
        links = owner.navigation.get_by_role("link")
        expect(links.first).to_be_visible()
        names = [name for name in links.all_inner_texts() if name.strip()]
        assert len(names) > 3
        for name in names:
            label = name.strip().splitlines()[0]
            owner.go_to_section(label)
            expect(page.get_by_role("heading", level=1).first).to_be_visible()
        # The live connection opened under the policy (connect-src) and said hello.
        expect(
            page.get_by_role("status", name=re.compile(r"^Live updates: Live\."))
        ).to_be_visible()
        assert page.evaluate("window.cspViolations") == []
