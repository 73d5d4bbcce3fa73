"""The operator's first steps: start the service, log in, and clear errors for bad settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.services import StartService, base_env


class TestFirstStart:
    def test_owner_from_environment_can_log_in(
        self, start_service: StartService, tmp_path: Path, database_url: str
    ) -> None:
        env = base_env(tmp_path, database_url)
        env.update(
            {
                "SURGIAI_ADMIN_EMAIL": "boss@clinic.example",
                "SURGIAI_ADMIN_PASSWORD": "a strong password",
            }
        )
        service = start_service("api", env)
        response = httpx.post(
            service.url + "/api/v1/auth/login",
            json={"email": "boss@clinic.example", "password": "a strong password"},
        )
        assert response.status_code == 200
        assert response.json()["user"]["role"] == "owner"
        assert (tmp_path / "data" / "secret_key").exists()

    def test_generated_password_is_printed_once_and_works(
        self, start_service: StartService, tmp_path: Path, database_url: str
    ) -> None:
        env = base_env(tmp_path, database_url)
        env["SURGIAI_ADMIN_EMAIL"] = "boss@clinic.example"
        service = start_service("run", env)
        [line] = [line for line in service.output().splitlines() if "Generated password" in line]
        match = re.search(r": (\S+)$", line.strip())
        assert match is not None, line
        password = match.group(1)
        response = httpx.post(
            service.url + "/api/v1/auth/login",
            json={"email": "boss@clinic.example", "password": password},
        )
        assert response.status_code == 200


class TestInvalidSettings:
    @pytest.mark.parametrize(
        ("name", "value", "reason"),
        [
            ("SURGIAI_PORT", "eighty", "SURGIAI_PORT"),
            ("SURGIAI_DATABASE_URL", "mysql://x", "SURGIAI_DATABASE_URL"),
            ("SURGIAI_ADMIN_PASSWORD", "short", "at least 8 characters"),
            ("SURGIAI_TIMEZONE", "India/Delhi", "unknown time zone 'India/Delhi'"),
            (
                "SURGIAI_TRUSTED_PROXIES",
                "10.0.0.0/8,proxy.internal",
                "'proxy.internal' is not an IP address or CIDR network",
            ),
            (
                "SURGIAI_CAMPAIGN_PRICES_FILE",
                "/nonexistent/prices.json",
                "/nonexistent/prices.json: [Errno 2] No such file or directory",
            ),
        ],
    )
    def test_refuses_to_start_with_a_one_line_reason(
        self, tmp_path: Path, name: str, value: str, reason: str
    ) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SURGIAI_")}
        env[name] = value
        env["SURGIAI_DATA_DIR"] = str(tmp_path)
        result = subprocess.run(
            [sys.executable, "-m", "surgiai", "api"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("surgiai: invalid setting")
        assert reason in lines[0]


class TestUsersCommand:
    def test_creates_a_user_who_can_then_log_in(
        self, start_service: StartService, tmp_path: Path, database_url: str
    ) -> None:
        env = base_env(tmp_path, database_url)
        env["SURGIAI_ADMIN_PASSWORD"] = "owner password"
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "surgiai",
                "users",
                "create",
                "--email",
                "asha@clinic.example",
                "--role",
                "agent",
                "--password",
                "agent password",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "Created agent asha@clinic.example" in result.stdout
        service = start_service("api", env)
        response = httpx.post(
            service.url + "/api/v1/auth/login",
            json={"email": "asha@clinic.example", "password": "agent password"},
        )
        assert response.json()["user"]["role"] == "agent"
