"""`surgiai run --demo` syncs the simulator's templates into our table through the Graph
API, as it would from Meta."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from surgiai.demo import DEMO_TEMPLATES
from tests.services import StartService, base_env, wait_for


class TestDemo:
    def test_the_demo_templates_are_synced(
        self, start_service: StartService, tmp_path: Path, database_url: str
    ) -> None:
        env = base_env(tmp_path, database_url)
        env["SURGIAI_ADMIN_PASSWORD"] = "demo password"
        service = start_service("run", env, ["--demo"])
        token = httpx.post(
            service.url + "/api/v1/auth/login",
            json={"email": "owner@surgiai.local", "password": "demo password"},
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def synced() -> dict[str, Any] | None:
            page: dict[str, Any] = httpx.get(
                service.url + "/api/v1/templates", headers=headers
            ).json()
            return page if page["items"] else None

        page = wait_for(synced, message="no template was synced")
        assert sorted(item["name"] for item in page["items"]) == sorted(
            template.name for template in DEMO_TEMPLATES
        )
        assert all(item["status"] == "APPROVED" for item in page["items"])
        [sync] = page["syncs"]
        assert sync["template_count"] == len(DEMO_TEMPLATES)
