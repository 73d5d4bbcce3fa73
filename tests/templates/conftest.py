"""Helpers for the templates tests: users by role, and templates seeded as a sync would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from surgiai.auth.roles import Role
from surgiai.channels.cloud.templates import template_info
from surgiai.db.engine import session_scope
from surgiai.runtime import Runtime
from surgiai.templates.service import SyncCounts, template_service
from tests.fixtures import WABA_ID, create_user, login

Headers = dict[str, str]


@pytest.fixture
def headers_for(client: TestClient, runtime: Runtime) -> Callable[[Role], Headers]:
    """Bearer headers of a fresh user with `role`."""

    def make(role: Role) -> Headers:
        email = f"{role.value}@example.com"
        create_user(runtime, email=email, role=role)
        return login(client, email)

    return make


@pytest.fixture
def seed(runtime: Runtime) -> Callable[..., SyncCounts]:
    """Apply a sync of `templates` (Graph's shape, read as the Cloud adapter reads it) to a
    WABA, as the sync task does."""

    def apply(templates: list[dict[str, Any]], *, waba_id: str = WABA_ID) -> SyncCounts:
        listed = [info for item in templates if (info := template_info(item)) is not None]
        with session_scope(runtime.session_factory) as session:
            return template_service.apply_sync(session, waba_id, listed)

    return apply
