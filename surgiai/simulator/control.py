"""Control plane (`/control/...`): set up numbers and templates, play the doctor, script
failures, steer statuses and time, and read back everything the simulator did."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from surgiai.errors import NotAuthenticated, NotFound, Unprocessable
from surgiai.simulator.config import SimulatorConfig
from surgiai.simulator.graph import SimulatorDep, base_url, get_simulator
from surgiai.simulator.personas import PersonaSettings
from surgiai.simulator.schemas import (
    ClockAdvance,
    DrainRequest,
    FaultCreate,
    IdentityChange,
    InboundRequest,
    ManagementEvent,
    NumberChange,
    NumberUpsert,
    RecipientUpdate,
    ResetRequest,
    StatusBehaviourUpdate,
    StatusCommand,
    TemplateRegistration,
    TemplateStatusUpdate,
    UserUpdate,
    WindowOpen,
)

CONTROL_HEADER = "X-Control-Token"


def require_control_token(request: Request) -> None:
    expected = get_simulator(request).config.control_token
    if expected is None:
        return
    given = request.headers.get(CONTROL_HEADER, "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise NotAuthenticated(f"missing or wrong {CONTROL_HEADER} header")


router = APIRouter(
    prefix="/control", tags=["control"], dependencies=[Depends(require_control_token)]
)


@router.post("/numbers/{phone_number_id}")
async def upsert_number(
    phone_number_id: str, body: NumberUpsert, sim: SimulatorDep
) -> dict[str, Any]:
    sim.upsert_number(phone_number_id, body)
    return next(n for n in sim.list_numbers() if n["phone_number_id"] == phone_number_id)


@router.get("/numbers")
async def list_numbers(sim: SimulatorDep) -> dict[str, Any]:
    return {"data": sim.list_numbers()}


@router.post("/numbers/{phone_number_id}/verify-webhook")
async def verify_webhook(phone_number_id: str, sim: SimulatorDep) -> dict[str, Any]:
    """Run the subscription handshake against the number's callback URL now."""
    return await sim.verify_webhook(phone_number_id)


@router.post("/numbers/{phone_number_id}/throughput-upgrade")
async def throughput_upgrade(phone_number_id: str, sim: SimulatorDep) -> dict[str, Any]:
    sim.start_throughput_upgrade(phone_number_id)
    return {"phone_number_id": phone_number_id, "upgrading": True}


@router.post("/templates")
async def register_template(body: TemplateRegistration, sim: SimulatorDep) -> dict[str, Any]:
    return sim.templates.register(body).to_graph()


@router.get("/templates")
async def list_templates(sim: SimulatorDep) -> dict[str, Any]:
    with sim.lock:
        return {"data": [template.to_graph() for template in sim.state.templates.values()]}


@router.post("/templates/{template_id}/status")
async def set_template_status(
    template_id: str, body: TemplateStatusUpdate, sim: SimulatorDep
) -> dict[str, Any]:
    template = sim.templates.set_status(
        template_id, body.status, reason=body.reason, emit_webhook=body.emit_webhook
    )
    return template.to_graph()


@router.post("/inbound")
async def inbound(body: InboundRequest, request: Request, sim: SimulatorDep) -> dict[str, Any]:
    """A simulated doctor sends a message to a number; returns its wamid and message object."""
    return sim.inject_inbound(body, base_url(request))


@router.get("/users/{wa_id}")
async def read_user(
    wa_id: str, sim: SimulatorDep, phone_number_id: str | None = None
) -> dict[str, Any]:
    """A user (by phone, or by a BSUID they have) with their BSUIDs as the portfolio of
    `phone_number_id` (default: the first registered number's) sees them."""
    return sim.users.read(wa_id, phone_number_id)


@router.put("/users/{wa_id}")
async def update_user(
    wa_id: str, body: UserUpdate, sim: SimulatorDep, phone_number_id: str | None = None
) -> dict[str, Any]:
    return sim.users.update(wa_id, body, phone_number_id)


@router.post("/users/{wa_id}/change-number")
async def change_number(wa_id: str, body: NumberChange, sim: SimulatorDep) -> dict[str, Any]:
    """The user moves to a new phone (new BSUIDs, same history): `user_changed_number`, or
    `user_changed_user_id` when their phone is not shared. Returns the moved record."""
    return sim.users.change_number(wa_id, body)


@router.post("/users/{wa_id}/identity-changed")
async def identity_changed(
    wa_id: str, sim: SimulatorDep, body: IdentityChange | None = None
) -> dict[str, Any]:
    """A `customer_identity_changed` system message (new security code)."""
    return sim.users.identity_changed(wa_id, body or IdentityChange())


@router.post("/statuses")
async def force_status(body: StatusCommand, sim: SimulatorDep) -> dict[str, Any]:
    if not sim.statuses.force(body.wamid, body.status, body.error_code, body.details):
        raise NotFound(f"unknown wamid {body.wamid}")
    return {"wamid": body.wamid, "status": body.status}


@router.put("/statuses/behaviour")
async def set_status_behaviour(body: StatusBehaviourUpdate, sim: SimulatorDep) -> dict[str, Any]:
    if body.wa_id is None:
        sim.config.status = body.behaviour
        return {"scope": "global", "behaviour": body.behaviour.model_dump()}
    sim.update_recipient(body.wa_id, RecipientUpdate(status=body.behaviour))
    return {"scope": body.wa_id, "behaviour": body.behaviour.model_dump()}


@router.post("/management")
async def management(body: ManagementEvent, sim: SimulatorDep) -> dict[str, Any]:
    return sim.emit_management(body)


@router.get("/outbound")
async def outbound(sim: SimulatorDep, phone_number_id: str | None = None) -> dict[str, Any]:
    """Every accepted send with its acceptance time, and refused sends by error code."""
    return sim.outbound_log(phone_number_id)


@router.get("/received")
async def received(wa_id: str, sim: SimulatorDep) -> dict[str, Any]:
    """What a doctor received (request bodies, wamids, statuses) and what they sent."""
    return sim.received_by(wa_id)


@router.post("/recipients/{wa_id}")
async def update_recipient(wa_id: str, body: RecipientUpdate, sim: SimulatorDep) -> dict[str, Any]:
    return {"wa_id": wa_id, **sim.update_recipient(wa_id, body).to_dict()}


@router.get("/recipients")
async def list_recipients(sim: SimulatorDep) -> dict[str, Any]:
    with sim.lock:
        return {
            "data": [
                {"wa_id": wa_id, **script.to_dict()}
                for wa_id, script in sim.state.recipients.items()
            ]
        }


@router.post("/faults")
async def add_fault(body: FaultCreate, sim: SimulatorDep) -> dict[str, Any]:
    return sim.add_fault(body).to_dict()


@router.get("/faults")
async def list_faults(sim: SimulatorDep) -> dict[str, Any]:
    with sim.lock:
        return {"data": [rule.to_dict() for rule in sim.state.faults]}


@router.delete("/faults")
async def clear_faults(sim: SimulatorDep) -> dict[str, Any]:
    with sim.lock:
        removed = len(sim.state.faults)
        sim.state.faults.clear()
    return {"removed": removed}


@router.get("/deliveries")
async def deliveries(
    sim: SimulatorDep, url: str | None = None, kind: str | None = None, since: int = 0
) -> dict[str, Any]:
    """Webhook attempts in order (`since` skips the first N matches), plus dropped ids."""
    with sim.lock:
        attempts = [
            attempt.to_dict()
            for attempt in sim.webhooks.attempts
            if (url is None or attempt.url.startswith(url))
            and (kind is None or attempt.kind == kind)
        ]
        dropped = list(sim.webhooks.dropped)
        undelivered = list(sim.state.undelivered_events)
    return {"data": attempts[since:], "dropped": dropped, "undelivered": undelivered}


@router.post("/windows")
async def open_window(body: WindowOpen, sim: SimulatorDep) -> dict[str, Any]:
    """Open a customer service window as an inbound call would (no webhook)."""
    opened_at = sim.clock.now() - body.seconds_ago
    sim.open_window(body.phone_number_id, sim.users.key_for(body.wa_id), opened_at)
    return {"phone_number_id": body.phone_number_id, "wa_id": body.wa_id, "opened_at": opened_at}


@router.post("/clock/advance")
async def advance_clock(body: ClockAdvance, sim: SimulatorDep) -> dict[str, Any]:
    with sim.lock:
        sim.clock.advance(body.seconds)
        return {"now": sim.clock.now()}


@router.get("/config")
async def get_config(sim: SimulatorDep) -> dict[str, Any]:
    return sim.config.model_dump(mode="json")


@router.patch("/config")
async def patch_config(
    sim: SimulatorDep, patch: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    current = sim.config.model_dump()
    if isinstance(patch.get("status"), dict):
        patch = {**patch, "status": {**current["status"], **patch["status"]}}
    try:
        sim.config = SimulatorConfig.model_validate({**current, **patch})
    except ValueError as error:
        raise Unprocessable(str(error)) from None
    return sim.config.model_dump(mode="json")


@router.post("/drain")
async def drain(sim: SimulatorDep, body: DrainRequest | None = None) -> dict[str, Any]:
    """Wait until scheduled statuses, deliveries and retries have all run."""
    timeout = body.timeout if body is not None else DrainRequest().timeout
    return {"idle": await sim.drain(timeout)}


@router.post("/reset")
async def reset(sim: SimulatorDep, body: ResetRequest | None = None) -> dict[str, Any]:
    options = body or ResetRequest()
    sim.reset(keep_numbers=options.keep_numbers, keep_templates=options.keep_templates)
    return {"reset": True}


@router.post("/personas")
async def start_personas(sim: SimulatorDep, body: PersonaSettings | None = None) -> dict[str, Any]:
    personas = await sim.personas.start(body or PersonaSettings())
    return {"personas": [persona.to_dict() for persona in personas]}


@router.get("/personas")
async def describe_personas(sim: SimulatorDep) -> dict[str, Any]:
    return sim.personas.describe()


@router.delete("/personas")
async def stop_personas(sim: SimulatorDep) -> dict[str, Any]:
    return {"stopped": True, "stats": await sim.personas.stop()}
