"""First meaningful paint of the inbox, in headless Chromium (Debian's, driven by Playwright
through its `executable_path`).

`surgiai run --demo` on a free port with its own data dir, over a SQLite database seeded with
3,000 conversations and 60,000 messages on the demo's two numbers, and an owner whose session
cookies every browser context starts with. A cold load is a new browser context (empty HTTP
cache, its own connections) opening `/inbox`; warm loads reopen `/inbox` in one context whose
cache already holds the hashed assets.

The figures are the page's own clock, `performance.now()` (ms since navigation start):
`inbox_ready` when the conversation list has rendered the API's answer (`data-inbox-ready` on
<body>, seen by a MutationObserver installed before any of the page's scripts run) and
`inbox_painted` when the frame showing it has been painted (a task queued from the next
animation frame), plus the browser's `first-contentful-paint`, the JavaScript fetched before
the list was ready, and main-thread time from the DevTools `Performance` domain. The median
cold load's requests are kept as a waterfall, to show what the list waited for. Target: cold
`inbox_painted` p95 ≤ 1,500 ms.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    StorageState,
    ViewportSize,
    sync_playwright,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import update

from benchmarks.harness import Server, base_env, free_port, python
from benchmarks.inbox_api import PASSWORD, seed_inbox
from surgiai.db.engine import make_engine
from surgiai.db.migrate import upgrade
from surgiai.demo import DEMO_NUMBERS, DEMO_WABA_ID
from surgiai.kit.crypto import hint
from surgiai.numbers.models import WhatsAppNumber
from surgiai.numbers.service import number_service
from surgiai.web import STATIC_DIR

CHROMIUM = os.environ.get("SURGIAI_CHROMIUM", "/usr/bin/chromium")
CONVERSATIONS = 3_000
MESSAGES = 60_000
COLD_LOADS = 20
WARM_LOADS = 20
TARGET_MS = 1_500
EMAIL = "admin@bench.example"
SECRET_KEY = "bench-secret-key-0123456789abcdef"
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}  # the browser tests' laptop size
LOAD_TIMEOUT_MS = 30_000

# Runs in every page before its own scripts: note when the list has its data, then when the
# frame showing it has been painted (animation-frame callbacks run just before a paint; a task
# queued from one runs after it).
MARKER_SCRIPT = """
(() => {
  const marks = (window.__inboxPaint = {});
  new MutationObserver((_, observer) => {
    if (document.body?.dataset.inboxReady !== "true") return;
    observer.disconnect();
    marks.ready = performance.now();
    requestAnimationFrame(() => setTimeout(() => { marks.painted = performance.now(); }, 0));
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-inbox-ready"] });
})();
"""
PAINTED = "window.__inboxPaint !== undefined && window.__inboxPaint.painted !== undefined"
COLLECT_SCRIPT = """
() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  const entry = (e) => ({
    url: e.name,
    type: e.initiatorType,
    start: e.startTime,
    request_start: e.requestStart,
    response_start: e.responseStart,
    end: e.responseEnd,
    transfer: e.transferSize,
    encoded: e.encodedBodySize,
    decoded: e.decodedBodySize,
    blocking: e.renderBlockingStatus ?? null,
  });
  return {
    ready: window.__inboxPaint.ready,
    conversations_shown: document.querySelectorAll('[aria-label="Conversation list"] a').length,
    painted: window.__inboxPaint.painted,
    fcp: fcp ? fcp.startTime : null,
    navigation: {
      ...entry(nav),
      dom_interactive: nav.domInteractive,
      dom_content_loaded: nav.domContentLoadedEventEnd,
    },
    resources: performance.getEntriesByType("resource").map(entry),
  };
}
"""
MAIN_THREAD_METRICS = {
    "ScriptDuration": "script_ms",
    "LayoutDuration": "layout_ms",
    "RecalcStyleDuration": "style_ms",
    "TaskDuration": "all_tasks_ms",
}


def run() -> dict[str, Any]:
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(f"{CHROMIUM} not found: apt-get install chromium")
    if not (STATIC_DIR / "index.html").is_file():
        raise RuntimeError("the dashboard is not built: run `make install`")
    with tempfile.TemporaryDirectory(prefix="surgiai-paint-") as directory:
        data_dir = Path(directory)
        _prepare_database(f"sqlite:///{data_dir / 'surgiai.db'}")
        port = free_port()
        env = base_env(
            SURGIAI_DATA_DIR=directory,
            SURGIAI_SECRET_KEY=SECRET_KEY,
        )
        server = Server(
            [python(), "-m", "surgiai", "run", "--demo", "--port", str(port)],
            port,
            env,
            "/readyz",
            log=data_dir / "server.log",
        )
        try:
            figures = _measure(server.url)
        except Exception as error:
            raise RuntimeError(f"{error}\n--- server log ---\n{server.output()}") from error
        finally:
            server.stop()
    figures.update(conversations=CONVERSATIONS, messages=MESSAGES)
    return figures


def _prepare_database(url: str) -> None:
    """The inbox benchmark's rows, smaller; its two numbers become the demo's, so the demo
    finds them registered and its simulator accepts their tokens."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        seed_inbox(engine, random.Random(7), CONVERSATIONS, MESSAGES)
        box = number_service.box(SECRET_KEY)
        with engine.begin() as connection:
            for number_id, demo in enumerate(DEMO_NUMBERS, start=1):
                connection.execute(
                    update(WhatsAppNumber)
                    .where(WhatsAppNumber.id == number_id)
                    .values(
                        label=demo.label,
                        phone_number_id=demo.phone_number_id,
                        waba_id=DEMO_WABA_ID,
                        display_phone_number=demo.display_phone_number,
                        access_token_encrypted=box.encrypt(demo.access_token),
                        access_token_hint=hint(demo.access_token),
                    )
                )
    finally:
        engine.dispose()


def _measure(base: str) -> dict[str, Any]:
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            session = _log_in(browser, base)
            # One throw-away load: the server's first requests (imports, SQLite pages) are not
            # what a user opening the inbox on a running server waits for.
            _cold_load(browser, base, session)
            cold = [_cold_load(browser, base, session) for _ in range(COLD_LOADS)]
            warm = _warm_loads(browser, base, session)
        finally:
            browser.close()
    cold_painted = _percentiles([load["painted"] for load in cold])
    median = sorted(cold, key=lambda load: load["painted"])[len(cold) // 2]
    return {
        "target_ms": TARGET_MS,
        "target": "cold inbox_painted p95 <= 1500 ms",
        "target_met": cold_painted["p95_ms"] <= TARGET_MS,
        "cold": _summary(cold),
        "warm": _summary(warm),
        "cold_median_waterfall": _waterfall(median, base),
        "console_errors": sorted({error for load in cold + warm for error in load["errors"]}),
    }


def _log_in(browser: Browser, base: str) -> StorageState:
    """The owner's session cookies, which every measured context starts with."""
    context = browser.new_context()
    try:
        answer = context.request.post(
            f"{base}/api/v1/auth/login", data={"email": EMAIL, "password": PASSWORD}
        )
        if not answer.ok:
            raise RuntimeError(f"login failed: {answer.status} {answer.text()[:200]}")
        return context.storage_state()
    finally:
        context.close()


def _new_context(browser: Browser, session: StorageState) -> BrowserContext:
    context = browser.new_context(storage_state=session, viewport=VIEWPORT, locale="en-GB")
    context.add_init_script(MARKER_SCRIPT)
    return context


def _cold_load(browser: Browser, base: str, session: StorageState) -> dict[str, Any]:
    context = _new_context(browser, session)
    try:
        return _load(context, base)
    finally:
        context.close()


def _warm_loads(browser: Browser, base: str, session: StorageState) -> list[dict[str, Any]]:
    context = _new_context(browser, session)
    try:
        _load(context, base)  # fills the HTTP cache
        return [_load(context, base) for _ in range(WARM_LOADS)]
    finally:
        context.close()


def _load(context: BrowserContext, base: str) -> dict[str, Any]:
    """Open the inbox in a new page; the page's own timings, up to the painted list."""
    page = context.new_page()
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", console)
    devtools = context.new_cdp_session(page)
    devtools.send("Performance.enable")
    try:
        page.goto(f"{base}/inbox", wait_until="commit")
        page.wait_for_function(PAINTED, timeout=LOAD_TIMEOUT_MS)
        timings: dict[str, Any] = page.evaluate(COLLECT_SCRIPT)
        metrics = devtools.send("Performance.getMetrics")["metrics"]
        if timings["conversations_shown"] == 0:
            raise RuntimeError("the inbox rendered no conversation: the seeding did not take")
    except PlaywrightTimeout:
        raise RuntimeError(
            f"the inbox list did not render within {LOAD_TIMEOUT_MS} ms at {page.url}: "
            f"{page.inner_text('body')[:300]!r}; page errors: {errors}"
        ) from None
    finally:
        devtools.detach()
        page.close()
    timings["main_thread"] = {
        MAIN_THREAD_METRICS[metric["name"]]: metric["value"] * 1000
        for metric in metrics
        if metric["name"] in MAIN_THREAD_METRICS
    }
    timings["errors"] = errors
    return timings


def _summary(loads: list[dict[str, Any]]) -> dict[str, Any]:
    def median(values: list[float]) -> float:
        return round(statistics.median(values), 1)

    scripts = [_scripts_before_ready(load) for load in loads]
    return {
        "loads": len(loads),
        "inbox_painted": _percentiles([load["painted"] for load in loads]),
        "inbox_ready": _percentiles([load["ready"] for load in loads]),
        "first_contentful_paint": _percentiles(
            [load["fcp"] for load in loads if load["fcp"] is not None]
        ),
        "js_before_ready": {
            "requests": int(statistics.median(len(entries) for entries in scripts)),
            # On the wire (headers included; 0 from the cache), gzipped bodies, and unpacked.
            **{
                f"{size}_kb": median([sum(e[size] for e in entries) / 1024 for entries in scripts])
                for size in ("transfer", "encoded", "decoded")
            },
        },
        "main_thread_median": {
            name: median([load["main_thread"].get(name, 0.0) for load in loads])
            for name in MAIN_THREAD_METRICS.values()
        },
    }


def _scripts_before_ready(load: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        entry
        for entry in load["resources"]
        if urlsplit(entry["url"]).path.endswith(".js") and entry["start"] <= load["ready"]
    ]


def _waterfall(load: dict[str, Any], base: str) -> list[str]:
    """One line per request up to the painted list, in start order: when it started and
    ended, the server's time to first byte, the bytes on the wire and whether it blocked
    rendering. The page's own milestones are interleaved."""
    rows: list[tuple[float, str]] = []
    for entry in [load["navigation"], *load["resources"]]:
        if entry["start"] > load["painted"]:
            continue
        path = entry["url"].removeprefix(base)
        ttfb = entry["response_start"] - entry["request_start"]
        blocking = " render-blocking" if entry["blocking"] == "blocking" else ""
        rows.append(
            (
                entry["start"],
                f"{entry['start']:7.1f} - {entry['end']:7.1f} ms  ttfb {ttfb:6.1f} ms  "
                f"{entry['transfer'] / 1024:6.1f} KB  {entry['type']}{blocking}  {path}",
            )
        )
    navigation = load["navigation"]
    milestones = {
        "dom interactive": navigation["dom_interactive"],
        "DOMContentLoaded": navigation["dom_content_loaded"],
        "first-contentful-paint": load["fcp"],
        "inbox list ready": load["ready"],
        "inbox list painted": load["painted"],
    }
    rows += [(at, f"{at:7.1f} ms  == {name}") for name, at in milestones.items() if at is not None]
    return [line for _, line in sorted(rows, key=lambda row: row[0])]


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 1),
        "max_ms": round(ordered[-1], 1),
    }
