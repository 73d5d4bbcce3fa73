from __future__ import annotations

from fastapi.testclient import TestClient

from surgiai.auth.roles import Role
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.fixtures import PASSWORD, create_user, login


class TestLogin:
    def test_login_returns_bearer_token_user_and_no_secrets(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime, email="owner@example.com")
        response = client.post(
            "/api/v1/auth/login", json={"email": "Owner@Example.com", "password": PASSWORD}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["user"]["email"] == "owner@example.com"
        assert body["user"]["role"] == "owner"
        assert "password" not in response.text and "argon2" not in response.text
        me = client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert me.status_code == 200
        assert me.json()["email"] == "owner@example.com"

    def test_wrong_password_is_401(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime)
        response = client.post(
            "/api/v1/auth/login", json={"email": "owner@example.com", "password": "nope-nope"}
        )
        assert response.status_code == 401
        assert response.json() == {
            "error": "NotAuthenticated",
            "detail": "Wrong email or password.",
        }

    def test_unknown_email_is_401_like_a_wrong_password(self, client: TestClient) -> None:
        response = client.post(
            "/api/v1/auth/login", json={"email": "ghost@example.com", "password": "whatever1"}
        )
        assert response.status_code == 401
        assert response.json()["detail"] == "Wrong email or password."

    def test_repeated_failures_are_throttled_even_with_the_right_password(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime)
        for _ in range(runtime.settings.login_max_failures):
            bad = client.post(
                "/api/v1/auth/login", json={"email": "owner@example.com", "password": "wrong-pw"}
            )
            assert bad.status_code == 401
        blocked = client.post(
            "/api/v1/auth/login", json={"email": "owner@example.com", "password": PASSWORD}
        )
        assert blocked.status_code == 429
        assert int(blocked.headers["Retry-After"]) > 0
        assert blocked.json()["error"] == "TooManyRequests"

    def test_failures_from_one_address_throttle_other_emails_too(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime, email="victim@example.com")
        for index in range(runtime.settings.login_max_failures):
            client.post(
                "/api/v1/auth/login",
                json={"email": f"guess{index}@example.com", "password": "wrong-pw"},
            )
        response = client.post(
            "/api/v1/auth/login", json={"email": "victim@example.com", "password": PASSWORD}
        )
        assert response.status_code == 429

    def test_inactive_user_cannot_log_in(self, client: TestClient, runtime: Runtime) -> None:
        owner = create_user(runtime)
        headers = login(client, owner.email)
        agent = create_user(runtime, email="agent@example.com", role=Role.agent)
        client.patch(f"/api/v1/users/{agent.id}", json={"is_active": False}, headers=headers)
        response = client.post(
            "/api/v1/auth/login", json={"email": "agent@example.com", "password": PASSWORD}
        )
        assert response.status_code == 401


class TestCookieSession:
    def test_cookie_flags(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime)
        response = client.post(
            "/api/v1/auth/login", json={"email": "owner@example.com", "password": PASSWORD}
        )
        cookies = response.headers.get_list("set-cookie")
        session_cookie = next(c for c in cookies if c.startswith("surgiai_session="))
        assert "HttpOnly" in session_cookie
        assert "SameSite=lax" in session_cookie
        assert "Path=/" in session_cookie
        csrf_cookie = next(c for c in cookies if c.startswith("surgiai_csrf="))
        assert "HttpOnly" not in csrf_cookie
        assert "SameSite=strict" in csrf_cookie

    def test_cookie_authenticates_reads(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime)
        client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": PASSWORD})
        assert client.get("/api/v1/auth/me").status_code == 200

    def test_cookie_write_without_csrf_header_is_rejected(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime)
        client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": PASSWORD})
        new_user = {
            "email": "agent@example.com",
            "name": "Agent",
            "role": "agent",
            "password": "long enough pw",
        }
        rejected = client.post("/api/v1/users", json=new_user)
        assert rejected.status_code == 403
        assert "X-CSRF-Token" in rejected.json()["detail"]
        forged = client.post("/api/v1/users", json=new_user, headers={"X-CSRF-Token": "forged"})
        assert forged.status_code == 403
        accepted = client.post(
            "/api/v1/users",
            json=new_user,
            headers={"X-CSRF-Token": client.cookies["surgiai_csrf"]},
        )
        assert accepted.status_code == 201

    def test_logout_ends_the_session(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime)
        headers = login(client, "owner@example.com")
        assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


class TestAuthorization:
    def test_unauthenticated_api_call_is_401(self, client: TestClient) -> None:
        for method, path in (
            ("GET", "/api/v1/users"),
            ("GET", "/api/v1/audit"),
            ("GET", "/api/v1/auth/me"),
            ("POST", "/api/v1/users"),
        ):
            response = client.request(method, path, json={})
            assert response.status_code == 401, path
            assert response.json()["error"] == "NotAuthenticated"

    def test_garbage_bearer_token_is_401(self, client: TestClient) -> None:
        response = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer nonsense"})
        assert response.status_code == 401

    def test_viewer_cannot_create_users(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime, email="viewer@example.com", role=Role.viewer)
        headers = login(client, "viewer@example.com")
        response = client.post(
            "/api/v1/users",
            json={"email": "x@example.com", "name": "X", "role": "agent", "password": "12345678"},
            headers=headers,
        )
        assert response.status_code == 403
        assert response.json()["error"] == "Forbidden"

    def test_agent_cannot_read_the_audit_log(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime, email="agent@example.com", role=Role.agent)
        headers = login(client, "agent@example.com")
        assert client.get("/api/v1/audit", headers=headers).status_code == 403

    def test_admin_cannot_grant_or_remove_owner(self, client: TestClient, runtime: Runtime) -> None:
        owner = create_user(runtime)
        create_user(runtime, email="admin@example.com", role=Role.admin)
        headers = login(client, "admin@example.com")
        grant = client.post(
            "/api/v1/users",
            json={"email": "o2@example.com", "name": "O", "role": "owner", "password": "12345678"},
            headers=headers,
        )
        assert grant.status_code == 403
        assert client.delete(f"/api/v1/users/{owner.id}", headers=headers).status_code == 403


class TestUsers:
    def test_create_list_update_delete(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime)
        headers = login(client, "owner@example.com")
        created = client.post(
            "/api/v1/users",
            json={
                "email": "Agent@Example.com",
                "name": "Asha",
                "role": "agent",
                "password": "long enough pw",
                "phone": "+91 98765 43210",
            },
            headers=headers,
        )
        assert created.status_code == 201
        user = created.json()
        assert user["email"] == "agent@example.com"
        assert user["phone"] == "919876543210"
        assert "password" not in created.text
        listed = client.get("/api/v1/users", headers=headers).json()
        assert [u["email"] for u in listed] == ["owner@example.com", "agent@example.com"]
        updated = client.patch(
            f"/api/v1/users/{user['id']}", json={"role": "viewer"}, headers=headers
        )
        assert updated.json()["role"] == "viewer"
        assert client.delete(f"/api/v1/users/{user['id']}", headers=headers).status_code == 204
        assert client.get(f"/api/v1/users/{user['id']}", headers=headers).status_code == 404

    def test_duplicate_email_is_409(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime)
        headers = login(client, "owner@example.com")
        body = {
            "email": "owner@example.com",
            "name": "Again",
            "role": "agent",
            "password": "long enough pw",
        }
        response = client.post("/api/v1/users", json=body, headers=headers)
        assert response.status_code == 409

    def test_short_password_and_bad_email_are_422(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime)
        headers = login(client, "owner@example.com")
        short = client.post(
            "/api/v1/users",
            json={"email": "a@example.com", "name": "A", "role": "agent", "password": "short"},
            headers=headers,
        )
        assert short.status_code == 422
        assert short.json()["error"] == "ValidationError"
        assert "short" not in short.json()["detail"]
        bad_email = client.post(
            "/api/v1/users",
            json={"email": "not-an-email", "name": "A", "role": "agent", "password": "12345678"},
            headers=headers,
        )
        assert bad_email.status_code == 422

    def test_last_owner_cannot_be_deleted_demoted_or_deactivated(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        owner = create_user(runtime)
        headers = login(client, "owner@example.com")
        path = f"/api/v1/users/{owner.id}"
        assert client.delete(path, headers=headers).status_code == 409
        assert client.patch(path, json={"role": "admin"}, headers=headers).status_code == 409
        assert client.patch(path, json={"is_active": False}, headers=headers).status_code == 409
        second = create_user(runtime, email="owner2@example.com")
        assert client.delete(f"/api/v1/users/{second.id}", headers=headers).status_code == 204

    def test_changing_a_password_ends_that_users_sessions(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime)
        agent = create_user(runtime, email="agent@example.com", role=Role.agent)
        owner_headers = login(client, "owner@example.com")
        agent_headers = login(client, "agent@example.com")
        client.patch(
            f"/api/v1/users/{agent.id}", json={"password": "a brand new one"}, headers=owner_headers
        )
        assert client.get("/api/v1/auth/me", headers=agent_headers).status_code == 401


class TestAuditLog:
    def test_logins_failures_and_user_changes_are_audited_by_the_task(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime)
        client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": "bad-pw"})
        headers = login(client, "owner@example.com")
        client.post(
            "/api/v1/users",
            json={"email": "a@example.com", "name": "A", "role": "agent", "password": "12345678"},
            headers=headers,
        )
        # Nothing is written until a worker runs the queued audit tasks.
        assert client.get("/api/v1/audit", headers=headers).json()["items"] == []
        assert drain(runtime.queue) == 3
        items = client.get("/api/v1/audit", headers=headers).json()["items"]
        assert [item["action"] for item in items] == [
            "user.created",
            "auth.login",
            "auth.login_failed",
        ]
        assert items[0]["details"] == {"email": "a@example.com", "role": "agent"}
        assert items[2]["actor_email"] == "owner@example.com"

    def test_a_rejected_change_leaves_no_audit_event(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        owner = create_user(runtime)
        headers = login(client, "owner@example.com")
        drain(runtime.queue)
        assert client.delete(f"/api/v1/users/{owner.id}", headers=headers).status_code == 409
        assert drain(runtime.queue) == 0
