"""The Master Agent under load, embedded mode against the Cloud API simulator over HTTP.

`surgiai run` (SQLite, in-process queue) and `surgiai simulator` as separate processes. The
simulator's control API plays 50 doctors a second for 60 s, each a new doctor with a question
about the demo's catalogue (imported through the API first: some are answered from it, some
asked which product they mean, some handed to a person), to one number on Meta's 1,000 mps
throughput level (the doctors and the replies make 100 messages a second, over the default
level's 80); the simulator signs and delivers the webhooks. Latency = the simulator accepting
our reply minus the moment the doctor's message was injected (one clock: both are on this
machine).

Modes: `normal`; `watched` (normal, with one dashboard's WebSocket open for the whole run, so
every change is built into a real-time event and delivered); `chaos`
(`SURGIAI_CHAOS=smart_reply=raise:1.0`: the primary always fails, the standby answers); `kill` (the
`surgiai run` process is killed with SIGKILL a third of the way in and restarted: every doctor
must still get exactly one reply); `kill_worker` (one of the worker processes that `surgiai run`
started is killed with SIGKILL a third of the way in; `surgiai run` starts another).

Each run reports the CPU time per doctor message of the simulator, the web process and the
worker processes, and the load generator; `machine` gives this machine's speed at plain Python
(figures from machines of different speeds are not comparable without it).
Targets: normal p95 ≤ 300 ms, zero unanswered; chaos p95 ≤ 2 s; kill: every message answered
exactly once. Normal runs at the target 50/s and at `SUSTAINED_RATE`; the other modes at
`SUSTAINED_RATE`.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import signal
import statistics
import tempfile
import threading
import time
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import websockets

from benchmarks.harness import Server, base_env, free_port, python
from surgiai.catalogue.extraction import courses_from_table

RATE = 50
SECONDS = 60
PNID = "930000000000001"
WABA = "930000000000009"
DISPLAY = "15550600001"
TOKEN = "bench-agent-token-xyz"
APP_SECRET = "bench-agent-app-secret"
VERIFY_TOKEN = "bench-verify-token"
EMAIL = "admin@bench.example"
PASSWORD = "bench-password-123"
# Meta counts a doctor's message and our reply against the number's throughput: at 50 doctors a
# second that is 100 messages a second, over the default level's 80 (the simulator answers
# 130429, as Meta would). A number this busy is on the 1,000 mps level, which Meta grants to
# high-volume numbers (CLOUD_API.md, throughput).
THROUGHPUT_LEVEL = "HIGH"
THROUGHPUT_MPS = 1000
QUESTIONS = [
    "What is the price of the 5 mm trocar?",
    "Do you have titanium ligation clips in stock?",
    "When is the next laparoscopy workshop?",
    "Can you send the brochure for the linear stapler?",
    "Is there any discount on hernia mesh this month?",
]


# A rate this project's 2-core machine sustains within the latency target (see `machine` in the
# output and the README: the machine's speed has varied twofold between sessions), where the
# other modes are measured too.
SUSTAINED_RATE = 25


def run() -> dict[str, Any]:
    return {
        "machine": machine(),
        f"normal_{RATE}_per_s": _run_mode("normal", RATE),
        f"normal_{SUSTAINED_RATE}_per_s": _run_mode("normal", SUSTAINED_RATE),
        f"watched_{SUSTAINED_RATE}_per_s": _run_mode("watched", SUSTAINED_RATE),
        f"chaos_{SUSTAINED_RATE}_per_s": _run_mode("chaos", SUSTAINED_RATE),
        f"kill_{SUSTAINED_RATE}_per_s": _run_mode("kill", SUSTAINED_RATE),
        f"kill_worker_{SUSTAINED_RATE}_per_s": _run_mode("kill_worker", SUSTAINED_RATE),
    }


def machine() -> dict[str, Any]:
    """Cores, and the best of three timings of a fixed pure-Python loop (lower is faster)."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(2_000_000):
            total += number
        timings.append(time.perf_counter() - started)
    return {"cpus": os.cpu_count(), "python_loop_2m_ms": round(min(timings) * 1000, 1)}


def _run_mode(mode: str, rate: int = RATE) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        sim_port, app_port = free_port(), free_port()
        # Logs go to files: while the app is down (`kill`), the simulator logs every failed
        # delivery, more than a pipe nobody reads holds, and a full pipe would stall it.
        logs = Path(directory)
        simulator = Server(
            [python(), "-m", "surgiai", "simulator", "--port", str(sim_port)],
            sim_port,
            base_env(),
            "/control/config",
            log=logs / "simulator.log",
        )
        env = base_env(
            SURGIAI_DATA_DIR=str(Path(directory) / "data"),
            SURGIAI_PORT=str(app_port),
            SURGIAI_SECRET_KEY="bench-secret-key-0123456789",
            SURGIAI_ADMIN_EMAIL=EMAIL,
            SURGIAI_ADMIN_PASSWORD=PASSWORD,
            SURGIAI_META_APP_SECRET=APP_SECRET,
            SURGIAI_WEBHOOK_VERIFY_TOKEN=VERIFY_TOKEN,
            SURGIAI_GRAPH_API_BASE=f"{simulator.url}/graph",
            SURGIAI_WORKER_THREADS="8",
            **({"SURGIAI_CHAOS": "smart_reply=raise:1.0"} if mode == "chaos" else {}),
        )
        command = [python(), "-m", "surgiai", "run"]
        app = Server(command, app_port, env, "/readyz", log=logs / "app.log")
        dashboard: _Dashboard | None = None
        try:
            token = _connect(simulator.url, app.url)
            if mode == "watched":
                dashboard = _Dashboard(app.url, token)
            result = _load(simulator, app, command, env, rate=rate, kill=mode)
            if dashboard is not None:
                result["dashboard_events"] = dashboard.stop()
            return result
        finally:
            if dashboard is not None:
                dashboard.stop()
            app.stop()
            simulator.stop()


def _children(pid: int) -> set[int]:
    """Child processes of `pid`, whichever of its threads started them."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def _cpu(pid: int) -> float:
    """User and system CPU seconds of one process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _app_cpu(pid: int) -> dict[str, float]:
    """The web process, and its worker processes together (by pid: one may be replaced)."""
    workers = {f"worker {child}": _cpu(child) for child in _children(pid)}
    return {"web": _cpu(pid), **workers}


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


class _Dashboard:
    """A team member's open inbox: one WebSocket, read until stopped; counts the events."""

    def __init__(self, app: str, token: str) -> None:
        self._url = app.replace("http://", "ws://") + "/api/v1/ws"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._events = 0
        self._thread = threading.Thread(target=lambda: asyncio.run(self._read()), daemon=True)
        self._thread.start()
        if not self._connected.wait(10):
            raise RuntimeError("the dashboard's WebSocket did not connect")

    async def _read(self) -> None:
        async with websockets.connect(self._url, additional_headers=self._headers) as socket:
            self._connected.set()
            while not self._stop.is_set():
                try:
                    await asyncio.wait_for(socket.recv(), 0.5)
                except TimeoutError:
                    continue
                self._events += 1

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(5)
        return self._events


def _connect(simulator: str, app: str) -> str:
    """Register the number on both sides; returns the admin's API token."""
    httpx.post(
        f"{simulator}/control/numbers/{PNID}",
        json={
            "waba_id": WABA,
            "display_phone_number": DISPLAY,
            "access_token": TOKEN,
            "app_secret": APP_SECRET,
            "verify_token": VERIFY_TOKEN,
            "webhook_url": f"{app}/webhooks/whatsapp",
            "throughput_level": THROUGHPUT_LEVEL,
        },
    ).raise_for_status()
    with httpx.Client(base_url=app, timeout=30) as client:
        token = client.post(
            "/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}
        ).json()["access_token"]
        client.post(
            "/api/v1/numbers",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "label": "Bench",
                "phone_number_id": PNID,
                "waba_id": WABA,
                "display_phone_number": DISPLAY,
                "access_token": TOKEN,
                "throughput_mps": THROUGHPUT_MPS,
            },
        ).raise_for_status()
        _seed_catalogue(client, {"Authorization": f"Bearer {token}"})
    return str(token)


def _seed_catalogue(client: httpx.Client, headers: dict[str, str]) -> None:
    """The demo's price list, courses and FAQ answers, through the API an admin uses, so that
    the doctors' questions are answered from a catalogue, as in production."""
    data = resources.files("surgiai").joinpath("demo_data")
    client.post(
        "/api/v1/products/import",
        headers=headers,
        files={"file": ("products.csv", data.joinpath("products.csv").read_bytes(), "text/csv")},
    ).raise_for_status()
    rows = list(csv.reader(data.joinpath("courses.csv").read_text("utf-8").splitlines()))
    for course in courses_from_table(rows, page=1):
        client.post(
            "/api/v1/courses",
            headers=headers,
            json={
                "title": course.title,
                "starts_on": course.starts_on.isoformat() if course.starts_on else None,
                "ends_on": course.ends_on.isoformat() if course.ends_on else None,
                "city": course.city,
                "venue": course.venue,
                "fee": str(course.fee) if course.fee is not None else None,
                "cme_credits": str(course.cme_credits) if course.cme_credits else None,
                "seats": course.seats,
            },
        ).raise_for_status()
    for faq in json.loads(data.joinpath("faqs.json").read_text("utf-8")):
        client.post("/api/v1/faqs", headers=headers, json=faq).raise_for_status()


def _load(
    simulator: Server,
    app: Server,
    command: list[str],
    env: dict[str, str],
    *,
    rate: int,
    kill: str,
) -> dict[str, Any]:
    total = rate * SECONDS
    sent_at: dict[str, float] = {}
    restarted: list[Server] = []
    killer: threading.Timer | None = None
    if kill == "kill":

        def kill_and_restart() -> None:
            os.kill(app.process.pid, signal.SIGKILL)
            app.process.wait()
            log = app.log.with_name("app-restarted.log") if app.log else None
            restarted.append(Server(command, app.port, env, "/readyz", log=log))

        killer = threading.Timer(SECONDS / 3, kill_and_restart)
        killer.start()
    elif kill == "kill_worker":
        killer = threading.Timer(
            SECONDS / 3, lambda: os.kill(min(_children(app.process.pid)), signal.SIGKILL)
        )
        killer.start()
    cpu_before = {"simulator": _cpu(simulator.process.pid), **_app_cpu(app.process.pid)}
    load_before = _own_cpu()
    started = time.monotonic()
    with httpx.Client(base_url=simulator.url, timeout=30) as control:
        for index in range(total):
            due = started + index / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            wa_id = f"9197{index:08d}"
            sent_at[wa_id] = time.time()
            control.post(
                "/control/inbound",
                json={
                    "phone_number_id": PNID,
                    "from": wa_id,
                    "name": f"Dr. Bench {index}",
                    "type": "text",
                    "text": {"body": QUESTIONS[index % len(QUESTIONS)]},
                },
            ).raise_for_status()
        cpu_after = {"simulator": _cpu(simulator.process.pid), **_app_cpu(app.process.pid)}
        load_cpu = _own_cpu() - load_before
        # What a killed worker had claimed is re-driven by the sweepers once the claim is two
        # minutes old (a live but slow worker must not be doubled): wait for that too.
        deadline = time.monotonic() + (180 if kill in ("kill", "kill_worker") else 30)
        replies: dict[str, list[float]] = {}
        refused: dict[str, int] = {}
        while time.monotonic() < deadline:
            outbound = control.get("/control/outbound", params={"phone_number_id": PNID}).json()
            refused = outbound["refusals"]
            replies = {}
            for item in outbound["accepted"]:
                if item["type"] == "text":
                    replies.setdefault(item["wa_id"], []).append(item["accepted_at"])
            if len(replies) >= total:
                break
            time.sleep(1)
    if killer is not None:
        killer.cancel()
        killer.join()  # a restart still under way must finish, or nobody would stop it
    for server in restarted:
        server.stop()
    latencies = sorted(
        (min(times) - sent_at[wa_id]) * 1000 for wa_id, times in replies.items() if wa_id in sent_at
    )
    per_doctor = Counter(len(times) for times in replies.values())
    result: dict[str, Any] = {
        "messages": total,
        "rate_per_second": rate,
        "answered": len(replies),
        "unanswered": total - len(replies),
        "answered_more_than_once": sum(n for count, n in per_doctor.items() if count > 1),
        # Sends WhatsApp (the simulator) refused, by error code: 130429 is the number's
        # throughput, which a refused send waits out before it is tried again.
        "sends_refused": refused,
    }
    # CPU while the doctors wrote (the replies' tail is left out, and with it the polling above),
    # of the processes that lived through it (a killed one is left out).
    used = {
        name: cpu_after[name] - before
        for name, before in cpu_before.items()
        if cpu_after.get(name, 0.0) >= before
    }
    result["cpu_ms_per_message"] = {
        "simulator": used.get("simulator"),
        "web": used.get("web"),
        "workers": sum(seconds for name, seconds in used.items() if name.startswith("worker")),
        "load_generator": load_cpu,
    }
    result["cpu_ms_per_message"] = {
        name: None if seconds is None else round(seconds * 1000 / total, 1)
        for name, seconds in result["cpu_ms_per_message"].items()
    }
    if latencies:
        result.update(
            p50_ms=round(statistics.median(latencies), 1),
            p95_ms=round(latencies[int(len(latencies) * 0.95) - 1], 1),
            p99_ms=round(latencies[int(len(latencies) * 0.99) - 1], 1),
            max_ms=round(latencies[-1], 1),
        )
    return result
