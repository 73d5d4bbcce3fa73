"""The API against its own OpenAPI, at length: schemathesis runs every phase (examples,
coverage, fuzzing, stateful) with every check on a real `surgiai api` process (SQLite), logged
in as the owner, with far more cases than the suite's run (tests/web/test_fuzzing.py).

Figures: how many operations and cases ran, and the failures found by kind; the target is none.
`python -m benchmarks api_fuzz` (or `make bench`); SURGIAI_FUZZ_EXAMPLES sets the cases per
operation (default 200)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import sessionmaker

from benchmarks.harness import Server, base_env, free_port, python
from surgiai.auth.models import User
from surgiai.auth.roles import Role
from surgiai.auth.security import hash_password
from surgiai.db.engine import make_engine, session_scope
from surgiai.db.migrate import upgrade

OWNER_EMAIL = "dr.kavitha.rao@surgiai.test"
OWNER_PASSWORD = "Ward 7 rounds at 8"
PHASES = "examples,coverage,fuzzing,stateful"
# The route that ends the session schemathesis logs in with, and the WebSocket upgrade.
EXCLUDED_PATHS = "^/api/v1/(auth/logout|ws)$"


# Schema-valid requests the API rightly refuses: an id nobody created (404), a duplicate name
# (409), a rule no JSON Schema states (422: an email address, a time zone's name, a phone number
# that is one, score_min not above score_max), a cursor it did not return (400), a send with no
# number to send from (503), the check's own probes with a made-up login (401) and logins it
# throttles (429). Any other refusal of valid data fails the run. Meta's webhook refuses (403)
# what the fuzzer cannot sign or verify: its secrets are the point.
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "404", "409", "422", "429", "503"]

[[operations]]
include-path-regex = "^/webhooks/"
checks.positive_data_acceptance.expected-statuses = ["2xx", "403"]
"""


def schemathesis_command(
    url: str, token: str, *, max_examples: int, workdir: Path, seed: int | None = None
) -> list[str]:
    """`schemathesis run` over the API at `url` with every phase and every check, as the
    owner; it writes its configuration, caches and JSON report (report.json) in `workdir`, which
    must be the run's working directory."""
    (workdir / "schemathesis.toml").write_text(CONFIG)
    command = [
        python(),
        "-m",
        "schemathesis.cli",
        f"--config-file={workdir / 'schemathesis.toml'}",
        "run",
        f"{url}/api/v1/openapi.json",
        f"--url={url}",
        f"--phases={PHASES}",
        "--checks=all",
        f"--header=Authorization: Bearer {token}",
        f"--exclude-path-regex={EXCLUDED_PATHS}",
        f"--max-examples={max_examples}",
        "--workers=1",
        "--continue-on-failure",
        "--suppress-health-check=all",
        "--generation-database=none",
        "--report=json",
        f"--report-json-path={workdir / 'report.json'}",
        "--output-truncate=true",
    ]
    if seed is not None:
        command.append(f"--seed={seed}")
    return command


def seed_owner(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with session_scope(sessionmaker(engine)) as session:
        session.add(
            User(
                # Far from the ids the fuzzer makes and guesses: its edits (a new password,
                # deactivation) must not end the session it runs with.
                id=900_000_001,
                email=OWNER_EMAIL,
                name="Dr. Kavitha Rao",
                role=Role.owner,
                password_hash=hash_password(OWNER_PASSWORD),
            )
        )
    engine.dispose()


def login(url: str) -> str:
    response = httpx.post(
        f"{url}/api/v1/auth/login", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def run() -> dict[str, Any]:
    max_examples = int(os.environ.get("SURGIAI_FUZZ_EXAMPLES", "200"))
    with tempfile.TemporaryDirectory(prefix="surgiai-fuzz-") as directory:
        data = Path(directory)
        database_url = f"sqlite:///{data}/surgiai.db"
        seed_owner(database_url)
        port = free_port()
        env = base_env(SURGIAI_DATA_DIR=str(data), SURGIAI_DATABASE_URL=database_url)
        server = Server(
            [python(), "-m", "surgiai", "api", "--port", str(port)],
            port,
            env,
            "/readyz",
            log=data / "api.log",
        )
        try:
            command = schemathesis_command(
                server.url, login(server.url), max_examples=max_examples, workdir=data
            )
            finished = subprocess.run(
                command, capture_output=True, text=True, check=False, cwd=data
            )
        finally:
            server.stop()
        # The summary: phases, failures by kind (none, when the API keeps its contract).
        summary = finished.stdout[finished.stdout.rfind("SUMMARY") :]
        print(summary, file=sys.stderr)
        return {
            "max_examples_per_operation": max_examples,
            "passed": finished.returncode == 0,
            "failures": re.findall(r"❌ (ST\d+ [^\n]+)", summary),
        }
