"""`GET /api/v1/templates` and `POST /api/v1/templates/sync`: filters, derived texts and
variables, and who may do what."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient

from surgiai.auth.roles import Role
from surgiai.runtime import Runtime
from surgiai.templates.service import SyncCounts
from tests.fixtures import WABA_ID, create_number
from tests.templates.graph import COURSE_REMINDER, ORDER_CONFIRMATION
from tests.templates.queued import queued_syncs

OTHER_WABA = "102290129349999"
Headers = dict[str, str]


@pytest.fixture
def number_id(runtime: Runtime) -> int:
    return create_number(runtime)


@pytest.fixture
def viewer(headers_for: Callable[[Role], Headers]) -> Headers:
    return headers_for(Role.viewer)


@pytest.fixture
def seeded(seed: Callable[..., SyncCounts]) -> None:
    seed([COURSE_REMINDER, ORDER_CONFIRMATION])
    seed([{**COURSE_REMINDER, "id": "555", "status": "PAUSED"}], waba_id=OTHER_WABA)


def names(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.text
    return [(item["waba_id"], item["name"]) for item in response.json()["items"]]


class TestList:
    def test_every_template_with_its_derived_texts_and_variables(
        self, client: TestClient, viewer: Headers, number_id: int, seeded: None
    ) -> None:
        response = client.get(f"/api/v1/templates?number_id={number_id}", headers=viewer)
        assert response.status_code == 200
        course, order = response.json()["items"]
        assert {
            key: course[key] for key in course if key not in {"id", "synced_at", "updated_at"}
        } == {
            "waba_id": WABA_ID,
            "template_id": "806312974732579",
            "name": "course_reminder",
            "language": "en",
            "status": "APPROVED",
            "sendable": True,
            "category": "MARKETING",
            "parameter_format": "POSITIONAL",
            "quality": "GREEN",
            "rejected_reason": None,
            "components": COURSE_REMINDER["components"],
            "header_format": "TEXT",
            "header_text": "{{1}} starts soon",
            "body_text": COURSE_REMINDER["components"][1]["text"],
            "footer_text": "SurgiAI CME",
            "button_texts": ["Book a seat", "Course page"],
            "variables": {"header": ["1"], "body": ["1", "2", "3"], "button:1": ["1"]},
        }
        assert (order["name"], order["parameter_format"], order["sendable"]) == (
            "order_confirmation",
            "NAMED",
            False,
        )
        assert order["variables"] == {"body": ["first_name", "order_number"]}
        assert order["header_format"] == "IMAGE" and order["header_text"] is None
        assert order["quality"] is None

    def test_the_sync_record_of_the_waba_comes_along(
        self, client: TestClient, viewer: Headers, number_id: int, seeded: None
    ) -> None:
        [sync] = client.get(f"/api/v1/templates?number_id={number_id}", headers=viewer).json()[
            "syncs"
        ]
        assert sync["waba_id"] == WABA_ID
        assert sync["template_count"] == 2
        assert sync["synced_at"] is not None
        assert sync["last_error"] is None and sync["pending"] is False

    def test_number_selects_its_waba_and_without_it_every_waba_is_listed(
        self, client: TestClient, viewer: Headers, number_id: int, seeded: None
    ) -> None:
        everything = client.get("/api/v1/templates", headers=viewer)
        assert names(everything) == [
            (WABA_ID, "course_reminder"),
            (OTHER_WABA, "course_reminder"),
            (WABA_ID, "order_confirmation"),
        ]
        assert len(everything.json()["syncs"]) == 2
        assert names(client.get(f"/api/v1/templates?number_id={number_id}", headers=viewer)) == [
            (WABA_ID, "course_reminder"),
            (WABA_ID, "order_confirmation"),
        ]

    def test_status_filter(self, client: TestClient, viewer: Headers, seeded: None) -> None:
        assert names(client.get("/api/v1/templates?status=approved", headers=viewer)) == [
            (WABA_ID, "course_reminder")
        ]
        assert names(client.get("/api/v1/templates?status=PAUSED", headers=viewer)) == [
            (OTHER_WABA, "course_reminder")
        ]

    def test_q_matches_part_of_the_name_ignoring_case_and_taking_underscore_literally(
        self, client: TestClient, viewer: Headers, seed: Callable[..., SyncCounts]
    ) -> None:
        seed(
            [
                {**COURSE_REMINDER, "name": "course_reminder"},
                {**ORDER_CONFIRMATION, "name": "coursexreminder"},
            ]
        )
        assert names(client.get("/api/v1/templates?q=SE_REM", headers=viewer)) == [
            (WABA_ID, "course_reminder")
        ]
        assert names(client.get("/api/v1/templates?q=nothing", headers=viewer)) == []

    def test_deleted_templates_show_only_when_asked_for(
        self, client: TestClient, viewer: Headers, seed: Callable[..., SyncCounts]
    ) -> None:
        seed([COURSE_REMINDER, ORDER_CONFIRMATION])
        seed([COURSE_REMINDER])
        assert names(client.get("/api/v1/templates", headers=viewer)) == [
            (WABA_ID, "course_reminder")
        ]
        assert names(client.get("/api/v1/templates?status=DELETED", headers=viewer)) == [
            (WABA_ID, "order_confirmation")
        ]

    def test_unknown_number_is_404(self, client: TestClient, viewer: Headers) -> None:
        response = client.get("/api/v1/templates?number_id=999", headers=viewer)
        assert response.status_code == 404
        assert response.json()["error"] == "NotFound"


class TestSyncRequest:
    def test_agent_queues_one_sync_and_repeated_clicks_add_nothing(
        self,
        client: TestClient,
        runtime: Runtime,
        headers_for: Callable[[Role], Headers],
        number_id: int,
    ) -> None:
        agent = headers_for(Role.agent)
        response = client.post(f"/api/v1/templates/sync?number_id={number_id}", headers=agent)
        assert response.status_code == 202
        [sync] = response.json()
        assert sync["waba_id"] == WABA_ID and sync["pending"] is True
        assert queued_syncs(runtime) == [(number_id,)]
        again = client.post(f"/api/v1/templates/sync?number_id={number_id}", headers=agent)
        assert again.status_code == 202 and again.json()[0]["pending"] is True
        assert queued_syncs(runtime) == [(number_id,)]

    def test_without_a_number_one_sync_per_waba_of_the_enabled_numbers(
        self,
        client: TestClient,
        runtime: Runtime,
        headers_for: Callable[[Role], Headers],
        number_id: int,
    ) -> None:
        create_number(runtime, phone_number_id="106540352240000", label="Courses")
        response = client.post("/api/v1/templates/sync", headers=headers_for(Role.admin))
        assert response.status_code == 202
        assert [sync["waba_id"] for sync in response.json()] == [WABA_ID]
        assert queued_syncs(runtime) == [(number_id,)]

    def test_viewer_may_list_but_not_sync(
        self, client: TestClient, runtime: Runtime, viewer: Headers, number_id: int
    ) -> None:
        assert client.get("/api/v1/templates", headers=viewer).status_code == 200
        response = client.post(f"/api/v1/templates/sync?number_id={number_id}", headers=viewer)
        assert response.status_code == 403
        assert response.json()["error"] == "Forbidden"
        assert queued_syncs(runtime) == []

    def test_unknown_number_is_404(
        self, client: TestClient, headers_for: Callable[[Role], Headers]
    ) -> None:
        response = client.post(
            "/api/v1/templates/sync?number_id=999", headers=headers_for(Role.agent)
        )
        assert response.status_code == 404


class TestLoginRequired:
    @pytest.mark.parametrize(
        ("method", "path"), [("GET", "/api/v1/templates"), ("POST", "/api/v1/templates/sync")]
    )
    def test_unauthenticated_is_401(self, client: TestClient, method: str, path: str) -> None:
        response = client.request(method, path)
        assert response.status_code == 401
        assert response.json()["error"] == "NotAuthenticated"
