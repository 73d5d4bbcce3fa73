"""Unauthenticated webhook flood against `surgiai api` (embedded, SQLite): 400 concurrent
3 MB POSTs to `/webhooks/whatsapp`, first without a signature header, then with a well-formed
forged one (whose bodies must be read to be checked). For each: the web process's RSS before,
at its peak and after, the answers, and `/healthz` latency while the flood arrives."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from benchmarks.harness import Server, base_env, free_port, python

CONCURRENT = 400
BODY_BYTES = 3 * 1024 * 1024
CHUNK = 64 * 1024
# Time after the last answer before "after" is read: the process has nothing left to do.
SETTLE_SECONDS = 3.0
FORGED = "sha256=" + "0" * 64


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Watch:
    """Samples the server's RSS (every 10 ms) and times `/healthz` (one probe at a time), each
    from its own thread, so that the load generator's event loop delays neither."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.stop = threading.Event()
        self.peak_mb = 0.0
        self.health_ms: list[float] = []
        self._threads = [
            threading.Thread(target=self._sample, daemon=True),
            threading.Thread(target=self._probe, daemon=True),
        ]

    def __enter__(self) -> Watch:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join()

    def _sample(self) -> None:
        while not self.stop.is_set():
            self.peak_mb = max(self.peak_mb, rss_mb(self.server.process.pid))
            self.stop.wait(0.01)

    def _probe(self) -> None:
        with httpx.Client(base_url=self.server.url, timeout=60) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                client.get("/healthz").raise_for_status()
                self.health_ms.append((time.perf_counter() - started) * 1000)
                self.stop.wait(0.05)


async def post(port: int, body: memoryview, signature: str | None) -> str:
    """One POST, written in chunks (the generator holds one body for all); its status, or how
    the connection ended."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as error:
        return type(error).__name__
    try:
        head = [
            "POST /webhooks/whatsapp HTTP/1.1",
            "Host: 127.0.0.1",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
        ]
        if signature is not None:
            head.append(f"X-Hub-Signature-256: {signature}")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        for start in range(0, len(body), CHUNK):
            writer.write(body[start : start + CHUNK])
            await writer.drain()
        status_line = await reader.readline()
        return status_line.split()[1].decode() if status_line else "closed"
    except OSError as error:  # ConnectionResetError: refused while still sending
        return type(error).__name__
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def flood(port: int, signature: str | None) -> Counter[str]:
    body = memoryview(b'{"object":"whatsapp_business_account","entry":[' + b" " * BODY_BYTES)[
        :BODY_BYTES
    ]
    answers = await asyncio.gather(*(post(port, body, signature) for _ in range(CONCURRENT)))
    return Counter(answers)


def phase(server: Server, signature: str | None) -> dict[str, Any]:
    pid = server.process.pid
    before = rss_mb(pid)
    with Watch(server) as watch:
        started = time.perf_counter()
        answers = asyncio.run(flood(server.port, signature))
        seconds = time.perf_counter() - started
    time.sleep(SETTLE_SECONDS)
    health = sorted(watch.health_ms)
    return {
        "rss_mb_before": round(before, 1),
        "rss_mb_peak": round(watch.peak_mb, 1),
        "rss_mb_after": round(rss_mb(pid), 1),
        "answers": dict(answers),
        "flood_seconds": round(seconds, 2),
        "healthz_probes": len(health),
        "healthz_p50_ms": round(statistics.median(health), 1) if health else None,
        "healthz_max_ms": round(health[-1], 1) if health else None,
    }


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as name:
        port = free_port()
        server = Server(
            [python(), "-m", "surgiai", "api", "--port", str(port)],
            port,
            base_env(
                SURGIAI_DATA_DIR=str(Path(name) / "data"),
                SURGIAI_META_APP_SECRET="bench-app-secret",
                SURGIAI_ADMIN_PASSWORD="bench-password",
            ),
            "/healthz",
        )
        try:
            unsigned = phase(server, None)
            forged = phase(server, FORGED)
        finally:
            server.stop()
    return {
        "concurrent": CONCURRENT,
        "body_mb": BODY_BYTES / (1024 * 1024),
        "unsigned": unsigned,
        "forged_signature": forged,
        "targets": {
            "unsigned.rss_mb_peak - rss_mb_before": "< 50",
            "forged_signature.rss_mb_peak - rss_mb_before": "< 150 (32 MB of bodies in flight)",
            "healthz_max_ms": "< 1000",
        },
    }
