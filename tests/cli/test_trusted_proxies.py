"""The per-address login limit counts the address the connection comes from, unless it comes
from a reverse proxy named in SURGIAI_TRUSTED_PROXIES: only then is X-Forwarded-For believed.
A real `surgiai api` process, since uvicorn reads the forwarding headers."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.services import StartService, base_env


def failed_logins(url: str, forwarded_for: list[str]) -> list[int]:
    """Wrong passwords for a different email each time, from the given forwarded addresses."""
    statuses = []
    for index, address in enumerate(forwarded_for):
        response = httpx.post(
            url + "/api/v1/auth/login",
            json={"email": f"dr.{index}@clinic.example", "password": "not the password"},
            headers={"X-Forwarded-For": address},
        )
        statuses.append(response.status_code)
    return statuses


def env_for(tmp_path: Path, database_url: str, **settings: str) -> dict[str, str]:
    env = base_env(tmp_path, database_url)
    env["SURGIAI_LOGIN_MAX_FAILURES"] = "2"
    env.update(settings)
    return env


class TestTrustedProxies:
    def test_by_default_a_forged_x_forwarded_for_does_not_escape_the_limit(
        self, start_service: StartService, tmp_path: Path, database_url: str
    ) -> None:
        service = start_service("api", env_for(tmp_path, database_url))
        forged = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"]
        assert failed_logins(service.url, forged) == [401, 401, 429, 429]

    def test_behind_a_trusted_proxy_each_client_address_is_counted_apart(
        self, start_service: StartService, tmp_path: Path, database_url: str
    ) -> None:
        env = env_for(tmp_path, database_url, SURGIAI_TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.1")
        service = start_service("api", env)
        clients = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.3", "203.0.113.3"]
        assert failed_logins(service.url, clients) == [401, 401, 401, 401, 429]
