"""Outbound pacing: 10,000 template messages over 3 simulated numbers capped at 80 msg/s each,
sent by a `surgiai worker` through the one send path to the Cloud API simulator over HTTP.

Figures: each number's sustained rate (from the simulator's acceptance times), the most it
accepted in any one-second window, 130429 refusals, and the total time against the ideal
10,000 / 240 = 41.7 s."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import redis
from pydantic import SecretStr
from sqlalchemy import create_engine, func, make_url, select, text

from benchmarks.harness import Server, base_env, free_port, python
from surgiai.all_tasks import task_registry
from surgiai.config import Settings
from surgiai.conversations.models import Message, MessageState, SenderKind
from surgiai.conversations.service import OutboundRequest, message_service
from surgiai.db.engine import session_scope
from surgiai.db.migrate import upgrade
from surgiai.numbers.schemas import NumberCreate
from surgiai.numbers.service import number_service
from surgiai.runtime import Runtime

MESSAGES = 10_000
CAP = 80
WABA = "800000000000001"
NUMBERS = [
    (f"70000000000000{index}", f"1555020000{index}", f"bench-token-{index}-xyz")
    for index in range(3)
]
TEMPLATE = {"name": "bench_notice", "language": {"code": "en"}}
TIMEOUT = 180


POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/14"


@dataclass(frozen=True)
class Mode:
    name: str
    worker_processes: int
    threads: int
    distributed: bool


MODES = (
    # One machine, no servers: SQLite, the SQLite task queue and SQL rate limits.
    Mode("embedded", worker_processes=1, threads=8, distributed=False),
    Mode("embedded_two_workers", worker_processes=2, threads=6, distributed=False),
    # Production shape: PostgreSQL, Redis queue and rate limits, several worker processes.
    Mode("distributed", worker_processes=2, threads=6, distributed=True),
)


def run() -> dict[str, Any]:
    return {mode.name: _run_mode(mode) for mode in MODES}


def _run_mode(mode: Mode) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as name, _database(mode) as database_url:
        directory = Path(name)
        sim_port = free_port()
        simulator = Server(
            [python(), "-m", "surgiai", "simulator", "--port", str(sim_port)],
            sim_port,
            base_env(),
            "/control/numbers",
        )
        try:
            return _measure(directory, simulator, mode, database_url)
        finally:
            simulator.stop()


@contextmanager
def _database(mode: Mode) -> Iterator[str | None]:
    """A throwaway PostgreSQL database for the distributed run (none for embedded)."""
    if not mode.distributed:
        yield None
        return
    name = f"surgiai_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    redis.Redis.from_url(REDIS).flushdb()
    try:
        yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        redis.Redis.from_url(REDIS).flushdb()


def _measure(
    directory: Path, simulator: Server, mode: Mode, database_url: str | None
) -> dict[str, Any]:
    control = simulator.url + "/control"
    for pnid, display, token in NUMBERS:
        httpx.post(
            f"{control}/numbers/{pnid}",
            json={
                "waba_id": WABA,
                "display_phone_number": display,
                "access_token": token,
            },
        ).raise_for_status()
    httpx.post(
        f"{control}/templates",
        json={
            "waba_id": WABA,
            "name": TEMPLATE["name"],
            "language": "en",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Your order has shipped."}],
        },
    ).raise_for_status()

    env = base_env(
        SURGIAI_DATA_DIR=str(directory / "data"),
        SURGIAI_SECRET_KEY="bench-secret-key-0123456789",
        SURGIAI_GRAPH_API_BASE=f"{simulator.url}/graph",
    )
    if database_url is not None:
        env.update(SURGIAI_DATABASE_URL=database_url, SURGIAI_REDIS_URL=REDIS)
    settings = Settings(
        data_dir=directory / "data",
        secret_key=SecretStr("bench-secret-key-0123456789"),
        graph_api_base=f"{simulator.url}/graph",
        database_url=database_url,
        redis_url=REDIS if database_url else None,
    )
    runtime = Runtime(settings, task_registry())
    upgrade(runtime.engine)
    number_ids = _queue_messages(runtime)

    workers = [
        Server(
            [python(), "-m", "surgiai", "worker", "--threads", str(mode.threads)],
            0,
            env,
            "",
            ready=lambda: True,
        )
        for _ in range(mode.worker_processes)
    ]
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with session_scope(runtime.session_factory) as session:
                waiting = session.scalar(
                    select(func.count())
                    .select_from(Message)
                    .where(Message.status.in_([MessageState.queued, MessageState.sending]))
                )
            if not waiting:
                break
            time.sleep(0.5)
        worker_cpu = sum(cpu_seconds(worker.process.pid) for worker in workers)
        simulator_cpu = cpu_seconds(simulator.process.pid)
    finally:
        for worker in workers:
            worker.stop()
    with session_scope(runtime.session_factory) as session:
        outcomes = dict(
            session.execute(select(Message.status, func.count()).group_by(Message.status)).all()
        )
    runtime.close()

    log = httpx.get(f"{control}/outbound", timeout=60).json()
    per_number: dict[str, Any] = {}
    starts, ends = [], []
    for pnid, _, _ in NUMBERS:
        times = [item["accepted_at"] for item in log["accepted"] if item["phone_number_id"] == pnid]
        starts.append(times[0])
        ends.append(times[-1])
        per_number[pnid] = {
            "accepted": len(times),
            "sustained_per_s": round((len(times) - 1) / (times[-1] - times[0]), 2),
            "max_in_any_1s": _max_in_window(times, 1.0),
        }
    total = max(ends) - min(starts)
    ideal = MESSAGES / (CAP * len(NUMBERS))
    worst = max(abs(n["sustained_per_s"] - CAP) / CAP for n in per_number.values())
    return {
        "messages": MESSAGES,
        "numbers": len(NUMBERS),
        "cap_per_number": CAP,
        "per_number": per_number,
        "worst_rate_deviation_pct": round(worst * 100, 2),
        "refusals_130429": log["refusals"].get("130429", 0),
        "refusals": log["refusals"],
        "total_seconds": round(total, 2),
        "ideal_seconds": round(ideal, 2),
        "total_over_ideal_pct": round((total / ideal - 1) * 100, 2),
        "outcomes": {str(k.value if hasattr(k, "value") else k): v for k, v in outcomes.items()},
        "number_ids": number_ids,
        "cpu_ms_per_message": {
            "workers": round(worker_cpu / MESSAGES * 1000, 2),
            "simulator": round(simulator_cpu / MESSAGES * 1000, 2),
        },
        "worker_processes": mode.worker_processes,
        "threads_per_worker": mode.threads,
        "targets": {
            "worst_rate_deviation_pct": "<= 2",
            "refusals_130429": "0",
            "total_over_ideal_pct": "<= 5",
        },
    }


def _queue_messages(runtime: Runtime) -> list[int]:
    key = runtime.settings.resolved_secret_key()
    with session_scope(runtime.session_factory) as session:
        numbers = []
        for index, (pnid, display, token) in enumerate(NUMBERS):
            number = number_service.create(
                session,
                key,
                NumberCreate(
                    label=f"Bench {index}",
                    phone_number_id=pnid,
                    waba_id=WABA,
                    display_phone_number=display,
                    access_token=SecretStr(token),
                    throughput_mps=CAP,
                ),
            )
            number.status, number.quality_rating = "CONNECTED", "GREEN"
            numbers.append(number.id)
    runtime.queue.huey.flush()  # the health checks queued with the numbers are not measured
    for start in range(0, MESSAGES, 500):
        with session_scope(runtime.session_factory) as session:
            for index in range(start, min(start + 500, MESSAGES)):
                message_service.queue_outbound(
                    session,
                    OutboundRequest(
                        to=f"9199{index:08d}",
                        type="template",
                        payload=TEMPLATE,
                        sender_kind=SenderKind.system,
                        number_id=numbers[index % len(numbers)],
                    ),
                )
    return numbers


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _max_in_window(times: list[float], window: float) -> int:
    best, left = 0, 0
    for right, moment in enumerate(times):
        while moment - times[left] >= window:
            left += 1
        best = max(best, right - left + 1)
    return best
