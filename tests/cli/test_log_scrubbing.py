"""What the operator's log holds after every kind of failure: no phone number, password, hash,
token, secret or message body, while request ids and timestamps stay searchable, and each 500
is logged once. The log is the real stderr of `surgiai api` and `surgiai worker` processes.

The failures are real: PostgreSQL triggers make the database refuse a user's new phone or
password (a 500 whose exception carries the statement's parameters) and an audit row written by
a worker task."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from surgiai.db.engine import make_engine
from tests.conftest import make_runtime, make_settings, truncate_all
from tests.services import StartService, base_env, wait_for

OWNER_EMAIL = "dr.kavitha.rao@surgiai.test"
OWNER_PASSWORD = "Ward 7 rounds at 8"
NEW_PASSWORD = "Night shift 2026!"
PHONE = "+919812345678"
META_TOKEN = "EAAGm0PX4ZCpsBAKZCtest1234567890abcdef"
APP_SECRET = "app-secret-3f9a1c77d2e4"
VERIFY_TOKEN = "verify-token-8be21d0c"
BODY = "Please send the price list for the laparoscopic stapler"
# A request id as SurgiAI makes them (hex prefix and counter): digit runs inside must survive.
REQUEST_IDS = ("31074c60a190c1ae00000000000003f2", "9f8e7d6c5b4a39281700000000919812")
ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")

FAIL_WRITES = """
CREATE OR REPLACE FUNCTION surgiai_test_refuse() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END
$$ LANGUAGE plpgsql;
CREATE TRIGGER surgiai_test_refuse_user BEFORE UPDATE ON "user" FOR EACH ROW
WHEN (NEW.phone IS DISTINCT FROM OLD.phone OR NEW.password_hash IS DISTINCT FROM OLD.password_hash)
EXECUTE FUNCTION surgiai_test_refuse();
CREATE TRIGGER surgiai_test_refuse_audit BEFORE INSERT ON audit_event FOR EACH ROW
WHEN (NEW.action = 'test.log_scrubbing') EXECUTE FUNCTION surgiai_test_refuse();
"""
ALLOW_WRITES = """
DROP TRIGGER IF EXISTS surgiai_test_refuse_user ON "user";
DROP TRIGGER IF EXISTS surgiai_test_refuse_audit ON audit_event;
DROP FUNCTION IF EXISTS surgiai_test_refuse();
"""


@pytest.fixture
def failing_database(postgres_database: str) -> Iterator[str]:
    engine = make_engine(postgres_database)
    with engine.begin() as connection:
        connection.execute(text(FAIL_WRITES))
    try:
        yield postgres_database
    finally:
        with engine.begin() as connection:
            connection.execute(text(ALLOW_WRITES))
        truncate_all(engine)
        engine.dispose()


def secrets_in(output: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Whatever of the fed secrets the output holds (a phone in any of its spellings)."""
    fed = (
        "9812345678",
        "98123 45678",
        "$argon2",
        OWNER_PASSWORD,
        NEW_PASSWORD,
        META_TOKEN,
        APP_SECRET,
        VERIFY_TOKEN,
        BODY,
        *extra,
    )
    return [secret for secret in fed if secret in output]


def json_events(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def env_for(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = base_env(tmp_path, database_url)
    env.update(
        {
            "SURGIAI_ADMIN_EMAIL": OWNER_EMAIL,
            "SURGIAI_ADMIN_PASSWORD": OWNER_PASSWORD,
            "SURGIAI_META_APP_SECRET": APP_SECRET,
            "SURGIAI_WEBHOOK_VERIFY_TOKEN": VERIFY_TOKEN,
            "SURGIAI_SECRET_KEY": "log-scrubbing-secret-key-0123456789",
            "SURGIAI_LOG_JSON": "1",
        }
    )
    return env


class TestApiLog:
    def test_errors_leave_no_personal_data_or_secret_and_each_500_is_logged_once(
        self, start_service: StartService, tmp_path: Path, failing_database: str
    ) -> None:
        service = start_service("api", env_for(tmp_path, failing_database))
        http = httpx.Client(base_url=service.url, timeout=30)
        login = http.post(
            "/api/v1/auth/login", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}

        # Two 500s whose exceptions carry the phone and the new password's hash.
        phone = http.patch(
            "/api/v1/auth/me",
            json={"phone": PHONE},
            headers={**auth, "X-Request-ID": REQUEST_IDS[0]},
        )
        password = http.post(
            "/api/v1/auth/me/password",
            json={"current_password": OWNER_PASSWORD, "new_password": NEW_PASSWORD},
            headers={**auth, "X-Request-ID": REQUEST_IDS[1]},
        )
        assert (phone.status_code, password.status_code) == (500, 500)
        # A malformed request full of secrets.
        invalid = http.patch(
            "/api/v1/auth/me",
            json={"phone": [PHONE], "name": {"access_token": META_TOKEN, "body": BODY}},
            headers=auth,
        )
        assert invalid.status_code == 422
        # A token refused in a WebSocket query string, and a wrong verify token for Meta's check.
        with pytest.raises(InvalidStatus):
            connect(
                f"{service.url.replace('http', 'ws')}/api/v1/ws?token={token}"
                f"&access_token={META_TOKEN}",
                proxy=None,
                open_timeout=10,
            )
        verify = http.get(
            "/webhooks/whatsapp",
            params={"hub.mode": "subscribe", "hub.verify_token": APP_SECRET, "hub.challenge": "7"},
        )
        assert verify.status_code == 403

        def logged() -> str | None:
            output = service.log.read_text()
            return output if "/api/v1/ws?token=" in output else None

        output = wait_for(logged, message="uvicorn did not log the refused WebSocket")
        assert secrets_in(output, (token,)) == []
        assert "/api/v1/ws?token=***&access_token=***" in output

        events = json_events(output)
        errors = [event for event in events if event.get("level") in {"error", "critical"}]
        assert [(event["event"], event["correlation_id"]) for event in errors] == [
            ("http.unhandled_error", REQUEST_IDS[0]),
            ("http.unhandled_error", REQUEST_IDS[1]),
        ]
        assert "No space left on device" in errors[0]["exception"]
        assert "Exception in ASGI application" not in output
        assert all(ISO_TIMESTAMP.match(event["timestamp"]) for event in events)
        # The header echoes the id the log holds.
        assert phone.headers["X-Request-ID"] == REQUEST_IDS[0]


class TestWorkerLog:
    def test_a_failing_task_leaves_no_personal_data_or_secret(
        self, tmp_path: Path, failing_database: str, redis_url: str
    ) -> None:
        settings = make_settings(tmp_path, failing_database, redis_url=redis_url)
        runtime = make_runtime(settings)
        runtime.queue.huey.flush()
        log_path = tmp_path / "worker.log"
        env = env_for(tmp_path, failing_database)
        env["SURGIAI_REDIS_URL"] = redis_url
        with log_path.open("w") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "surgiai", "worker", "--threads", "1"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            event = {
                "event_key": uuid.uuid4().hex,
                "occurred_at": "2026-12-07T05:48:33+00:00",
                "action": "test.log_scrubbing",
                "actor_email": OWNER_EMAIL,
                "details": {
                    "phone": PHONE,
                    "body": BODY,
                    "access_token": META_TOKEN,
                    "note": f"hub.verify_token={VERIFY_TOKEN} from 98123 45678",
                },
            }
            runtime.queue.send("audit.record", event)

            def failed() -> str | None:
                output = log_path.read_text()
                return output if "No space left on device" in output else None

            output = wait_for(failed, message="the worker did not log the failed task")
        finally:
            worker.terminate()
            worker.wait(timeout=20)
            runtime.queue.huey.flush()
            runtime.close()
        assert secrets_in(output) == []
        [failure, *_] = [e for e in json_events(output) if "No space left" in str(e)]
        assert failure["logger"].startswith("huey")
        assert ISO_TIMESTAMP.match(failure["timestamp"])
