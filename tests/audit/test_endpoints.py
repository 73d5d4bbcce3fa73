"""The audit log as owners and admins read it at `GET /api/v1/audit`: which actions leave an
entry, who did them to what, that no password or hash is ever kept, newest-first paging with
`before_id`, and who may read it. Entries are written by a queued task once the change
commits; tests run it with `drain`. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy import select

from surgiai.audit import service as audit_module
from surgiai.audit.models import AuditEvent
from surgiai.audit.service import audit_service
from surgiai.auth.models import User
from surgiai.auth.roles import Role
from surgiai.auth.service import user_service
from surgiai.conversations.drafts import AiReply, draft_service
from surgiai.conversations.models import Conversation
from surgiai.db.engine import session_scope
from surgiai.runtime import Runtime
from surgiai.workspace.service import workspace_service
from tests.conftest import drain
from tests.fixtures import (
    GRAPH,
    PASSWORD,
    PHONE_NUMBER_ID,
    create_number,
    create_user,
    graph_accepted,
    login,
    sign,
    text_message_value,
    webhook_body,
)

Headers = dict[str, str]
URL = "/api/v1/audit"
NEW_PASSWORD = "a much longer passphrase 42"
DOCTOR = "919876543210"


@pytest.fixture(autouse=True)
def fresh_workspace_settings() -> Iterator[None]:
    """Workspace settings are cached per process; a change here must not leak into others."""
    workspace_service.invalidate()
    yield
    workspace_service.invalidate()


@pytest.fixture
def owner(client: TestClient, runtime: Runtime) -> Headers:
    create_user(runtime)
    return login(client, "owner@example.com")


def headers_for(client: TestClient, runtime: Runtime, role: Role) -> Headers:
    email = f"{role.value}@example.com"
    create_user(runtime, email=email, role=role)
    return login(client, email)


def entries(
    client: TestClient, runtime: Runtime, headers: Headers, **params: str | int
) -> list[dict[str, Any]]:
    """Run the queued audit tasks as a worker would, then read the log (newest first)."""
    drain(runtime.queue)
    response = client.get(URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def only(items: list[dict[str, Any]], action: str) -> dict[str, Any]:
    [item] = [item for item in items if item["action"] == action]
    return item


def stored_rows(runtime: Runtime) -> str:
    """Every audit row, every column, as one string: what a database dump would show."""
    with session_scope(runtime.session_factory) as session:
        rows = session.scalars(select(AuditEvent)).all()
        return json.dumps(
            [
                {column.name: getattr(row, column.name) for column in AuditEvent.__table__.columns}
                for row in rows
            ],
            default=str,
        )


def password_hash(runtime: Runtime, email: str) -> str:
    with session_scope(runtime.session_factory) as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
        return user.password_hash


def record(runtime: Runtime, count: int, action: str = "test.event") -> None:
    with session_scope(runtime.session_factory) as session:
        for index in range(count):
            audit_service.record(session, action, details={"n": index})
    drain(runtime.queue)


class TestLogins:
    def test_a_login_is_recorded_with_the_user_and_where_it_came_from(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        user = create_user(runtime)
        headers = login(client, "owner@example.com")
        entry = only(entries(client, runtime, headers), "auth.login")
        assert (entry["actor_user_id"], entry["actor_email"]) == (user.id, "owner@example.com")
        assert entry["ip"] == "testclient"
        assert entry["occurred_at"] is not None

    def test_failed_logins_are_recorded_with_the_reason_but_not_the_password_tried(
        self, client: TestClient, runtime: Runtime, owner: Headers
    ) -> None:
        create_user(runtime, email="left@example.com", role=Role.agent)
        with session_scope(runtime.session_factory) as session:
            left = session.scalar(select(User).where(User.email == "left@example.com"))
            assert left is not None
            left.is_active = False
        attempts = [
            ("owner@example.com", "wrong-guess-owner-7"),
            ("nobody@example.com", "wrong-guess-nobody-7"),
            ("left@example.com", PASSWORD),
        ]
        for email, password in attempts:
            response = client.post(
                "/api/v1/auth/login", json={"email": email, "password": password}
            )
            assert response.status_code == 401

        failed = entries(client, runtime, owner, action="auth.login_failed")
        assert [(e["actor_email"], e["details"]) for e in failed] == [
            ("left@example.com", {"reason": "inactive"}),
            ("nobody@example.com", {"reason": "bad_credentials"}),
            ("owner@example.com", {"reason": "bad_credentials"}),
        ]
        assert all(e["actor_user_id"] is None and e["ip"] == "testclient" for e in failed)
        dump = stored_rows(runtime)
        assert "wrong-guess" not in dump and PASSWORD not in dump


class TestUserChanges:
    def test_creating_changing_and_removing_a_user_name_the_actor_and_the_user(
        self, client: TestClient, runtime: Runtime, owner: Headers
    ) -> None:
        created = client.post(
            "/api/v1/users",
            json={
                "email": "agent@example.com",
                "name": "Agent",
                "role": "agent",
                "password": "initial password 1",
            },
            headers=owner,
        ).json()
        client.patch(
            f"/api/v1/users/{created['id']}", json={"name": "Ana", "role": "admin"}, headers=owner
        )
        assert client.delete(f"/api/v1/users/{created['id']}", headers=owner).status_code == 204

        items = entries(client, runtime, owner)
        trail = [
            (e["action"], e["actor_email"], e["target_type"], e["target_id"], e["details"])
            for e in items
            if e["action"].startswith("user.")
        ]
        target = str(created["id"])
        assert trail == [
            ("user.deleted", "owner@example.com", "user", target, {"email": "agent@example.com"}),
            ("user.updated", "owner@example.com", "user", target, {"fields": ["name", "role"]}),
            (
                "user.created",
                "owner@example.com",
                "user",
                target,
                {"email": "agent@example.com", "role": "agent"},
            ),
        ]
        assert "initial password 1" not in stored_rows(runtime)

    def test_the_first_owner_made_at_startup_is_recorded_with_no_actor(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            made = user_service.ensure_owner(session, "first@example.com", "first owner password")
            assert made is not None
        headers = login(client, "first@example.com", "first owner password")
        entry = only(entries(client, runtime, headers), "user.created")
        assert (entry["actor_user_id"], entry["actor_email"]) == (None, None)
        assert entry["details"] == {
            "email": "first@example.com",
            "role": "owner",
            "bootstrap": True,
        }
        assert "first owner password" not in stored_rows(runtime)


class TestPasswordChanges:
    def test_an_admin_setting_a_password_records_that_it_changed_but_not_the_password(
        self, client: TestClient, runtime: Runtime, owner: Headers
    ) -> None:
        agent = create_user(runtime, email="agent@example.com", role=Role.agent)
        response = client.patch(
            f"/api/v1/users/{agent.id}", json={"password": NEW_PASSWORD}, headers=owner
        )
        assert response.status_code == 200
        entry = only(entries(client, runtime, owner), "user.updated")
        assert (entry["target_type"], entry["target_id"]) == ("user", str(agent.id))
        assert entry["details"] == {"fields": ["password"]}
        dump = stored_rows(runtime)
        assert NEW_PASSWORD not in dump
        assert password_hash(runtime, "agent@example.com") not in dump

    def test_changing_ones_own_password_records_the_change_and_the_failed_try_without_secrets(
        self, client: TestClient, runtime: Runtime, owner: Headers
    ) -> None:
        elsewhere = login(client, "owner@example.com")
        wrong = client.post(
            "/api/v1/auth/me/password",
            json={"current_password": "not-my-password-9", "new_password": NEW_PASSWORD},
            headers=owner,
        )
        assert wrong.status_code == 400
        right = client.post(
            "/api/v1/auth/me/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=owner,
        )
        assert right.status_code == 204
        assert client.get("/api/v1/auth/me", headers=elsewhere).status_code == 401

        items = entries(client, runtime, owner)
        changed = only(items, "auth.password_changed")
        assert changed["actor_email"] == "owner@example.com"
        assert (changed["target_type"], changed["details"]) == (
            "user",
            {"other_sessions_ended": 1},
        )
        assert only(items, "auth.password_change_failed")["details"] == {}
        dump = stored_rows(runtime)
        for secret in (PASSWORD, NEW_PASSWORD, "not-my-password-9"):
            assert secret not in dump
        assert password_hash(runtime, "owner@example.com") not in dump


class TestSettingsAndAgents:
    def test_a_settings_change_records_each_field_from_and_to(
        self, client: TestClient, runtime: Runtime, owner: Headers
    ) -> None:
        before = client.get("/api/v1/settings", headers=owner).json()
        response = client.patch(
            "/api/v1/settings",
            json={"business_name": "Rao Surgical", "burst_seconds": 9.0},
            headers=owner,
        )
        assert response.status_code == 200, response.text
        entry = only(entries(client, runtime, owner), "settings.updated")
        assert entry["actor_email"] == "owner@example.com"
        assert entry["target_type"] == "workspace_settings"
        assert entry["details"] == {
            "changes": {
                "business_name": {"from": before["business_name"], "to": "Rao Surgical"},
                "burst_seconds": {"from": before["burst_seconds"], "to": 9.0},
            }
        }

    def test_saving_unchanged_settings_records_nothing(
        self, client: TestClient, runtime: Runtime, owner: Headers
    ) -> None:
        before = client.get("/api/v1/settings", headers=owner).json()
        client.patch(
            "/api/v1/settings", json={"business_name": before["business_name"]}, headers=owner
        )
        assert entries(client, runtime, owner, action="settings.updated") == []

    def test_disabling_and_enabling_an_agent_records_who_which_and_why(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        admin = headers_for(client, runtime, Role.admin)
        client.post(
            "/api/v1/agents/greeting/disable", json={"reason": "Wrong language"}, headers=admin
        )
        client.post("/api/v1/agents/greeting/enable", headers=admin)
        trail = [
            (e["action"], e["actor_email"], e["target_type"], e["target_id"], e["details"])
            for e in entries(client, runtime, admin)
            if e["action"].startswith("agent.")
        ]
        assert trail == [
            ("agent.enabled", "admin@example.com", "agent", "greeting", {}),
            (
                "agent.disabled",
                "admin@example.com",
                "agent",
                "greeting",
                {"reason": "Wrong language"},
            ),
        ]


class TestConversationsAndDrafts:
    @pytest.fixture
    def conversation_id(self, client: TestClient, runtime: Runtime, owner: Headers) -> int:
        create_number(runtime)
        body = webhook_body(text_message_value("wamid.in1", "Price?", wa_id=DOCTOR))
        response = client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        assert response.status_code == 200
        drain(runtime.queue)
        [item] = client.get("/api/v1/conversations", headers=owner).json()["items"]
        conversation_id: int = item["id"]
        return conversation_id

    def test_taking_over_changing_and_releasing_a_conversation_are_recorded(
        self, client: TestClient, runtime: Runtime, owner: Headers, conversation_id: int
    ) -> None:
        base = f"/api/v1/conversations/{conversation_id}"
        assert client.post(f"{base}/takeover", headers=owner).status_code == 200
        client.patch(base, json={"status": "closed", "tags": ["vip", "ortho"]}, headers=owner)
        assert client.post(f"{base}/release", headers=owner).status_code == 200

        trail = [
            (e["action"], e["target_type"], e["target_id"], e["details"])
            for e in entries(client, runtime, owner)
            if e["action"].startswith("conversation.")
        ]
        target = str(conversation_id)
        assert trail == [
            # Releasing also unassigns: the owner took it over.
            (
                "conversation.release",
                "conversation",
                target,
                {"mode": "ai", "unassigned_user_id": 1},
            ),
            (
                "conversation.updated",
                "conversation",
                target,
                {"status": "closed", "tags": ["ortho", "vip"]},
            ),
            ("conversation.takeover", "conversation", target, {}),
        ]

    def test_approving_and_rejecting_ai_drafts_are_recorded(
        self, client: TestClient, runtime: Runtime, owner: Headers, conversation_id: int
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            conversation = session.get(Conversation, conversation_id)
            assert conversation is not None
            drafts = [
                draft_service.create(
                    session,
                    conversation,
                    AiReply(agent="offers", type="text", payload={"body": body}),
                    "discount above 20%",
                )
                for body in ("10% off", "50% off")
            ]
            approve_id, reject_id = (draft.id for draft in drafts)
        with respx.mock(assert_all_called=False) as graph:
            graph.post(f"{GRAPH}/{PHONE_NUMBER_ID}/messages").mock(
                return_value=httpx.Response(200, json=graph_accepted("wamid.out1"))
            )
            approved = client.post(
                f"/api/v1/drafts/{approve_id}/approve",
                json={"type": "text", "text": {"body": "15% off"}},
                headers=owner,
            )
            assert approved.status_code == 200, approved.text
            client.post(
                f"/api/v1/drafts/{reject_id}/reject", json={"reason": "Too generous"}, headers=owner
            )
            items = entries(client, runtime, owner)

        approval = only(items, "draft.approved")
        assert (approval["target_type"], approval["target_id"]) == ("draft", str(approve_id))
        assert approval["details"]["edited"] is True
        assert approval["details"]["message_id"] == approved.json()["message_id"]
        rejection = only(items, "draft.rejected")
        assert (rejection["target_id"], rejection["details"]) == (
            str(reject_id),
            {"reason": "Too generous"},
        )
        assert {approval["actor_email"], rejection["actor_email"]} == {"owner@example.com"}


class TestTimeOfTheEntry:
    def test_an_entry_keeps_the_time_of_the_action_not_when_a_worker_wrote_it(
        self, client: TestClient, runtime: Runtime, owner: Headers, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        drain(runtime.queue)
        acted_at = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
        monkeypatch.setattr(audit_module, "utcnow", lambda: acted_at)
        with session_scope(runtime.session_factory) as session:
            audit_service.record(session, "test.timed")
        monkeypatch.undo()  # the worker runs later, on the real clock
        [entry] = entries(client, runtime, owner, action="test.timed")
        assert datetime.fromisoformat(entry["occurred_at"]) == acted_at


class TestPaging:
    def test_newest_first_and_the_cursor_walks_every_entry_once(
        self, client: TestClient, runtime: Runtime, owner: Headers
    ) -> None:
        record(runtime, 7)
        seen: list[int] = []
        pages: list[int] = []
        cursor: int | None = None
        while True:
            params: dict[str, str | int] = {"action": "test.event", "limit": 3}
            if cursor is not None:
                params["before_id"] = cursor
            page = client.get(URL, params=params, headers=owner).json()
            seen.extend(item["details"]["n"] for item in page["items"])
            pages.append(len(page["items"]))
            cursor = page["next_cursor"]
            if cursor is None:
                break
            assert cursor == page["items"][-1]["id"]
        assert seen == [6, 5, 4, 3, 2, 1, 0]
        assert pages == [3, 3, 1]

    def test_a_walk_ends_when_the_last_page_is_exactly_full(
        self, client: TestClient, runtime: Runtime, owner: Headers
    ) -> None:
        record(runtime, 4)
        first = client.get(URL, params={"action": "test.event", "limit": 2}, headers=owner).json()
        second = client.get(
            URL,
            params={"action": "test.event", "limit": 2, "before_id": first["next_cursor"]},
            headers=owner,
        ).json()
        assert [item["details"]["n"] for item in second["items"]] == [1, 0]
        # A full page cannot know it is the last: one more request answers empty, no cursor.
        third = client.get(
            URL,
            params={"action": "test.event", "limit": 2, "before_id": second["next_cursor"]},
            headers=owner,
        ).json()
        assert third == {"items": [], "next_cursor": None}

    def test_the_action_filter_keeps_only_that_action(
        self, client: TestClient, runtime: Runtime, owner: Headers
    ) -> None:
        record(runtime, 2, "test.kept")
        record(runtime, 3, "test.other")
        items = entries(client, runtime, owner, action="test.kept")
        assert [(item["action"], item["details"]["n"]) for item in items] == [
            ("test.kept", 1),
            ("test.kept", 0),
        ]

    def test_the_default_page_is_100_entries(
        self, client: TestClient, runtime: Runtime, owner: Headers
    ) -> None:
        record(runtime, 101)
        page = client.get(URL, params={"action": "test.event"}, headers=owner).json()
        assert len(page["items"]) == 100
        assert page["next_cursor"] == page["items"][-1]["id"]

    @pytest.mark.parametrize(("limit", "status"), [(0, 422), (1, 200), (500, 200), (501, 422)])
    def test_limit_is_between_1_and_500(
        self, client: TestClient, owner: Headers, limit: int, status: int
    ) -> None:
        response = client.get(URL, params={"limit": limit}, headers=owner)
        assert response.status_code == status, response.text
        if status == 422:
            assert "limit" in response.json()["detail"]


class TestWhoMayRead:
    @pytest.mark.parametrize("role", [Role.owner, Role.admin])
    def test_owners_and_admins_read_the_log(
        self, client: TestClient, runtime: Runtime, role: Role
    ) -> None:
        headers = headers_for(client, runtime, role)
        items = entries(client, runtime, headers)
        assert only(items, "auth.login")["actor_email"] == f"{role.value}@example.com"

    @pytest.mark.parametrize("role", [Role.agent, Role.viewer])
    def test_agents_and_viewers_are_refused(
        self, client: TestClient, runtime: Runtime, role: Role
    ) -> None:
        headers = headers_for(client, runtime, role)
        drain(runtime.queue)
        response = client.get(URL, headers=headers)
        assert response.status_code == 403
        assert response.json()["error"] == "Forbidden"
        assert "items" not in response.json()

    def test_without_a_login_it_is_401(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime)
        response = client.get(URL)
        assert response.status_code == 401
        assert response.json()["error"] == "NotAuthenticated"
