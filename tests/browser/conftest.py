"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright through its
`executable_path` (no browser is ever downloaded), against `surgiai run --demo` started once for
these tests on a free port. Screenshots of every page go to one folder per run, printed at the
end (set SURGIAI_SCREENSHOTS to choose it).

Without Chromium the tests skip, and fail under SURGIAI_REQUIRE_SERVICES=1 (CI); without a
dashboard build (`make install`) they fail."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Playwright, expect, sync_playwright

from surgiai.web import STATIC_DIR
from tests.browser.pages import Dashboard
from tests.conftest import service_missing
from tests.services import base_env, free_port

CHROMIUM = os.environ.get("SURGIAI_CHROMIUM", "/usr/bin/chromium")
OWNER_EMAIL = "owner@surgiai.test"
OWNER_PASSWORD = "browser owner password"

_screenshots: Path | None = None

# Machines shared with other work can be slow for a moment; a person would wait too.
expect.set_options(timeout=15_000)


def screenshot_dir() -> Path:
    global _screenshots
    if _screenshots is None:
        chosen = os.environ.get("SURGIAI_SCREENSHOTS")
        if chosen:
            _screenshots = Path(chosen)
            _screenshots.mkdir(parents=True, exist_ok=True)
        else:
            _screenshots = Path(tempfile.mkdtemp(prefix="surgiai-dashboard-"))
    return _screenshots


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _screenshots is not None:
        terminalreporter.write_line(f"Dashboard screenshots: {_screenshots}")


class DemoServer:
    """`surgiai run --demo` as an operator starts it, with the owner from the environment."""

    def __init__(self, tmp: Path, settings: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "server.log"
        # Generous: on a busy two-core machine the first requests after start can be slow.
        self.http = httpx.Client(base_url=self.url, timeout=30)
        env = base_env(tmp, f"sqlite:///{tmp / 'surgiai.db'}")
        env["SURGIAI_ADMIN_EMAIL"] = OWNER_EMAIL
        env["SURGIAI_ADMIN_PASSWORD"] = OWNER_PASSWORD
        env.update(settings or {})
        # A file, not a pipe: nobody reads the server's output while the tests run.
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "surgiai", "run", "--demo", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"surgiai run --demo exited:\n{self.output()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"surgiai run --demo did not answer /healthz:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text()[-4000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        self.http.close()

    def owner_headers(self) -> dict[str, str]:
        login = self.http.post(
            "/api/v1/auth/login", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
        )
        login.raise_for_status()
        return {"Authorization": f"Bearer {login.json()['access_token']}"}


@pytest.fixture(scope="package")
def chromium() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        service_missing(
            "Chromium",
            FileNotFoundError(f"{CHROMIUM} not found; install it with: apt-get install chromium"),
        )
    return CHROMIUM


@contextmanager
def running_demo(tmp: Path, settings: dict[str, str] | None = None) -> Iterator[DemoServer]:
    """A demo server for as long as the block runs; `settings` are extra SURGIAI_* variables."""
    if not (STATIC_DIR / "index.html").is_file():
        pytest.fail("The dashboard is not built: run `make install`.", pytrace=False)
    demo = DemoServer(tmp, settings)
    try:
        demo.wait_ready()
        yield demo
    finally:
        demo.stop()


@pytest.fixture(scope="package")
def server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with running_demo(tmp_path_factory.mktemp("dashboard")) as demo:
        yield demo


@pytest.fixture(scope="package")
def owner_headers(server: DemoServer) -> dict[str, str]:
    return server.owner_headers()


# The package scope keeps Playwright's own event loop out of the other tests' way.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright, chromium: str) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def open_dashboard(browser: Browser, server: DemoServer) -> Iterator[Callable[[], Dashboard]]:
    """Open a fresh browser session (its own cookies) at laptop size. Every console error and
    uncaught exception fails the test."""
    opened: list[Dashboard] = []
    tolerated: list[re.Pattern[str]] = []

    def open_session() -> Dashboard:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
        dashboard = Dashboard(context, server.url, screenshot_dir(), tolerated)
        opened.append(dashboard)
        return dashboard

    yield open_session
    problems = [problem for dashboard in opened for problem in dashboard.console_problems()]
    for dashboard in opened:
        dashboard.context.close()
    assert not problems, "The browser reported errors:\n" + "\n".join(problems)
