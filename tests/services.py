"""Run SurgiAI as a real process on a free port, as an operator would; serve the Cloud API
simulator on a free port, as Meta's Graph API would be; and `wait_for` / `wait_until`, the one
way a test waits for something to happen."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FunctionType
from typing import Protocol, TypeVar, cast

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from surgiai.kit.frames import current_frame_of
from surgiai.simulator import Simulator

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGIAI_")}
    env.update({"SURGIAI_DATA_DIR": str(tmp_path / "data"), "SURGIAI_DATABASE_URL": database_url})
    return env


def wait_for(
    check: Callable[[], T | None],
    timeout: float = 30.0,
    interval: float = 0.02,
    message: str | None = None,
) -> T:
    """Call `check` until it returns something truthy, and return that. The timeout only bounds
    a failing test: a passing one waits as long as the condition takes and no longer. An
    exception from `check` (an AssertionError saying waiting is pointless) ends the wait."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(_not_met(check, timeout, result, message))
        time.sleep(interval)


async def wait_until(
    check: Callable[[], T | None],
    timeout: float = 30.0,
    interval: float = 0.02,
    message: str | None = None,
) -> T:
    """`wait_for` on an event loop: the loop runs other tasks between the calls of `check`
    (which must not block it)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(_not_met(check, timeout, result, message))
        await asyncio.sleep(interval)


def waiting_in(thread: threading.Thread, function: Callable[..., object]) -> bool:
    """Whether `thread` is running `function` right now (anywhere down its stack). Seen inside
    a lock's `acquire` while the test knows who holds that lock, it proves the thread waits."""
    code = cast(FunctionType, function).__code__
    frame = current_frame_of(thread.ident)
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False


def _not_met(check: Callable[[], object], timeout: float, last: object, message: str | None) -> str:
    what = message or f"{getattr(check, '__qualname__', repr(check))} returned nothing truthy"
    shown = repr(last)
    if len(shown) > 500:
        shown = shown[:500] + "..."
    return f"{what} within {timeout:g} s (last result: {shown})"


class Service:
    def __init__(self, process: subprocess.Popen[str], port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        # A file, not a pipe: nobody reads a pipe while the test runs, and a busy service
        # that fills one blocks on its next log line.
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"service exited: {self.output()}")
            try:
                return httpx.get(self.url + "/readyz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(ready, timeout, interval=0.2, message="the service did not answer /readyz")


class StartService(Protocol):
    """The `start_service` fixture: run `surgiai <command>` on a free port, ready to answer."""

    def __call__(
        self, command: str, env: dict[str, str], extra: list[str] | None = None
    ) -> Service: ...


@pytest.fixture
def start_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartService]:
    started: list[subprocess.Popen[str]] = []

    def start(command: str, env: dict[str, str], extra: list[str] | None = None) -> Service:
        port = free_port()
        log = tmp_path_factory.mktemp("service") / f"{command}-{port}.log"
        with log.open("w") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "surgiai", command, "--port", str(port), *(extra or [])],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
            )
        started.append(process)
        service = Service(process, port, log)
        service.wait_ready()
        return service

    yield start
    for process in started:
        workers = children(process.pid)  # `surgiai run`'s worker processes
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        # None may outlive its test: it would go on working on a database the next test uses.
        deadline = time.monotonic() + 10
        while (alive := [pid for pid in workers if running(pid)]) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in alive:
            os.kill(pid, signal.SIGKILL)


def children(pid: int) -> set[int]:
    """Child processes of `pid`, whichever of its threads started them."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class ServedSimulator:
    """The simulator app served by uvicorn on 127.0.0.1 in its own thread."""

    def __init__(self, app: FastAPI, port: int) -> None:
        self.sim: Simulator = app.state.simulator
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Simulator:
        self.thread.start()

        def started() -> bool:
            assert self.thread.is_alive(), "the simulator exited while starting"
            return self.server.started

        wait_for(started, message="the simulator did not start")
        return self.sim

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
