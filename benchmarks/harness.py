"""Shared pieces for benchmarks: free ports, server processes, wrk and an open-loop load
generator for fixed request rates."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A process (a server, or a worker with `ready`), waited on until it is ready."""

    def __init__(
        self,
        command: Sequence[str],
        port: int,
        env: dict[str, str],
        ready_path: str,
        ready: Callable[[], bool] | None = None,
        log: Path | None = None,
    ):
        """`log`: a file for the process's stdout and stderr, for a process that writes more
        than a pipe holds while nobody reads it (`surgiai run --demo`)."""
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        output = log.open("wb") if log is not None else None
        self.process = subprocess.Popen(
            list(command),
            env=env,
            stdout=output or subprocess.DEVNULL,
            stderr=output or subprocess.PIPE,
        )
        if output is not None:
            output.close()  # the child holds its own descriptor
        try:
            self._wait_ready(ready_path, ready)
        except BaseException:
            self.stop()  # nobody else holds the process yet
            raise

    def _wait_ready(self, ready_path: str, ready: Callable[[], bool] | None) -> None:
        if ready is not None and ready():
            return
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()}")
            try:
                if httpx.get(self.url + ready_path, timeout=1).status_code < 500:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def output(self) -> str:
        """The end of what the process wrote (stderr, or everything when it logs to a file)."""
        if self.log is not None:
            return self.log.read_text(errors="replace")[-2000:]
        if self.process.stderr is None or self.process.poll() is None:
            return ""
        return self.process.stderr.read().decode(errors="replace")[-2000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGIAI_")}
    env.update({"SURGIAI_LOG_LEVEL": "WARNING", **extra})
    return env


def python() -> str:
    return sys.executable


WRK_SCRIPT = r"""
local bodies, sigs = {}, {}
local counter, stride = 0, 1
ok, other = 0, 0
function setup(thread)
  thread:set("id", #threads_list + 1)
  table.insert(threads_list, thread)
end
threads_list = {}
function init(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    local sig, body = line:match("^(%S+) (.*)$")
    table.insert(sigs, sig); table.insert(bodies, body)
  end
  f:close()
  counter = id - 1
  stride = tonumber(args[2])
end
function request()
  local i = counter % #bodies + 1
  counter = counter + stride
  return wrk.format("POST", wrk.path, {
    ["Content-Type"] = "application/json",
    ["X-Hub-Signature-256"] = sigs[i]
  }, bodies[i])
end
function response(status, headers, body)
  if status == 200 then ok = ok + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local total_ok, total_other = 0, 0
  for _, t in ipairs(threads_list) do
    total_ok = total_ok + t:get("ok"); total_other = total_other + t:get("other")
  end
  io.write(string.format(
    '{"requests": %d, "ok": %d, "not_ok": %d, "duration_us": %d, '
    .. '"p50_us": %d, "p99_us": %d, "socket_errors": %d}\n',
    summary.requests, total_ok, total_other, summary.duration,
    latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def wrk(
    url: str, bodies_file: Path, *, threads: int, connections: int, seconds: int
) -> dict[str, Any]:
    """Closed-loop maximum throughput with wrk, each request a different pre-signed body."""
    if shutil.which("wrk") is None:
        raise RuntimeError("`make bench` needs wrk: apt-get install wrk")
    script = bodies_file.with_suffix(".lua")
    script.write_text(WRK_SCRIPT)
    result = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(script),
            url,
            "--",
            str(bodies_file),
            str(threads),
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stdout[-1000:]} {result.stderr[-1000:]}")
    line = next(line for line in result.stdout.splitlines() if line.startswith("{"))
    figures: dict[str, Any] = json.loads(line)
    figures["per_second"] = round(figures["ok"] / (figures["duration_us"] / 1e6))
    return figures


async def _open_loop(
    host: str, port: int, requests: list[bytes], rate: float, connections: int
) -> list[float]:
    """Send `requests` at a fixed rate whatever the server does (no coordinated omission):
    latency is measured from each request's scheduled time."""
    latencies: list[float] = []
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        while True:
            scheduled, request = await queue.get()
            writer.write(request)
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            if not status_line.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"unexpected answer: {status_line!r}")
            latencies.append(time.perf_counter() - scheduled)
            queue.task_done()

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    started = time.perf_counter()
    for index, request in enumerate(requests):
        scheduled = started + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((scheduled, request))
    await queue.join()
    for worker in workers:
        worker.cancel()
    return latencies


def fixed_rate(
    port: int, path: str, bodies: list[tuple[str, bytes]], rate: float, connections: int = 64
) -> dict[str, Any]:
    requests = [
        (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"X-Hub-Signature-256: {signature}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body
        for signature, body in bodies
    ]
    latencies = sorted(asyncio.run(_open_loop("127.0.0.1", port, requests, rate, connections)))

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2)

    return {
        "rate": rate,
        "requests": len(latencies),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": round(latencies[-1] * 1000, 2),
    }
