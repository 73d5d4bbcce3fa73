"""Template syncs against the real Cloud API simulator, served over HTTP: every page read,
the list mirrored, Graph errors recorded, and a status webhook the simulator signs and delivers
to our `/webhooks/whatsapp`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from surgiai.auth.roles import Role
from surgiai.config import Settings
from surgiai.runtime import Runtime
from surgiai.simulator import Simulator, SimulatorConfig, create_simulator_app
from surgiai.simulator.schemas import NumberUpsert, TemplateRegistration
from tests.conftest import drain, make_settings
from tests.fixtures import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, WABA_ID, create_number
from tests.services import ServedSimulator, free_port, wait_for
from tests.templates.graph import COURSE_REMINDER, ORDER_CONFIRMATION

Headers = dict[str, str]
# More than one page of 100, the page size of a sync.
FILLER_TEMPLATES = 110


@pytest.fixture
def graph_port() -> int:
    return free_port()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, graph_port: int) -> Settings:
    return make_settings(
        tmp_path, database_url, graph_api_base=f"http://127.0.0.1:{graph_port}/graph"
    )


@pytest.fixture
def simulator(client: TestClient, graph_port: int) -> Iterator[Simulator]:
    """Our number and its templates on the simulator; its webhooks go to our app in-process."""
    app = create_simulator_app(
        SimulatorConfig(time_compression=1000.0),
        webhook_transport=httpx.ASGITransport(app=client.app),
    )
    with ServedSimulator(app, graph_port) as sim:
        sim.upsert_number(
            PHONE_NUMBER_ID,
            NumberUpsert(
                waba_id=WABA_ID,
                access_token=ACCESS_TOKEN,
                app_secret=APP_SECRET,
                webhook_url="http://surgiai.test/webhooks/whatsapp",
                verify_token="test-verify-token",
            ),
        )
        for graph in (COURSE_REMINDER, ORDER_CONFIRMATION):
            register(sim, graph)
        for index in range(FILLER_TEMPLATES):
            register(sim, {**COURSE_REMINDER, "name": f"filler_{index:03d}", "id": None})
        yield sim


def register(sim: Simulator, graph: dict[str, Any]) -> None:
    sim.templates.register(
        TemplateRegistration(
            waba_id=WABA_ID,
            name=graph["name"],
            language=graph["language"],
            category=graph["category"],
            status=graph["status"],
            components=graph["components"],
            parameter_format=graph["parameter_format"],
            template_id=graph["id"],
        )
    )


@pytest.fixture
def number_id(runtime: Runtime) -> int:
    return create_number(runtime)


@pytest.fixture
def agent(headers_for: Callable[[Role], Headers]) -> Headers:
    return headers_for(Role.agent)


def templates(client: TestClient, headers: Headers, query: str = "") -> dict[str, Any]:
    response = client.get(f"/api/v1/templates{query}", headers=headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def sync(client: TestClient, runtime: Runtime, headers: Headers, number_id: int) -> None:
    response = client.post(f"/api/v1/templates/sync?number_id={number_id}", headers=headers)
    assert response.status_code == 202, response.text
    drain(runtime.queue)


class TestSync:
    def test_every_page_is_read_and_mirrored(
        self,
        client: TestClient,
        runtime: Runtime,
        agent: Headers,
        number_id: int,
        simulator: Simulator,
    ) -> None:
        sync(client, runtime, agent, number_id)
        page = templates(client, agent, f"?number_id={number_id}")
        by_name = {item["name"]: item for item in page["items"]}
        assert len(by_name) == 2 + FILLER_TEMPLATES
        course = by_name["course_reminder"]
        assert course["template_id"] == COURSE_REMINDER["id"]
        assert (course["status"], course["category"], course["language"]) == (
            "APPROVED",
            "MARKETING",
            "en",
        )
        assert course["components"] == COURSE_REMINDER["components"]
        assert course["variables"] == {"header": ["1"], "body": ["1", "2", "3"], "button:1": ["1"]}
        order = by_name["order_confirmation"]
        assert (order["status"], order["parameter_format"]) == ("PENDING", "NAMED")
        [state] = page["syncs"]
        assert state["template_count"] == 2 + FILLER_TEMPLATES
        assert state["synced_at"] is not None
        assert state["last_error"] is None and state["pending"] is False

    def test_changes_are_applied_and_templates_gone_from_whatsapp_marked_deleted(
        self,
        client: TestClient,
        runtime: Runtime,
        agent: Headers,
        number_id: int,
        simulator: Simulator,
    ) -> None:
        sync(client, runtime, agent, number_id)
        simulator.templates.delete(WABA_ID, "filler_000")
        simulator.templates.set_status(
            ORDER_CONFIRMATION["id"], "REJECTED", reason="INVALID_FORMAT", emit_webhook=False
        )
        register(simulator, {**COURSE_REMINDER, "name": "welcome", "id": None})
        sync(client, runtime, agent, number_id)

        current = {item["name"]: item for item in templates(client, agent)["items"]}
        assert "filler_000" not in current
        assert "welcome" in current
        assert current["order_confirmation"]["status"] == "REJECTED"
        [deleted] = templates(client, agent, "?status=DELETED")["items"]
        assert deleted["name"] == "filler_000"

    def test_a_graph_error_is_recorded_and_the_templates_stay(
        self,
        client: TestClient,
        runtime: Runtime,
        agent: Headers,
        number_id: int,
        simulator: Simulator,
    ) -> None:
        sync(client, runtime, agent, number_id)
        simulator.upsert_number(PHONE_NUMBER_ID, NumberUpsert(access_token="another-token"))
        sync(client, runtime, agent, number_id)
        page = templates(client, agent)
        assert len(page["items"]) == 2 + FILLER_TEMPLATES
        [state] = page["syncs"]
        assert state["last_error"].startswith("Error 190:")
        assert state["last_error_at"] > state["synced_at"]


class TestSimulatorWebhook:
    def test_its_signed_status_webhook_approves_the_template(
        self,
        client: TestClient,
        runtime: Runtime,
        agent: Headers,
        number_id: int,
        simulator: Simulator,
    ) -> None:
        sync(client, runtime, agent, number_id)
        simulator.templates.set_status(
            ORDER_CONFIRMATION["id"], "APPROVED", reason="NONE", emit_webhook=True
        )

        def status() -> str:
            drain(runtime.queue)
            page = templates(client, agent, "?q=order_confirmation")
            return str(page["items"][0]["status"])

        # Each look runs the queue in this process, beside the simulator's thread: not too often.
        wait_for(
            lambda: status() == "APPROVED",
            interval=0.1,
            message="the status webhook was not applied",
        )
