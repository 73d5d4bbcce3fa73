"""The link between `surgiai run` and each worker process it starts: one socket pair per worker.

The web process tells a worker, one byte at a time, that work was queued (`RING`: wake an idle
thread instead of waiting for the next poll of the queue) and whether any dashboard is listening
(`LISTENING` / `NOT_LISTENING`: a worker builds real-time events only when one is). The worker
sends back `READY` once it is about to take tasks, then the real-time events its tasks publish, one
JSON document per line, which the web process hands to its dashboards; `LAGGED` says events were
dropped (the worker produced them faster than the link carried them), so dashboards must refetch.

A socket pair rather than a named socket or a port: nothing else can connect, no path or port
must be agreed on, and when either process dies the other reads end-of-file.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)

RING = b"r"
LISTENING = b"1"
NOT_LISTENING = b"0"
LAGGED = b"!"
READY = b"+"

# Events a worker holds for the link before it drops them (and tells the dashboards).
MAX_OUTBOX = 10_000
# A line longer than this is not an event from a healthy worker: drop what was buffered.
MAX_LINE_BYTES = 16 * 1024 * 1024
READ_CHUNK = 256 * 1024
MAX_CHUNKS_PER_READ = 16


class ParentLink:
    """The web process's end of one worker's link. `ring` and `tell_listening` may be called
    from any thread; `read_lines` from the event loop that watches the socket."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)  # only `wait_ready` waits, with a timeout of its own
        self._sock = sock
        self._buffer = bytearray()
        self._lock = threading.Lock()
        # A flag the socket had no room for is sent before the next byte that fits.
        self._unsent_flag: bytes | None = None
        self.closed = False

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the worker says it takes tasks; False if it died or took too long. Call
        once, before the link is watched."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                # The READY line, wherever it is: events published before it stay buffered.
                start = (b"\n" + self._buffer).find(b"\n" + READY + b"\n")
                if start >= 0:
                    del self._buffer[start : start + len(READY) + 1]
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._sock.settimeout(remaining)
                chunk = self._sock.recv(READ_CHUNK)
                if not chunk:
                    return False
                self._buffer += chunk
        except OSError:  # timed out, or the worker is gone
            return False
        finally:
            self._sock.setblocking(False)

    def fileno(self) -> int:
        return self._sock.fileno()

    def ring(self) -> None:
        self._send(RING)

    def tell_listening(self, listening: bool) -> None:
        with self._lock:
            self._unsent_flag = LISTENING if listening else NOT_LISTENING
        self._send(b"")

    def _send(self, byte: bytes) -> None:
        with self._lock:
            if self.closed:
                return
            data = (self._unsent_flag or b"") + byte
            if not data:
                return
            try:
                sent = self._sock.send(data)
            except BlockingIOError:
                # The worker is not reading (busy or stuck): it has rings enough to wake it.
                return
            except OSError:
                return  # the worker is gone; its supervisor starts a new one
            if self._unsent_flag is not None and sent >= 1:
                self._unsent_flag = None

    def read_lines(self) -> list[bytes] | None:
        """The complete lines the worker has sent so far; None once it has closed its end."""
        lines = self._take_lines()
        # Bounded, so that one busy worker cannot hold the event loop; the rest is read the
        # next time the loop finds the socket readable.
        for _ in range(MAX_CHUNKS_PER_READ):
            try:
                chunk = self._sock.recv(READ_CHUNK)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                return lines or None  # end-of-file is seen again on the next call
            self._buffer += chunk
            lines.extend(self._take_lines())
        return lines

    def _take_lines(self) -> list[bytes]:
        *complete, rest = self._buffer.split(b"\n")
        self._buffer = bytearray(rest)
        lines = [bytes(line) for line in complete if line]
        if len(self._buffer) > MAX_LINE_BYTES:
            log.warning("worker.link.oversized_line", bytes=len(self._buffer))
            self._buffer.clear()
            lines.append(LAGGED)
        return lines

    def close(self) -> None:
        with self._lock:
            self.closed = True
        self._sock.close()


class ChildLink:
    """A worker process's end. A thread reads the web process's bytes; another sends this
    process's events, so that a task publishing an event never waits for the socket."""

    def __init__(
        self,
        sock: socket.socket,
        *,
        on_ring: Callable[[], None],
        on_parent_gone: Callable[[], None],
    ) -> None:
        sock.setblocking(True)
        self._sock = sock
        self._on_ring = on_ring
        self._on_parent_gone = on_parent_gone
        self._outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=MAX_OUTBOX)
        self._dropped = False
        self.listening = False
        self._reader = threading.Thread(target=self._read, name="link-reader", daemon=True)
        self._sender = threading.Thread(target=self._send, name="link-sender", daemon=True)

    @classmethod
    def from_fd(
        cls, fd: int, *, on_ring: Callable[[], None], on_parent_gone: Callable[[], None]
    ) -> ChildLink:
        return cls(socket.socket(fileno=fd), on_ring=on_ring, on_parent_gone=on_parent_gone)

    def start(self) -> None:
        self._reader.start()
        self._sender.start()

    def send_ready(self) -> None:
        """Tell the web process this worker takes tasks from now on."""
        self._outbox.put(READY + b"\n")

    def send_event(self, line: bytes) -> None:
        """Queue one event (JSON without a newline) for the web process; never blocks."""
        try:
            if self._dropped:
                self._outbox.put_nowait(LAGGED + b"\n")
                self._dropped = False
            self._outbox.put_nowait(line + b"\n")
        except queue.Full:
            if not self._dropped:
                log.warning("worker.link.events_dropped", queued=MAX_OUTBOX)
            self._dropped = True

    def close(self) -> None:
        with contextlib.suppress(queue.Full):
            self._outbox.put_nowait(None)
        self._sender.join(timeout=2)
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()

    def _read(self) -> None:
        while True:
            try:
                data = self._sock.recv(4096)
            except OSError:
                data = b""
            if not data:
                self._on_parent_gone()
                return
            if RING in data:
                # However many rings arrived together, one idle thread per ring is the most
                # that can be useful; the queue's doorbell bounds them anyway.
                for _ in range(data.count(RING)):
                    self._on_ring()
            flags = data.replace(RING, b"")
            if flags:
                self.listening = flags[-1:] == LISTENING

    def _send(self) -> None:
        while True:
            line = self._outbox.get()
            if line is None:
                return
            try:
                self._sock.sendall(line)
            except OSError:
                return  # the web process is gone; the reader stops this worker
