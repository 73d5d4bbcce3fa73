from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from surgiai.auth.roles import Role
from surgiai.config import Settings
from surgiai.db.engine import session_scope
from surgiai.kit.time import utcnow
from surgiai.runtime import Runtime
from surgiai.templates.models import MessageTemplate
from surgiai.workspace.service import workspace_service
from tests.conftest import make_settings
from tests.fixtures import WABA_ID, create_user, login

# What the operator set in the environment: a fresh install starts from these.
ENVIRONMENT = {
    "business_name": "Acme Surgical",
    "agent_burst_seconds": 5.0,
    "alert_template": "ops_alert",
    "alert_template_language": "en_US",
    "timezone": "Asia/Kolkata",
}


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url, **ENVIRONMENT)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    workspace_service.invalidate()
    yield
    workspace_service.invalidate()


def headers_for(client: TestClient, runtime: Runtime, role: Role) -> dict[str, str]:
    email = f"{role.value}@example.com"
    create_user(runtime, email=email, role=role)
    return login(client, email)


@pytest.fixture
def owner(client: TestClient, runtime: Runtime) -> dict[str, str]:
    return headers_for(client, runtime, Role.owner)


@pytest.fixture
def admin(client: TestClient, runtime: Runtime) -> dict[str, str]:
    return headers_for(client, runtime, Role.admin)


def add_template(
    runtime: Runtime,
    name: str,
    language: str = "en_US",
    *,
    status: str = "APPROVED",
    body: str = "SurgiAI alert: {{1}}",
    waba_id: str = WABA_ID,
    now: datetime | None = None,
) -> None:
    with session_scope(runtime.session_factory) as session:
        session.add(
            MessageTemplate(
                waba_id=waba_id,
                name=name,
                language=language,
                status=status,
                category="UTILITY",
                components=[{"type": "BODY", "text": body}],
                synced_at=now or utcnow(),
            )
        )
