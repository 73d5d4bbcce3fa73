"""The Segments page in headless Chromium against `surgiai run --demo`: a team member builds a
segment watching the live count, saves it, renames it and deletes it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.conftest import DemoServer
from tests.browser.pages import Dashboard, SegmentsPage
from tests.browser.test_dashboard import create_user

OpenDashboard = Callable[[], Dashboard]


def test_a_team_member_builds_saves_renames_and_deletes_a_segment(
    open_dashboard: OpenDashboard, server: DemoServer, owner_headers: dict[str, str]
) -> None:
    tag = str(time.monotonic_ns())[-6:]

    email, password = create_user(server, owner_headers, "agent")
    agent = open_dashboard()
    agent.sign_in_via_api(email, password)
    agent.goto("/")
    agent.go_to_section("Segments")
    segments = SegmentsPage(agent)

    segments.name(f"Takes offers {tag}")
    segments.choose_consent("Takes marketing")
    # The demo's doctors keep writing in, so this count moves; the next one cannot.
    expect(segments.count).to_have_text(re.compile(r"^(1 doctor matches|[\d,]+ doctors match)$"))
    segments.add_value("Specialty", f"Specialty {tag}")
    expect(segments.count).to_have_text("0 doctors match")
    agent.screenshot("40-segments-builder")

    segments.save()
    expect(segments.row(f"Takes offers {tag}")).to_contain_text(f"Specialty {tag}")
    expect(segments.row(f"Takes offers {tag}")).to_contain_text("0")

    segments.edit(f"Takes offers {tag}")
    segments.name(f"Renamed {tag}")
    segments.save()
    expect(segments.row(f"Renamed {tag}")).to_be_visible()
    expect(segments.row(f"Takes offers {tag}")).to_have_count(0)

    segments.delete(f"Renamed {tag}")
    expect(segments.row(f"Renamed {tag}")).to_have_count(0)
    assert agent.console_problems() == []
