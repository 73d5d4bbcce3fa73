"""Factories for test data."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from surgiai.auth.models import User
from surgiai.auth.roles import Role
from surgiai.auth.security import hash_password
from surgiai.db.engine import session_scope
from surgiai.runtime import Runtime

PASSWORD = "correct horse battery"


def create_user(
    runtime: Runtime, *, email: str = "owner@example.com", role: Role = Role.owner
) -> User:
    with session_scope(runtime.session_factory) as session:
        user = User(
            email=email, name=email.split("@")[0], role=role, password_hash=hash_password(PASSWORD)
        )
        session.add(user)
        session.flush()
        return user


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Log in and return Bearer headers."""
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def user_count(session: Session) -> int:
    return session.query(User).count()
