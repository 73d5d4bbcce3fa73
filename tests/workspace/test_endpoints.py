"""`/api/v1/settings`: who may read and change the workspace's settings, what is refused and
why, and the trail a change leaves (audit log, live event). SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from surgiai.auth.roles import Role
from surgiai.kit.events import Event
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.fixtures import create_number
from tests.workspace.conftest import add_template, headers_for

URL = "/api/v1/settings"


def patch(client: TestClient, headers: dict[str, str], **body: object) -> httpx.Response:
    # `TestClient` is untyped to mypy (starlette annotates it against httpx2, not installed);
    # at run time it is an `httpx.Client`.
    response: httpx.Response = client.patch(URL, json=body, headers=headers)
    return response


class TestFreshInstall:
    def test_the_environment_provides_every_value_until_someone_saves(
        self, client: TestClient, owner: dict[str, str]
    ) -> None:
        response = client.get(URL, headers=owner)

        assert response.status_code == 200
        assert response.json() == {
            "business_name": "Acme Surgical",
            "ai_replies_enabled": True,
            "burst_seconds": 5.0,
            "whatsapp_alerts_enabled": True,
            "alert_template": "ops_alert",
            "alert_template_language": "en_US",
            "timezone": "Asia/Kolkata",
            "default_region": "IN",
            "answer_policy": "approved_only",
            # tests/conftest.py switches the agents off for the whole server.
            "agents_enabled_on_server": False,
            "updated_at": None,
            "updated_by_user_id": None,
            "updated_by_name": None,
        }


class TestWhoMay:
    @pytest.mark.parametrize("role", [Role.viewer, Role.agent])
    def test_every_role_reads_but_only_owners_and_admins_change(
        self, client: TestClient, runtime: Runtime, role: Role
    ) -> None:
        headers = headers_for(client, runtime, role)

        assert client.get(URL, headers=headers).status_code == 200
        refused = patch(client, headers, business_name="Not Mine")
        assert refused.status_code == 403
        assert refused.json() == {
            "error": "Forbidden",
            "detail": f"Your role ({role.value}) may not do this.",
        }
        assert client.get(URL, headers=headers).json()["business_name"] == "Acme Surgical"

    def test_nobody_logged_out_reads_them(self, client: TestClient) -> None:
        assert client.get(URL).status_code == 401

    def test_an_admin_changes_them_and_everyone_sees_the_change(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        response = patch(
            client, admin, business_name="  Rao   Surgicals ", ai_replies_enabled=False
        )

        assert response.status_code == 200, response.text
        saved = response.json()
        assert saved["business_name"] == "Rao Surgicals"
        assert saved["ai_replies_enabled"] is False
        # What was not sent keeps the environment's value, now stored.
        assert saved["burst_seconds"] == 5.0
        assert saved["alert_template"] == "ops_alert"
        assert saved["updated_by_name"] == "admin"
        assert saved["updated_at"] is not None
        viewer = headers_for(client, runtime, Role.viewer)
        assert client.get(URL, headers=viewer).json() == saved

    def test_changing_nothing_stores_and_audits_nothing(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        drain(runtime.queue)
        response = patch(client, owner, business_name="Acme Surgical", burst_seconds=5)

        assert response.status_code == 200
        assert response.json()["updated_at"] is None
        assert drain(runtime.queue) == 0


class TestTimeZone:
    def test_reports_count_days_in_the_time_zone_the_team_chose(
        self, client: TestClient, owner: dict[str, str]
    ) -> None:
        assert client.get("/api/v1/stats/traffic", headers=owner).json()["timezone"] == (
            "Asia/Kolkata"
        )
        changed = patch(client, owner, timezone="Europe/Berlin")
        assert changed.status_code == 200, changed.text
        assert changed.json()["timezone"] == "Europe/Berlin"
        assert client.get("/api/v1/stats/traffic", headers=owner).json()["timezone"] == (
            "Europe/Berlin"
        )


class TestValidation:
    @pytest.mark.parametrize(
        ("body", "detail"),
        [
            ({"burst_seconds": 61}, "burst_seconds: Input should be less than or equal to 60"),
            ({"burst_seconds": -1}, "burst_seconds: Input should be greater than or equal to 0"),
            ({"business_name": "   "}, "business_name: Value error, must not be empty"),
            (
                {"business_name": None},
                "business_name: must have a value (leave the field out to keep it)",
            ),
            ({"ai_replies_enabled": "perhaps"}, "ai_replies_enabled: Value error, must be true or"),
            ({"alert_template_language": "English"}, "alert_template_language: String should"),
            ({"burst": 2}, "burst: Extra inputs are not permitted"),
            (
                {"timezone": "India/Delhi"},
                "timezone: Value error, unknown time zone 'India/Delhi' (use an IANA name",
            ),
            ({"timezone": None}, "timezone: must have a value"),
        ],
    )
    def test_malformed_values_are_refused_with_the_reason(
        self, client: TestClient, owner: dict[str, str], body: dict[str, object], detail: str
    ) -> None:
        response = client.patch(URL, json=body, headers=owner)

        assert response.status_code == 422
        assert response.json()["error"] == "ValidationError"
        assert response.json()["detail"].startswith(detail)

    def test_an_alert_template_must_be_synced_for_one_of_our_numbers(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        create_number(runtime)
        add_template(runtime, "elsewhere_alert", waba_id="another-waba")

        for name in ("no_such_template", "elsewhere_alert"):
            response = patch(client, owner, alert_template=name)
            assert response.status_code == 422
            assert response.json() == {
                "error": "Unprocessable",
                "detail": f"No template named “{name}” has been synced from WhatsApp for your "
                "numbers. Check the name, or sync the templates and try again.",
            }

    def test_an_alert_template_must_be_approved_in_that_language_with_one_parameter(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        create_number(runtime)
        add_template(runtime, "pending_alert", status="PENDING")
        add_template(runtime, "hindi_alert", "hi")
        add_template(runtime, "wordy_alert", body="{{1}} on {{2}}")

        pending = patch(client, owner, alert_template="pending_alert")
        assert pending.status_code == 422
        assert "not approved by WhatsApp (status: PENDING)" in pending.json()["detail"]
        language = patch(client, owner, alert_template="hindi_alert")
        assert language.status_code == 422
        assert language.json()["detail"] == (
            "The template “hindi_alert” is approved in hi, not in “en_US”. "
            "Choose one of those languages."
        )
        wordy = patch(client, owner, alert_template="wordy_alert")
        assert wordy.status_code == 422
        assert "needs exactly one body parameter, {{1}}" in wordy.json()["detail"]
        # Nothing was stored by the refusals.
        assert client.get(URL, headers=owner).json()["updated_at"] is None

    def test_an_approved_template_is_accepted_and_null_stops_templated_alerts(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        create_number(runtime)
        add_template(runtime, "hindi_alert", "hi")

        chosen = patch(client, owner, alert_template="hindi_alert", alert_template_language="hi")
        assert chosen.status_code == 200, chosen.text
        assert (chosen.json()["alert_template"], chosen.json()["alert_template_language"]) == (
            "hindi_alert",
            "hi",
        )
        cleared = patch(client, owner, alert_template=None)
        assert cleared.status_code == 200
        assert cleared.json()["alert_template"] is None
        # Without a template, the language is not checked against one.
        assert patch(client, owner, alert_template_language="ta").status_code == 200


class TestTrail:
    def test_every_change_is_audited_with_what_it_was_and_what_it_became(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        patch(client, owner, business_name="Rao Surgicals", burst_seconds=1.5)
        drain(runtime.queue)

        [event] = client.get(
            "/api/v1/audit", params={"action": "settings.updated"}, headers=owner
        ).json()["items"]
        assert event["actor_email"] == "owner@example.com"
        assert (event["target_type"], event["target_id"]) == ("workspace_settings", "1")
        assert event["details"] == {
            "changes": {
                "business_name": {"from": "Acme Surgical", "to": "Rao Surgicals"},
                "burst_seconds": {"from": 5.0, "to": 1.5},
            }
        }

    def test_open_dashboards_are_told_once_the_change_commits(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: dict[str, str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        published: list[Event] = []
        monkeypatch.setattr(runtime.broker, "may_have_listeners", lambda: True)
        monkeypatch.setattr(runtime.broker, "publish", published.append)
        patch(client, owner, burst_seconds=500)  # refused: no event
        saved = patch(client, owner, whatsapp_alerts_enabled=False).json()

        assert [(event.type, event.data) for event in published] == [("settings.updated", saved)]


class TestAnswerPolicy:
    def test_answers_from_documents_wait_for_approval_until_an_admin_allows_them(
        self, client: TestClient, owner: dict[str, str]
    ) -> None:
        assert client.get("/api/v1/settings", headers=owner).json()["answer_policy"] == (
            "approved_only"
        )
        changed = patch(client, owner, answer_policy="allow_documents")
        assert changed.status_code == 200, changed.text
        assert client.get("/api/v1/settings", headers=owner).json()["answer_policy"] == (
            "allow_documents"
        )

    def test_an_unknown_policy_or_a_null_is_refused(
        self, client: TestClient, owner: dict[str, str]
    ) -> None:
        assert patch(client, owner, answer_policy="anything_goes").status_code == 422
        assert patch(client, owner, answer_policy=None).status_code == 422
