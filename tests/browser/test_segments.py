"""The Segments page in headless Chromium against `surgiai run --demo`: a team member builds a
segment watching the live count, saves it, renames it and deletes it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.conftest import OWNER_EMAIL, OWNER_PASSWORD, DemoServer
from tests.browser.pages import Dashboard, SegmentsPage
from tests.browser.test_dashboard import create_user, numbers

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


def test_a_segment_of_recent_writers_on_one_number_counts_what_the_api_counts(
    open_dashboard: OpenDashboard, server: DemoServer, owner_headers: dict[str, str]
) -> None:
    """Moving windows and the sending number, as a re-engagement list is built."""
    tag = str(time.monotonic_ns())[-6:]
    number = numbers(server, owner_headers)[0]
    owner = open_dashboard()
    owner.sign_in_via_api(OWNER_EMAIL, OWNER_PASSWORD)
    owner.goto("/segments")
    segments = SegmentsPage(owner)

    segments.name(f"Silent a year {tag}")
    segments.window("Silent for at least", 365)
    segments.window("Nothing sent for", 365)
    segments.choose_number(number["label"])
    # Nobody in a fresh demo has been silent for a year, with a sticky number: none match.
    filters = {"inbound_silent_days": 365, "outbound_silent_days": 365, "number_id": number["id"]}
    counted = server.http.post("/api/v1/segments/count", json=filters, headers=owner_headers)
    assert counted.json()["count"] == 0
    expect(segments.count).to_have_text("0 doctors match")
    segments.save()
    row = segments.row(f"Silent a year {tag}")
    expect(row).to_contain_text("Silent 365 days+ · Nothing sent 365 days+")
    expect(row).to_contain_text(f"Via {number['label']}")
    [saved] = [
        segment
        for segment in server.http.get("/api/v1/segments", headers=owner_headers).json()
        if segment["name"] == f"Silent a year {tag}"
    ]
    assert {key: value for key, value in saved["filters"].items() if value} == filters
    assert owner.console_problems() == []
