"""Schemathesis over the API's own OpenAPI, on a real `surgiai api` process logged in as the
owner: examples, coverage, fuzzing and stateful phases, a small budget per operation (the long
run is `make bench`'s api_fuzz). No server error, no response outside the spec."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from benchmarks.api_fuzz import login, schemathesis_command, seed_owner
from tests.services import StartService, base_env


def test_the_api_keeps_its_contract_under_fuzzing(
    tmp_path: Path, start_service: StartService
) -> None:
    database_url = f"sqlite:///{tmp_path}/surgiai.db"
    seed_owner(database_url)
    service = start_service("api", base_env(tmp_path, database_url))
    workdir = tmp_path / "schemathesis"
    workdir.mkdir()
    command = schemathesis_command(
        service.url, login(service.url), max_examples=3, workdir=workdir, seed=19
    )
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, cwd=workdir
    )
    # Non-zero for any failed check: a server error, a response the spec does not describe,
    # invalid data accepted or valid data refused.
    assert finished.returncode == 0, finished.stdout[-8000:]
    report = json.loads((workdir / "report.json").read_text())
    assert report, "schemathesis wrote no report"
