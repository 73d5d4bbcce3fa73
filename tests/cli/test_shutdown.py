"""Stopping `surgiai run` the way an operator does: Ctrl+C in its terminal, whenever it comes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import Service, base_env, free_port, wait_for


class TestCtrlC:
    @pytest.mark.parametrize("when", ["while starting", "once ready"])
    def test_run_stops_without_a_traceback(
        self, when: str, tmp_path: Path, database_url: str
    ) -> None:
        port = free_port()
        log = tmp_path / "run.log"
        with log.open("w") as output:
            # Its own process group, as a terminal's foreground job: Ctrl+C reaches every
            # process of the group at once.
            process = subprocess.Popen(
                [sys.executable, "-m", "surgiai", "run", "--port", str(port)],
                env=base_env(tmp_path, database_url),
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        try:
            if when == "once ready":
                Service(process, port, log).wait_ready()
            else:
                # The worker processes are starting (importing, training the intent model).
                wait_for(lambda: "SurgiAI is running" in log.read_text(), timeout=60)
            os.killpg(process.pid, signal.SIGINT)
            code = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        printed = log.read_text(errors="replace")
        assert "Traceback" not in printed, printed
        assert code in (0, 130), printed
