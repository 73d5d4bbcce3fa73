"""One state per number (`health.state`), computed by the server for the Numbers page and the
Overview's "Numbers sending" count, with what is wrong and what to try. SQLite and PostgreSQL.

Issue 18 (8): a number showed "NOT CHECKED YET" beside "Checked just now", and one whose health
check failed still counted as sending."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.fixtures import GRAPH, PHONE_NUMBER_ID, create_number, create_user, graph_error, login

HEALTHY = {
    "id": PHONE_NUMBER_ID,
    "status": "CONNECTED",
    "quality_rating": "GREEN",
    "throughput": {"level": "STANDARD"},
}


@pytest.fixture
def owner(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime)
    return login(client, "owner@example.com")


def refresh(
    client: TestClient, runtime: Runtime, owner: dict[str, str], number_id: int, answer: Any
) -> dict[str, Any]:
    """Check the number's health with the Graph API answering `answer`; its `state`."""
    with respx.mock() as graph:
        graph.get(f"{GRAPH}/{PHONE_NUMBER_ID}").mock(
            side_effect=answer if isinstance(answer, Exception) else None,
            return_value=None if isinstance(answer, Exception) else answer,
        )
        client.post(f"/api/v1/numbers/{number_id}/refresh", headers=owner)
        drain(runtime.queue)
    state: dict[str, Any] = client.get(f"/api/v1/numbers/{number_id}", headers=owner).json()[
        "health"
    ]["state"]
    return state


class TestState:
    def test_a_new_number_is_not_sending_until_whatsapp_confirms_it(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        number_id = create_number(runtime)

        state = client.get(f"/api/v1/numbers/{number_id}", headers=owner).json()["health"]["state"]

        assert (state["code"], state["sending"]) == ("not_checked", False)
        assert state["fix"] == "Wait a moment, or press Refresh health."

    def test_a_checked_healthy_number_is_sending(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        number_id = create_number(runtime)

        state = refresh(client, runtime, owner, number_id, httpx.Response(200, json=HEALTHY))

        assert state == {
            "code": "sending",
            "label": "Sending",
            "tone": "green",
            "explanation": "Sending normally.",
            "fix": None,
            "sending": True,
        }

    def test_a_failing_health_check_is_one_state_that_does_not_count_as_sending(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        number_id = create_number(runtime)

        state = refresh(client, runtime, owner, number_id, httpx.ConnectError("refused"))

        assert (state["code"], state["label"], state["sending"]) == (
            "check_failing",
            "Health check failing",
            False,
        )
        assert state["explanation"].startswith("The last health check failed: WhatsApp could")
        assert "Refresh health" in state["fix"]

    def test_a_rejected_token_says_to_paste_a_new_one_and_a_working_token_resumes_it(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        number_id = create_number(runtime)

        rejected = refresh(
            client,
            runtime,
            owner,
            number_id,
            httpx.Response(401, json=graph_error(190, "Error validating access token")),
        )

        assert (rejected["code"], rejected["sending"]) == ("token_rejected", False)
        assert rejected["explanation"].startswith("Token rejected by Meta")
        assert rejected["fix"].startswith("Paste a new access token in Numbers → Edit")
        with respx.mock() as graph:
            graph.get(f"{GRAPH}/{PHONE_NUMBER_ID}").mock(
                return_value=httpx.Response(200, json=HEALTHY)
            )
            client.patch(
                f"/api/v1/numbers/{number_id}",
                json={"access_token": "EAAG-a-brand-new-token"},
                headers=owner,
            )
            drain(runtime.queue)
        health = client.get(f"/api/v1/numbers/{number_id}", headers=owner).json()["health"]
        assert (health["paused"], health["state"]["code"]) == (False, "sending")

    def test_low_quality_still_sends_but_says_so(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        number_id = create_number(runtime)

        state = refresh(
            client,
            runtime,
            owner,
            number_id,
            httpx.Response(200, json={**HEALTHY, "quality_rating": "RED"}),
        )

        assert (state["code"], state["tone"], state["sending"]) == (
            "quality_dropping",
            "yellow",
            True,
        )

    def test_a_disabled_number_is_disabled_whatever_its_health(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        number_id = create_number(runtime)
        refresh(client, runtime, owner, number_id, httpx.ConnectError("refused"))

        response = client.patch(
            f"/api/v1/numbers/{number_id}", json={"enabled": False}, headers=owner
        )

        state = response.json()["health"]["state"]
        assert (state["code"], state["sending"]) == ("disabled", False)

    def test_a_blocked_status_says_what_to_do_in_whatsapp_manager(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        number_id = create_number(runtime)

        state = refresh(
            client,
            runtime,
            owner,
            number_id,
            httpx.Response(200, json={**HEALTHY, "status": "PENDING"}),
        )

        assert (state["code"], state["sending"]) == ("blocked", False)
        assert "WhatsApp Manager" in state["fix"]
