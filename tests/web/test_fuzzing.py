"""Schemathesis over the API's own OpenAPI, on a real `surgiai api` process logged in as the
owner: examples, coverage, fuzzing and stateful phases, a small budget per operation (the long
run is `make bench`'s api_fuzz). No server error, no response outside the spec."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from benchmarks.api_fuzz import login, schemathesis_command, seed_owner
from tests.services import StartService, base_env

pytest.importorskip("schemathesis")

# Generated values that valid schemas cannot rule out, refused with a reason, are reported by
# these checks; what is left to fix is in issue 19's notes.
NOT_YET = "negative_data_rejection,unsupported_method"


def test_the_api_keeps_its_contract_under_fuzzing(
    tmp_path: Path, start_service: StartService
) -> None:
    database_url = f"sqlite:///{tmp_path}/surgiai.db"
    seed_owner(database_url)
    service = start_service("api", base_env(tmp_path, database_url))
    report = tmp_path / "report.json"
    command = schemathesis_command(
        service.url, login(service.url), max_examples=3, report=report, seed=19
    )
    command = [
        *(part for part in command if not part.startswith("--exclude-checks=")),
        f"--exclude-checks=positive_data_acceptance,{NOT_YET}",
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    summary = finished.stdout[-6000:]
    assert "not_a_server_error" not in summary and "Server error" not in summary, summary
    assert finished.returncode == 0, summary
    assert json.loads(report.read_text()), "schemathesis wrote no report"
