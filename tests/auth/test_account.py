"""My account: users change their own name, WhatsApp phone and password
(`PATCH /api/v1/auth/me`, `POST /api/v1/auth/me/password`). SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from surgiai.auth.roles import Role
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.fixtures import PASSWORD, create_user, login

ME = "/api/v1/auth/me"
PASSWORD_URL = "/api/v1/auth/me/password"
NEW_PASSWORD = "a much better passphrase"


@pytest.fixture
def viewer(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime, email="viewer@example.com", role=Role.viewer)
    return login(client, "viewer@example.com")


class TestProfile:
    def test_any_role_changes_its_own_name_and_phone(
        self, client: TestClient, viewer: dict[str, str]
    ) -> None:
        response = client.patch(
            ME, json={"name": "  Vera   Viewer ", "phone": "+91 98765-43210"}, headers=viewer
        )

        assert response.status_code == 200, response.text
        assert (response.json()["name"], response.json()["phone"]) == (
            "Vera Viewer",
            "919876543210",
        )
        assert response.json()["role"] == "viewer"
        assert client.get(ME, headers=viewer).json()["phone"] == "919876543210"
        removed = client.patch(ME, json={"phone": None}, headers=viewer)
        assert removed.json()["phone"] is None

    @pytest.mark.parametrize(
        "typed", ["98765 43210", "098765 43210", "+91 98765-43210", "0091 98765 43210"]
    )
    def test_a_phone_without_its_country_code_is_read_as_the_workspaces_region(
        self, client: TestClient, viewer: dict[str, str], typed: str
    ) -> None:
        """Issue 18 (4): "98765 43210" was saved as +98 (Iran)."""
        response = client.patch(ME, json={"phone": typed}, headers=viewer)

        assert response.status_code == 200, response.text
        assert response.json()["phone"] == "919876543210"

    @pytest.mark.parametrize(
        ("body", "detail"),
        [
            ({"phone": "12345"}, "phone: '12345' has too few or too many digits"),
            ({"phone": "+91 98765 4321O"}, "phone: '+91 98765 4321O' has letters in it"),
            ({"phone": "+98 765 43210"}, "phone: '+98 765 43210' is not a valid number"),
            ({"name": " "}, "name: Value error, must not be empty"),
            ({"role": "owner"}, "role: Extra inputs are not permitted"),
        ],
    )
    def test_refuses_what_is_not_a_name_or_an_international_phone(
        self, client: TestClient, viewer: dict[str, str], body: dict[str, str], detail: str
    ) -> None:
        response = client.patch(ME, json=body, headers=viewer)

        assert response.status_code == 422
        assert response.json()["detail"].startswith(detail)
        assert client.get(ME, headers=viewer).json()["role"] == "viewer"

    def test_a_phone_belongs_to_one_user(
        self, client: TestClient, runtime: Runtime, viewer: dict[str, str]
    ) -> None:
        create_user(runtime, email="owner@example.com")
        owner = login(client, "owner@example.com")
        assert client.patch(ME, json={"phone": "919876543210"}, headers=owner).status_code == 200

        taken = client.patch(ME, json={"phone": "+91 98765 43210"}, headers=viewer)

        assert taken.status_code == 409
        assert taken.json()["detail"].startswith("Another user already has this WhatsApp phone")

    def test_the_change_is_audited(
        self, client: TestClient, runtime: Runtime, viewer: dict[str, str]
    ) -> None:
        client.patch(ME, json={"name": "Vera", "phone": "+44 7911 123456"}, headers=viewer)
        drain(runtime.queue)
        create_user(runtime, email="owner@example.com")
        items = client.get(
            "/api/v1/audit",
            params={"action": "account.updated"},
            headers=login(client, "owner@example.com"),
        ).json()["items"]
        assert [(item["actor_email"], item["details"]) for item in items] == [
            ("viewer@example.com", {"fields": ["name", "phone"]})
        ]


class TestPassword:
    def test_a_change_ends_the_users_other_sessions_and_keeps_this_one(
        self, client: TestClient, viewer: dict[str, str]
    ) -> None:
        elsewhere = login(client, "viewer@example.com")

        response = client.post(
            PASSWORD_URL,
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=viewer,
        )

        assert response.status_code == 204
        assert client.get(ME, headers=viewer).status_code == 200
        assert client.get(ME, headers=elsewhere).status_code == 401
        assert login(client, "viewer@example.com", NEW_PASSWORD)
        old = client.post(
            "/api/v1/auth/login", json={"email": "viewer@example.com", "password": PASSWORD}
        )
        assert old.status_code == 401

    def test_the_current_password_is_required(
        self, client: TestClient, runtime: Runtime, viewer: dict[str, str]
    ) -> None:
        elsewhere = login(client, "viewer@example.com")

        wrong = client.post(
            PASSWORD_URL,
            json={"current_password": "not my password", "new_password": NEW_PASSWORD},
            headers=viewer,
        )
        missing = client.post(PASSWORD_URL, json={"new_password": NEW_PASSWORD}, headers=viewer)

        assert wrong.status_code == 400
        assert wrong.json() == {
            "error": "BadRequest",
            "detail": "Your current password is not right.",
        }
        assert missing.status_code == 422
        assert missing.json()["detail"] == "current_password: Field required"
        # Nothing changed: both sessions and the old password still work.
        assert client.get(ME, headers=elsewhere).status_code == 200
        assert login(client, "viewer@example.com", PASSWORD)
        drain(runtime.queue)
        create_user(runtime, email="owner@example.com")
        actions = [
            item["action"]
            for item in client.get(
                "/api/v1/audit", headers=login(client, "owner@example.com")
            ).json()["items"]
        ]
        assert "auth.password_change_failed" in actions
        assert "auth.password_changed" not in actions

    def test_wrong_guesses_are_throttled_like_failed_logins(
        self, client: TestClient, runtime: Runtime, viewer: dict[str, str]
    ) -> None:
        guess = {"current_password": "guess number x", "new_password": NEW_PASSWORD}
        for _ in range(runtime.settings.login_max_failures):
            assert client.post(PASSWORD_URL, json=guess, headers=viewer).status_code == 400

        right = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        blocked = client.post(PASSWORD_URL, json=right, headers=viewer)

        assert blocked.status_code == 429
        assert blocked.json()["detail"] == "Too many wrong passwords. Try again later."

    @pytest.mark.parametrize(
        ("new_password", "status", "detail"),
        [
            ("short", 422, "new_password: Value error, must have at least 8 characters"),
            (PASSWORD, 400, "The new password is the same as the current one."),
        ],
    )
    def test_the_new_password_must_be_long_enough_and_new(
        self,
        client: TestClient,
        viewer: dict[str, str],
        new_password: str,
        status: int,
        detail: str,
    ) -> None:
        response = client.post(
            PASSWORD_URL,
            json={"current_password": PASSWORD, "new_password": new_password},
            headers=viewer,
        )
        assert response.status_code == status
        assert response.json()["detail"] == detail

    def test_no_password_or_hash_is_ever_answered(
        self, client: TestClient, viewer: dict[str, str]
    ) -> None:
        changed = client.post(
            PASSWORD_URL,
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=viewer,
        )
        profile = client.patch(ME, json={"name": "Vera"}, headers=viewer)
        settings = client.get("/api/v1/settings", headers=viewer)

        for response in (changed, profile, settings):
            assert PASSWORD not in response.text and NEW_PASSWORD not in response.text
            assert "argon2" not in response.text and "password_hash" not in response.text
            assert "secret" not in response.text.lower()
