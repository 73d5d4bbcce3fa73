"""Owners and admins edit a colleague (name, email, phone, role) and give a colleague who
forgot their password a one-time reset link. SQLite and PostgreSQL.

Issue 18 (9): there was no way to reset a user's password or edit a user, though the login
page told people to ask an admin for a new password."""

from __future__ import annotations

from datetime import timedelta

import pytest
import structlog
from fastapi.testclient import TestClient
from sqlalchemy import select

from surgiai.auth.models import PasswordReset
from surgiai.auth.roles import Role
from surgiai.auth.security import token_digest
from surgiai.db.engine import session_scope
from surgiai.runtime import Runtime
from tests.fixtures import PASSWORD, create_user, login

NEW_PASSWORD = "theatre list at seven"


@pytest.fixture
def admin(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime, email="admin@example.com", role=Role.admin)
    return login(client, "admin@example.com")


@pytest.fixture
def colleague(runtime: Runtime) -> int:
    return create_user(runtime, email="priya@example.com", role=Role.agent).id


class TestEdit:
    def test_an_admin_edits_name_email_phone_and_role(
        self, client: TestClient, admin: dict[str, str], colleague: int
    ) -> None:
        response = client.patch(
            f"/api/v1/users/{colleague}",
            json={
                "name": " Dr  Priya Nair ",
                "email": "Priya.Nair@Example.com",
                "phone": "98765 43210",
                "role": "viewer",
            },
            headers=admin,
        )

        assert response.status_code == 200, response.text
        user = response.json()
        assert (user["name"], user["email"], user["phone"], user["role"]) == (
            "Dr Priya Nair",
            "priya.nair@example.com",
            "919876543210",
            "viewer",
        )
        assert login(client, "priya.nair@example.com")

    def test_an_impossible_phone_or_a_taken_email_is_refused(
        self, client: TestClient, admin: dict[str, str], colleague: int
    ) -> None:
        phone = client.patch(f"/api/v1/users/{colleague}", json={"phone": "12345"}, headers=admin)
        email = client.patch(
            f"/api/v1/users/{colleague}", json={"email": "admin@example.com"}, headers=admin
        )

        assert phone.status_code == 422
        assert phone.json()["detail"].startswith("phone: '12345' has too few or too many digits")
        assert email.status_code == 409

    def test_a_new_users_phone_is_read_with_the_default_region(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        response = client.post(
            "/api/v1/users",
            json={
                "email": "rahul@example.com",
                "name": "Dr Rahul Mehta",
                "role": "agent",
                "password": PASSWORD,
                "phone": "098765 43210",
            },
            headers=admin,
        )

        assert response.status_code == 201, response.text
        assert response.json()["phone"] == "919876543210"


class TestPasswordReset:
    def test_a_link_sets_a_new_password_once_and_ends_the_users_sessions(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], colleague: int
    ) -> None:
        old_session = login(client, "priya@example.com")
        with structlog.testing.capture_logs() as logs:
            made = client.post(f"/api/v1/users/{colleague}/password-reset", headers=admin)
            assert made.status_code == 201, made.text
            link = made.json()
            token = link["token"]
            assert link["path"] == f"/reset-password#token={token}"

            checked = client.post("/api/v1/auth/password-reset/check", json={"token": token})
            used = client.post(
                "/api/v1/auth/password-reset", json={"token": token, "new_password": NEW_PASSWORD}
            )

        assert checked.json()["email"] == "priya@example.com"
        assert used.status_code == 204, used.text
        assert token not in repr(logs)
        assert client.get("/api/v1/auth/me", headers=old_session).status_code == 401
        assert login(client, "priya@example.com", NEW_PASSWORD)
        again = client.post(
            "/api/v1/auth/password-reset", json={"token": token, "new_password": "another one!"}
        )
        assert again.status_code == 404
        assert "used already" in again.json()["detail"]
        with session_scope(runtime.session_factory) as session:
            stored = session.scalars(select(PasswordReset.token_hash)).all()
        assert stored == [token_digest(token)]

    def test_a_link_expires_and_a_newer_one_replaces_it(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], colleague: int
    ) -> None:
        first = client.post(f"/api/v1/users/{colleague}/password-reset", headers=admin).json()
        second = client.post(f"/api/v1/users/{colleague}/password-reset", headers=admin).json()

        replaced = client.post("/api/v1/auth/password-reset/check", json={"token": first["token"]})
        assert replaced.status_code == 404
        with session_scope(runtime.session_factory) as session:
            reset = session.scalars(select(PasswordReset)).one()
            reset.expires_at = reset.created_at - timedelta(seconds=1)
        expired = client.post(
            "/api/v1/auth/password-reset",
            json={"token": second["token"], "new_password": NEW_PASSWORD},
        )
        assert expired.status_code == 404
        assert login(client, "priya@example.com", PASSWORD)

    def test_only_user_managers_make_links_and_only_owners_for_owners(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], colleague: int
    ) -> None:
        owner = create_user(runtime, email="owner@example.com", role=Role.owner).id
        agent = login(client, "priya@example.com")

        assert client.post(f"/api/v1/users/{owner}/password-reset", headers=admin).status_code == (
            403
        )
        client.cookies.clear()
        assert client.post(f"/api/v1/users/{colleague}/password-reset").status_code == 401
        assert (
            client.post(f"/api/v1/users/{colleague}/password-reset", headers=agent).status_code
            == 403
        )
