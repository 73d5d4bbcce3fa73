from __future__ import annotations

import json

import pytest
import structlog
from fastapi.testclient import TestClient

from surgiai.logging import configure_logging, mask_phone
from surgiai.runtime import Runtime
from tests.fixtures import create_user


@pytest.fixture(autouse=True)
def _restore_logging() -> object:
    yield
    # These tests point structlog at pytest's capture stream, which closes after each test.
    structlog.reset_defaults()


class TestMasking:
    def test_phone_numbers_keep_only_their_last_four_digits(self) -> None:
        assert mask_phone("doctor 919876543210 wrote") == "doctor +********3210 wrote"
        assert mask_phone("+91 98765 43210") == "+********3210"
        assert mask_phone("order 1234 of 56") == "order 1234 of 56"

    def test_secrets_and_phones_never_reach_the_log(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        configure_logging("INFO", json=True)
        structlog.get_logger("test").info(
            "channels.send",
            access_token="EAAG-secret-token",
            app_secret="s3cr3t",
            to="+16505551234",
            payload={"password": "hunter22", "wa_id": "16505551234"},
        )
        line = capsys.readouterr().err.strip().splitlines()[-1]
        event = json.loads(line)
        assert "EAAG-secret-token" not in line and "s3cr3t" not in line
        assert "hunter22" not in line and "6505551234" not in line
        assert event["access_token"] == "***"
        assert event["to"] == "+*******1234"


class TestCorrelationId:
    def test_request_id_is_echoed_and_carried_into_logs(
        self, client: TestClient, runtime: Runtime, capsys: pytest.CaptureFixture[str]
    ) -> None:
        configure_logging("INFO", json=True)
        create_user(runtime)
        response = client.post(
            "/api/v1/auth/login",
            json={"email": "owner@example.com", "password": "wrong password"},
            headers={"X-Request-ID": "req-abc-123"},
        )
        assert response.headers["X-Request-ID"] == "req-abc-123"
        events = [json.loads(line) for line in capsys.readouterr().err.splitlines() if "{" in line]
        failed = next(event for event in events if event["event"] == "auth.login.failed")
        assert failed["correlation_id"] == "req-abc-123"
        generated = client.get("/healthz").headers["X-Request-ID"]
        assert len(generated) == 32
