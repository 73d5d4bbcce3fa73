"""Number failover end to end: messages queued through the API leave over real HTTP to the
Cloud API simulator, whose refusals, status webhooks and management webhooks (signed, delivered
to our `/webhooks/whatsapp`) pause numbers. A doctor stays on the number they talk to while it
can send; otherwise the healthiest number sends, and a resumed number takes its doctors back.
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from surgiai.config import Settings
from surgiai.runtime import Runtime
from surgiai.simulator import Simulator, SimulatorConfig, create_simulator_app
from surgiai.simulator.schemas import (
    FaultCreate,
    InboundRequest,
    ManagementEvent,
    NumberUpsert,
    TemplateRegistration,
)
from tests.conftest import drain, make_settings
from tests.fixtures import ACCESS_TOKEN, APP_SECRET, create_user, login, run_scheduled
from tests.services import ServedSimulator, free_port, wait_for

Headers = dict[str, str]
DOCTOR = "919876543210"
TEMPLATE = {"name": "course_reminder", "language": {"code": "en"}}
# WhatsApp accepted the message (its status webhooks may already have moved it on).
ACCEPTED = frozenset({"accepted", "sent", "delivered", "read"})


@dataclass(frozen=True)
class Line:
    """One of our WhatsApp numbers, each in its own WhatsApp Business Account."""

    label: str
    phone_number_id: str
    waba_id: str
    display_phone_number: str


# Registered in this order: ids ascend, and all start CONNECTED and GREEN.
SALES = Line("Sales", "200000000000001", "300000000000001", "15550100001")
COURSES = Line("Courses", "200000000000002", "300000000000002", "15550100002")
SUPPORT = Line("Support", "200000000000003", "300000000000003", "15550100003")
LINES = (SALES, COURSES, SUPPORT)


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
    """Meta's side: our three numbers and an approved template on each account; webhooks go to
    our app in-process."""
    app = create_simulator_app(
        SimulatorConfig(time_compression=1000.0),
        webhook_transport=httpx.ASGITransport(app=client.app),
    )
    with ServedSimulator(app, graph_port) as sim:
        for line in LINES:
            sim.upsert_number(
                line.phone_number_id,
                NumberUpsert(
                    waba_id=line.waba_id,
                    display_phone_number=line.display_phone_number,
                    access_token=ACCESS_TOKEN,
                    app_secret=APP_SECRET,
                    webhook_url="http://surgiai.test/webhooks/whatsapp",
                    verify_token="test-verify-token",
                ),
            )
            sim.templates.register(
                TemplateRegistration(waba_id=line.waba_id, name=TEMPLATE["name"], language="en")
            )
        yield sim


@pytest.fixture
def owner(client: TestClient, runtime: Runtime) -> Headers:
    create_user(runtime)
    return login(client, "owner@example.com")


@pytest.fixture
def ids(
    client: TestClient, runtime: Runtime, owner: Headers, simulator: Simulator
) -> dict[str, int]:
    """The numbers added through the API; their first health check reads the simulator."""
    created: dict[str, int] = {}
    for line in LINES:
        response = client.post(
            "/api/v1/numbers",
            json={
                "label": line.label,
                "phone_number_id": line.phone_number_id,
                "waba_id": line.waba_id,
                "display_phone_number": line.display_phone_number,
                "access_token": ACCESS_TOKEN,
            },
            headers=owner,
        )
        assert response.status_code == 201, response.text
        created[line.label] = response.json()["id"]
    drain(runtime.queue)
    for number_id in created.values():
        health = number(client, owner, number_id)["health"]
        assert (health["status"], health["quality_rating"], health["can_send"]) == (
            "CONNECTED",
            "GREEN",
            True,
        )
    return created


# --- Helpers ----------------------------------------------------------------------------------


def until(runtime: Runtime, check: Callable[[], Any]) -> Any:
    """Run queued work as a worker would until `check` holds (webhooks arrive on their own)."""

    def step() -> Any:
        drain(runtime.queue)
        return check()

    return wait_for(step, timeout=20)


def number(client: TestClient, headers: Headers, number_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/numbers/{number_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def message(client: TestClient, headers: Headers, message_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/messages/{message_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def doctor_writes(
    client: TestClient, runtime: Runtime, headers: Headers, sim: Simulator, line: Line, text: str
) -> None:
    """The doctor writes to `line` on WhatsApp; wait until we have stored the message."""
    sim.inject_inbound(
        InboundRequest.model_validate(
            {
                "phone_number_id": line.phone_number_id,
                "from": DOCTOR,
                "name": "Dr. Asha Rao",
                "type": "text",
                "text": {"body": text},
            }
        ),
        None,
    )

    def stored() -> bool:
        response = client.get(
            "/api/v1/messages", params={"wa_id": DOCTOR, "direction": "in"}, headers=headers
        )
        return any(item["text"] == text for item in response.json()["items"])

    until(runtime, stored)


def post_message(
    client: TestClient, headers: Headers, *, template: bool = False, number_id: int | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"to": f"+{DOCTOR}"}
    if template:
        body.update(type="template", template=TEMPLATE)
    else:
        body.update(type="text", text={"body": "The 5 mm trocar is ₹4,500 a box"})
    if number_id is not None:
        body["number_id"] = number_id
    response: httpx.Response = client.post("/api/v1/messages", json=body, headers=headers)
    return response


def send(
    client: TestClient,
    runtime: Runtime,
    headers: Headers,
    *,
    template: bool = False,
    number_id: int | None = None,
) -> dict[str, Any]:
    """Queue a message through the API and run the send; returns it as the API then shows it."""
    response = post_message(client, headers, template=template, number_id=number_id)
    assert response.status_code == 202, response.text
    drain(runtime.queue)
    return message(client, headers, response.json()["id"])


def left_from(sim: Simulator, message_id: int) -> str | None:
    """The phone number id WhatsApp accepted our message from, or None if it accepted none."""
    for item in sim.received_by(DOCTOR)["messages"]:
        if item["request"].get("biz_opaque_callback_data") == f"surgiai:{message_id}":
            return str(item["phone_number_id"])
    return None


def refusals(sim: Simulator) -> dict[str, int]:
    result: dict[str, int] = sim.outbound_log(None)["refusals"]
    return result


def emit(sim: Simulator, line: Line, field: str, value: dict[str, Any]) -> None:
    sim.emit_management(ManagementEvent(field=field, value=value, waba_id=line.waba_id))


def ban(sim: Simulator, line: Line) -> None:
    emit(
        sim,
        line,
        "account_update",
        {"event": "DISABLED_UPDATE", "ban_info": {"waba_ban_state": "DISABLE"}},
    )


def outbound_count(client: TestClient, headers: Headers) -> int:
    response = client.get(
        "/api/v1/messages", params={"wa_id": DOCTOR, "direction": "out"}, headers=headers
    )
    return len(response.json()["items"])


# --- Tests ------------------------------------------------------------------------------------


class TestADoctorStaysOnTheirNumber:
    def test_replies_leave_from_the_number_the_doctor_wrote_to_not_the_healthiest(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
    ) -> None:
        doctor_writes(client, runtime, owner, simulator, COURSES, "Price of the 5 mm trocar?")
        sent = send(client, runtime, owner)
        assert sent["number_id"] == ids["Courses"]
        assert sent["status"] in ACCEPTED
        assert left_from(simulator, sent["id"]) == COURSES.phone_number_id

    def test_the_number_of_the_most_recent_conversation_answers(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
    ) -> None:
        doctor_writes(client, runtime, owner, simulator, COURSES, "Is the course on Sunday?")
        doctor_writes(client, runtime, owner, simulator, SUPPORT, "My stapler jammed")
        first = send(client, runtime, owner)
        assert left_from(simulator, first["id"]) == SUPPORT.phone_number_id
        doctor_writes(client, runtime, owner, simulator, COURSES, "And the course fee?")
        second = send(client, runtime, owner)
        assert left_from(simulator, second["id"]) == COURSES.phone_number_id


class TestAPausingSendErrorMovesTheDoctor:
    @pytest.mark.parametrize(
        ("trouble", "code"),
        [
            (NumberUpsert(spam_limited=True), 131048),
            (NumberUpsert(restricted=True), 368),
            (NumberUpsert(locked=True), 131031),
            (NumberUpsert(access_token="a-token-meta-revoked"), 190),
        ],
        ids=["spam-131048", "policy-368", "locked-131031", "expired-token-190"],
    )
    def test_the_number_is_paused_and_the_next_message_leaves_from_a_healthy_one(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
        trouble: NumberUpsert,
        code: int,
    ) -> None:
        doctor_writes(client, runtime, owner, simulator, COURSES, "Price of the 5 mm trocar?")
        simulator.upsert_number(COURSES.phone_number_id, trouble)

        refused = send(client, runtime, owner)
        assert (refused["number_id"], refused["status"]) == (ids["Courses"], "failed")
        assert refused["error_code"] == code
        assert refusals(simulator) == {str(code): 1}
        health = number(client, owner, ids["Courses"])["health"]
        assert (health["paused"], health["can_send"]) == (True, False)
        assert health["paused_reason"].startswith(f"Error {code}: ")

        moved = send(client, runtime, owner, template=True)
        assert moved["number_id"] == ids["Sales"]
        assert moved["status"] in ACCEPTED
        assert left_from(simulator, moved["id"]) == SALES.phone_number_id

    def test_a_failed_status_webhook_with_a_pausing_code_moves_the_doctor_too(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
    ) -> None:
        doctor_writes(client, runtime, owner, simulator, COURSES, "Price of the 5 mm trocar?")
        simulator.add_fault(
            FaultCreate(code=131048, mode="async", phone_number_id=COURSES.phone_number_id)
        )
        accepted = send(client, runtime, owner)
        # WhatsApp took it from the doctor's number, then reports that it failed.
        assert left_from(simulator, accepted["id"]) == COURSES.phone_number_id

        until(runtime, lambda: message(client, owner, accepted["id"])["status"] == "failed")
        assert message(client, owner, accepted["id"])["error_code"] == 131048
        health = number(client, owner, ids["Courses"])["health"]
        assert health["paused"] is True and "131048" in health["paused_reason"]
        moved = send(client, runtime, owner, template=True)
        assert left_from(simulator, moved["id"]) == SALES.phone_number_id

    def test_messages_already_queued_on_the_paused_number_fail_with_its_reason_unsent(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
    ) -> None:
        doctor_writes(client, runtime, owner, simulator, COURSES, "Price of the 5 mm trocar?")
        simulator.upsert_number(COURSES.phone_number_id, NumberUpsert(spam_limited=True))
        first = post_message(client, owner).json()
        second = post_message(client, owner).json()
        drain(runtime.queue)

        assert message(client, owner, first["id"])["error_code"] == 131048
        held = message(client, owner, second["id"])
        assert (held["status"], held["error_title"]) == ("failed", "Number unavailable")
        assert (
            held["error_reason"] == number(client, owner, ids["Courses"])["health"]["paused_reason"]
        )
        assert refusals(simulator) == {"131048": 1}  # the second never reached WhatsApp

    def test_a_free_form_reply_does_not_move_to_a_number_the_doctor_never_wrote_to(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
    ) -> None:
        doctor_writes(client, runtime, owner, simulator, COURSES, "Price of the 5 mm trocar?")
        simulator.upsert_number(COURSES.phone_number_id, NumberUpsert(spam_limited=True))
        send(client, runtime, owner)
        before = outbound_count(client, owner)

        refused = post_message(client, owner)
        assert refused.status_code == 409
        assert refused.json()["error"] == "TemplateRequired"
        assert "on this number" in refused.json()["detail"]
        assert outbound_count(client, owner) == before


class TestAccountWebhooksMoveTheDoctor:
    def test_a_ban_of_the_account_pauses_its_number_and_a_healthy_one_sends(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
    ) -> None:
        doctor_writes(client, runtime, owner, simulator, COURSES, "Price of the 5 mm trocar?")
        ban(simulator, COURSES)

        health = until(
            runtime,
            lambda: (h := number(client, owner, ids["Courses"])["health"])["paused"] and h,
        )
        assert (health["status"], health["can_send"]) == ("BANNED", False)
        assert health["paused_reason"] == "Meta disabled this WhatsApp Business Account (policy)."
        assert number(client, owner, ids["Sales"])["health"]["can_send"] is True
        moved = send(client, runtime, owner, template=True)
        assert moved["number_id"] == ids["Sales"]
        assert left_from(simulator, moved["id"]) == SALES.phone_number_id

    def test_a_restriction_of_one_number_pauses_only_that_number(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
    ) -> None:
        doctor_writes(client, runtime, owner, simulator, SALES, "Price of the 5 mm trocar?")
        emit(
            simulator,
            SALES,
            "account_update",
            {
                "event": "ACCOUNT_RESTRICTION",
                "phone_number": SALES.display_phone_number,
                "restriction_info": [
                    {
                        "restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING",
                        "expiration": 1893456000,
                    }
                ],
            },
        )

        health = until(
            runtime, lambda: (h := number(client, owner, ids["Sales"])["health"])["paused"] and h
        )
        assert health["paused_reason"] == (
            "Meta restricted this account (RESTRICTED_BIZ_INITIATED_MESSAGING)."
        )
        assert number(client, owner, ids["Courses"])["health"]["paused"] is False
        moved = send(client, runtime, owner, template=True)
        assert left_from(simulator, moved["id"]) == COURSES.phone_number_id


class TestANumberThatCannotSendHandsOver:
    def test_a_disabled_number_hands_its_doctor_to_a_healthy_one(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
    ) -> None:
        doctor_writes(client, runtime, owner, simulator, SALES, "Price of the 5 mm trocar?")
        disabled = client.patch(
            f"/api/v1/numbers/{ids['Sales']}", json={"enabled": False}, headers=owner
        )
        assert disabled.json()["health"]["can_send"] is False
        moved = send(client, runtime, owner, template=True)
        assert moved["number_id"] == ids["Courses"]
        assert left_from(simulator, moved["id"]) == COURSES.phone_number_id

    @pytest.mark.parametrize("status", ["BANNED", "RESTRICTED", "DISCONNECTED"])
    def test_a_number_whatsapp_reports_blocked_hands_its_doctor_over_until_it_recovers(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
        status: str,
    ) -> None:
        doctor_writes(client, runtime, owner, simulator, COURSES, "Price of the 5 mm trocar?")
        simulator.upsert_number(COURSES.phone_number_id, NumberUpsert(status=status))
        client.post(f"/api/v1/numbers/{ids['Courses']}/refresh", headers=owner)
        drain(runtime.queue)
        health = number(client, owner, ids["Courses"])["health"]
        assert (health["status"], health["paused"], health["can_send"]) == (status, False, False)

        moved = send(client, runtime, owner, template=True)
        assert left_from(simulator, moved["id"]) == SALES.phone_number_id

        simulator.upsert_number(COURSES.phone_number_id, NumberUpsert(status="CONNECTED"))
        client.post(f"/api/v1/numbers/{ids['Courses']}/refresh", headers=owner)
        drain(runtime.queue)
        doctor_writes(client, runtime, owner, simulator, COURSES, "Still there?")
        back = send(client, runtime, owner)
        assert left_from(simulator, back["id"]) == COURSES.phone_number_id


class TestTheHealthiestNumberTakesOver:
    def test_green_before_yellow_before_red_then_the_lowest_id(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
    ) -> None:
        doctor_writes(client, runtime, owner, simulator, SUPPORT, "My stapler jammed")
        ban(simulator, SUPPORT)
        flagged = {"display_phone_number": SALES.display_phone_number, "event": "FLAGGED"}
        emit(simulator, SALES, "phone_number_quality_update", flagged)
        until(
            runtime,
            lambda: (
                number(client, owner, ids["Support"])["health"]["paused"]
                and number(client, owner, ids["Sales"])["health"]["quality_rating"] == "YELLOW"
            ),
        )
        green = send(client, runtime, owner, template=True)
        assert left_from(simulator, green["id"]) == COURSES.phone_number_id  # GREEN, not YELLOW

        downgraded = {"display_phone_number": COURSES.display_phone_number, "event": "DOWNGRADE"}
        emit(simulator, COURSES, "phone_number_quality_update", downgraded)
        until(
            runtime,
            lambda: number(client, owner, ids["Courses"])["health"]["quality_rating"] == "RED",
        )
        # Courses is now the doctor's latest conversation, but RED does not make it unable to
        # send: the doctor stays there.
        sticky = send(client, runtime, owner, template=True)
        assert left_from(simulator, sticky["id"]) == COURSES.phone_number_id
        ban(simulator, COURSES)
        until(runtime, lambda: number(client, owner, ids["Courses"])["health"]["paused"])
        yellow = send(client, runtime, owner, template=True)
        assert left_from(simulator, yellow["id"]) == SALES.phone_number_id


class TestAnExplicitNumberThatCannotSend:
    @pytest.mark.parametrize("why", ["paused", "disabled", "banned"])
    def test_is_refused_with_a_clear_409_and_nothing_is_queued(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
        why: str,
    ) -> None:
        courses = ids["Courses"]
        if why == "paused":
            ban(simulator, COURSES)
            until(runtime, lambda: number(client, owner, courses)["health"]["paused"])
            explanation = "Meta disabled this WhatsApp Business Account (policy)."
        elif why == "disabled":
            client.patch(f"/api/v1/numbers/{courses}", json={"enabled": False}, headers=owner)
            explanation = "it is disabled."
        else:
            simulator.upsert_number(COURSES.phone_number_id, NumberUpsert(status="BANNED"))
            client.post(f"/api/v1/numbers/{courses}/refresh", headers=owner)
            drain(runtime.queue)
            explanation = "WhatsApp reports its status as BANNED."

        refused = post_message(client, owner, template=True, number_id=courses)
        assert refused.status_code == 409
        assert refused.json() == {
            "error": "NumberUnavailable",
            "detail": f"Number Courses cannot send now: {explanation}",
        }
        assert outbound_count(client, owner) == 0
        accepted = post_message(client, owner, template=True, number_id=ids["Support"])
        assert accepted.status_code == 202, accepted.text


class TestNoNumberCanSend:
    def test_the_api_answers_503_with_a_clear_message_and_queues_nothing(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
    ) -> None:
        for line in LINES:
            ban(simulator, line)
        until(
            runtime,
            lambda: all(number(client, owner, i)["health"]["paused"] for i in ids.values()),
        )
        for template in (True, False):
            refused = post_message(client, owner, template=template)
            assert refused.status_code == 503
            assert refused.json() == {
                "error": "ServiceUnavailable",
                "detail": "No WhatsApp number can send right now: none is registered, or each is "
                "paused, disabled or blocked by WhatsApp.",
            }
        assert outbound_count(client, owner) == 0


class TestResumingANumber:
    def test_an_admin_resuming_it_makes_it_the_doctors_number_again(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
    ) -> None:
        doctor_writes(client, runtime, owner, simulator, COURSES, "Price of the 5 mm trocar?")
        simulator.upsert_number(COURSES.phone_number_id, NumberUpsert(spam_limited=True))
        send(client, runtime, owner)
        assert post_message(client, owner, number_id=ids["Courses"]).status_code == 409
        simulator.upsert_number(COURSES.phone_number_id, NumberUpsert(spam_limited=False))

        resumed = client.patch(
            f"/api/v1/numbers/{ids['Courses']}", json={"paused": False}, headers=owner
        )
        assert resumed.status_code == 200
        assert resumed.json()["health"]["paused"] is False
        assert resumed.json()["health"]["paused_reason"] is None
        drain(runtime.queue)  # the health check queued by the resume
        assert number(client, owner, ids["Courses"])["health"]["can_send"] is True

        back = send(client, runtime, owner)
        assert back["number_id"] == ids["Courses"] and back["status"] in ACCEPTED
        assert left_from(simulator, back["id"]) == COURSES.phone_number_id

    def test_a_resumed_number_takes_its_doctor_back_after_a_failover_message(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
    ) -> None:
        doctor_writes(client, runtime, owner, simulator, COURSES, "Price of the 5 mm trocar?")
        simulator.upsert_number(COURSES.phone_number_id, NumberUpsert(spam_limited=True))
        send(client, runtime, owner)
        moved = send(client, runtime, owner, template=True)
        assert left_from(simulator, moved["id"]) == SALES.phone_number_id
        simulator.upsert_number(COURSES.phone_number_id, NumberUpsert(spam_limited=False))
        client.patch(f"/api/v1/numbers/{ids['Courses']}", json={"paused": False}, headers=owner)
        drain(runtime.queue)

        reply = post_message(client, owner)
        assert reply.status_code == 202, reply.text
        assert reply.json()["number_id"] == ids["Courses"]

    def test_a_resume_does_not_bring_back_a_number_whatsapp_still_blocks(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
    ) -> None:
        doctor_writes(client, runtime, owner, simulator, COURSES, "Price of the 5 mm trocar?")
        simulator.upsert_number(COURSES.phone_number_id, NumberUpsert(status="DISCONNECTED"))
        ban(simulator, COURSES)
        until(runtime, lambda: number(client, owner, ids["Courses"])["health"]["paused"])

        client.patch(f"/api/v1/numbers/{ids['Courses']}", json={"paused": False}, headers=owner)
        drain(runtime.queue)  # the health check reads DISCONNECTED from WhatsApp
        health = number(client, owner, ids["Courses"])["health"]
        assert (health["paused"], health["status"], health["can_send"]) == (
            False,
            "DISCONNECTED",
            False,
        )
        moved = send(client, runtime, owner, template=True)
        assert left_from(simulator, moved["id"]) == SALES.phone_number_id


class TestTransientErrorsDoNotPause:
    @pytest.mark.parametrize("code", [130429, 131000])
    def test_the_message_is_retried_from_the_same_number_which_stays_in_service(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
        code: int,
    ) -> None:
        doctor_writes(client, runtime, owner, simulator, COURSES, "Price of the 5 mm trocar?")
        simulator.add_fault(FaultCreate(code=code, phone_number_id=COURSES.phone_number_id))

        waiting = send(client, runtime, owner)
        assert (waiting["status"], waiting["error_code"]) == ("queued", code)
        health = number(client, owner, ids["Courses"])["health"]
        assert (health["paused"], health["can_send"]) == (False, True)

        assert run_scheduled(runtime) == 1
        sent = message(client, owner, waiting["id"])
        assert sent["status"] in ACCEPTED and sent["attempts"] == 2
        assert left_from(simulator, sent["id"]) == COURSES.phone_number_id
        assert refusals(simulator) == {str(code): 1}

    def test_a_transient_error_that_outlasts_its_retries_fails_the_message_not_the_number(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: Headers,
        simulator: Simulator,
        ids: dict[str, int],
    ) -> None:
        doctor_writes(client, runtime, owner, simulator, COURSES, "Price of the 5 mm trocar?")
        simulator.add_fault(
            FaultCreate(code=131000, count=10, phone_number_id=COURSES.phone_number_id)
        )
        waiting = send(client, runtime, owner)
        for _ in range(10):
            if message(client, owner, waiting["id"])["status"] != "queued":
                break
            drain(runtime.queue)  # the retry joins the schedule, as a worker would file it
            assert run_scheduled(runtime) == 1
        failed = message(client, owner, waiting["id"])
        assert (failed["status"], failed["error_code"]) == ("failed", 131000)
        health = number(client, owner, ids["Courses"])["health"]
        assert (health["paused"], health["can_send"], health["last_error_code"]) == (
            False,
            True,
            131000,
        )

        with simulator.lock:
            simulator.state.faults.clear()
        next_one = send(client, runtime, owner)
        assert left_from(simulator, next_one["id"]) == COURSES.phone_number_id
