"""The worker processes of `surgiai run`: the web process serves HTTP and the dashboards, and the
tasks (processing webhooks, the Master Agent, sends) run in worker processes beside it, so that the
two share more than one core (one Python process runs one thread at a time).

They share the SQLite files (database and queue) and each has a link to the web process
(`surgiai.worker.link`): the web process rings it when it queues work, tells it whether a
dashboard is listening, and relays its real-time events. A worker that dies is started again;
one whose web process dies (even by SIGKILL) reads end-of-file on its link and stops after the
tasks it is running. Worker 0 also runs the periodic tasks and sweepers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

import structlog

from surgiai.config import Settings
from surgiai.realtime.broker import Broker, InProcessBroker
from surgiai.worker.link import ParentLink
from surgiai.worker.queue import Doorbell

log = structlog.get_logger(__name__)

# A worker finishing its tasks on stop gets this long before it is killed (a send waiting on
# the Graph API is the longest task).
STOP_GRACE_SECONDS = 30.0
# A worker imports the package and trains the intent model before it says it is ready.
READY_WITHIN_SECONDS = 60.0
READY_SLICE_SECONDS = 0.5
SUPERVISE_INTERVAL_SECONDS = 0.5
RESTART_MIN_SECONDS = 1.0
RESTART_MAX_SECONDS = 30.0
# A worker that ran at least this long before dying is restarted without waiting.
HEALTHY_AFTER_SECONDS = 10.0


@dataclass
class _Worker:
    index: int
    process: subprocess.Popen[bytes]
    link: ParentLink
    started_at: float
    ready: bool = False


class WorkerProcesses:
    def __init__(
        self,
        settings: Settings,
        *,
        count: int,
        threads: int,
        broker: Broker,
        doorbell: Doorbell,
    ) -> None:
        """`doorbell`: the web process's; each of its rings wakes the workers too."""
        self.settings = settings
        self.count = count
        self.threads = threads
        self.broker = broker
        self.doorbell = doorbell
        self._workers: list[_Worker] = []
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._restart_delay = RESTART_MIN_SECONDS

    def start(self) -> None:
        """Start the workers; `ready` says when they all take tasks. Meanwhile webhooks are
        stored and acknowledged as usual, and their work waits in the queue."""
        self._workers = [self._launch(index) for index in range(self.count)]
        self.doorbell.ring_elsewhere(self.ring)
        self._supervisor = threading.Thread(
            target=self._supervise, name="worker-supervisor", daemon=True
        )
        self._supervisor.start()

    def ring(self) -> None:
        """Work was queued: wake a worker (every worker is told; one thread of each looks)."""
        for worker in self._workers:
            worker.link.ring()

    def ready(self) -> bool:
        """Every worker has started and takes tasks (`/readyz`)."""
        return all(worker.ready for worker in self._workers)

    def stop(self, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
        """Let every worker finish the tasks it is running, then end it."""
        self._stopping.set()
        self.doorbell.stop_ringing_elsewhere(self.ring)
        if self._supervisor is not None:
            self._supervisor.join()
        for worker in self._workers:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGINT)  # Huey's graceful stop
        deadline = time.monotonic() + grace_seconds
        for worker in self._workers:
            try:
                worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker.process.killed", worker=worker.index, pid=worker.process.pid)
                worker.process.kill()
                worker.process.wait()
            self._close_link(worker.link)

    def _close_link(self, link: ParentLink) -> None:
        if isinstance(self.broker, InProcessBroker):
            self.broker.detach_worker(link)
        else:
            link.close()

    def _launch(self, index: int) -> _Worker:
        ours, theirs = socket.socketpair()
        command = [
            sys.executable,
            "-m",
            "surgiai",
            "worker",
            "--threads",
            str(self.threads),
            "--link-fd",
            str(theirs.fileno()),
        ]
        if index == 0:
            command.append("--periodic")
        try:
            process = subprocess.Popen(  # noqa: S603 - this interpreter, our own arguments
                command,
                env=worker_environment(self.settings),
                pass_fds=[theirs.fileno()],
                # Its own session: a Ctrl-C in the terminal reaches the web process, which
                # then stops the workers gracefully, once.
                start_new_session=True,
            )
        finally:
            theirs.close()
        return _Worker(index, process, ParentLink(ours), time.monotonic())

    def _when_ready(self, worker: _Worker) -> None:
        deadline = time.monotonic() + READY_WITHIN_SECONDS
        # In slices, so that a stop or the worker's death ends the wait.
        while (
            not self._stopping.is_set()
            and worker.process.poll() is None
            and time.monotonic() < deadline
        ):
            if worker.link.wait_ready(READY_SLICE_SECONDS):
                worker.ready = True
                break
            self._stopping.wait(0.05)  # end-of-file comes back at once: do not spin
        if worker.ready:
            log.info("worker.process.started", worker=worker.index, pid=worker.process.pid)
        else:
            # It died while starting (the supervisor starts another) or is slow: either way
            # the work queued meanwhile waits in the queue until a worker takes it.
            log.error("worker.process.not_ready", worker=worker.index, pid=worker.process.pid)
        if isinstance(self.broker, InProcessBroker):
            self.broker.attach_worker(worker.link)

    def _supervise(self) -> None:
        for worker in self._workers:
            self._when_ready(worker)
        while not self._stopping.wait(SUPERVISE_INTERVAL_SECONDS):
            for position, worker in enumerate(self._workers):
                code = worker.process.poll()
                if code is None:
                    continue
                lived = time.monotonic() - worker.started_at
                log.error("worker.process.exited", worker=worker.index, code=code)
                self._close_link(worker.link)
                if lived < HEALTHY_AFTER_SECONDS:
                    # Dying at once again and again (a bad setting, a broken install): do not
                    # spin; the sweepers re-drive whatever it had started.
                    if self._stopping.wait(self._restart_delay):
                        return
                    self._restart_delay = min(self._restart_delay * 2, RESTART_MAX_SECONDS)
                else:
                    self._restart_delay = RESTART_MIN_SECONDS
                replacement = self._launch(worker.index)
                workers = list(self._workers)
                workers[position] = replacement
                self._workers = workers  # swapped whole: `ring` reads it from other threads
                self._when_ready(replacement)


def worker_environment(settings: Settings) -> dict[str, str]:
    """The environment of a worker process: this process's, plus the settings `surgiai run`
    may have changed after reading it (command-line options, `--demo`)."""
    environment = dict(os.environ)
    environment["SURGIAI_DATA_DIR"] = str(settings.data_dir.resolve())
    environment["SURGIAI_HOST"] = settings.host
    environment["SURGIAI_PORT"] = str(settings.port)
    environment["SURGIAI_GRAPH_API_BASE"] = settings.graph_api_base
    for name, secret in (
        ("SURGIAI_META_APP_SECRET", settings.meta_app_secret),
        ("SURGIAI_WEBHOOK_VERIFY_TOKEN", settings.webhook_verify_token),
    ):
        if secret is not None:
            environment[name] = secret.get_secret_value()
    return environment
