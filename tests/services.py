"""Run SurgiAI as a real process on a free port, as an operator would; serve the Cloud API
simulator on a free port, as Meta's Graph API would be."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from surgiai.simulator import Simulator


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGIAI_")}
    env.update({"SURGIAI_DATA_DIR": str(tmp_path / "data"), "SURGIAI_DATABASE_URL": database_url})
    return env


def wait_for(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll a running service until `check` returns something truthy, and return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError("condition not met in time")


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
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"service exited: {self.output()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("service did not answer /readyz")


@pytest.fixture
def start_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
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
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start")
            time.sleep(0.01)
        return self.sim

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
