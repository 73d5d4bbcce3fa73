from __future__ import annotations

import json

import pytest
import structlog
from fastapi.testclient import TestClient

from surgiai.logging import configure_logging, mask_phone, scrub_text
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


class TestScrubbing:
    @pytest.mark.parametrize(
        "number",
        [
            "+919812345678",
            "+91 98123 45678",
            "+91-98123-45678",
            "919812345678",
            "9812345678",
            "98123 45678",
            "098123 45678",
            "0091 98123 45678",
            "+16505551234",
            "16505551234",
        ],
    )
    def test_phone_numbers_in_any_spelling_are_masked(self, number: str) -> None:
        scrubbed = scrub_text(f"doctor ({number}) wrote")
        assert "2345678" not in scrubbed and "5551234" not in scrubbed
        assert scrubbed.endswith(("5678) wrote", "1234) wrote"))

    @pytest.mark.parametrize(
        "survivor",
        [
            "31074c60a190c1ae00000000000003f2",
            "2026-12-07T05:48:33.123456+00:00",
            "wamid.HBgMOTE5ODEyMzQ1Njc4FQIAEhgUM0E3RjI1QzA5OEQ3RkI2QjBBNzUA",
            "phone_number_id 106540352242922",
            "media 1037543291543636",
            "at 1765086513.25",
            "order 1234 of 56",
        ],
    )
    def test_ids_and_timestamps_are_left_whole(self, survivor: str) -> None:
        assert scrub_text(survivor) == survivor

    @pytest.mark.parametrize(
        ("text", "secret"),
        [
            (
                "[parameters: {'password_hash': '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'}]",
                "$argon2id",
            ),
            ("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "c2FsdA"),
            ("Authorization: Bearer 4fQm1x.Zk9-_token", "4fQm1x"),
            ('"WebSocket /api/v1/ws?token=4fQm1xZk9" 403', "4fQm1xZk9"),
            ("GET /webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=s3cr3t", "s3cr3t"),
            ("graph said: invalid EAAGm0PX4ZCpsBAKZC1234567890abcdef", "EAAGm0PX"),
            ("{'app_secret': 'abc123def'}", "abc123def"),
            ("{'body': 'Need 20 staplers by Friday', 'to': '16505551234'}", "staplers"),
        ],
    )
    def test_hashes_tokens_secrets_and_bodies_are_masked(self, text: str, secret: str) -> None:
        assert secret not in scrub_text(text)


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
