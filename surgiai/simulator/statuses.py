"""Status webhooks for accepted messages: the sent -> delivered -> read (-> played) lifecycle,
failures, pricing and conversation objects, and the knobs that bend them."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from surgiai.simulator.config import StatusBehaviour
from surgiai.simulator.errors import status_error
from surgiai.simulator.identity import status_recipient
from surgiai.simulator.ids import digits_only
from surgiai.simulator.state import OutboundMessage, StatusRecord
from surgiai.simulator.validation import version_major
from surgiai.simulator.webhooks import messages_value

if TYPE_CHECKING:
    from surgiai.simulator.core import Simulator

# A failure decided when the send is accepted: (error code, details or None for the default).
Failure = tuple[int, str | None]


class StatusLifecycle:
    def __init__(self, simulator: Simulator) -> None:
        self._sim = simulator

    def behaviour_for(self, wa_id: str) -> StatusBehaviour:
        script = self._sim.state.recipients.get(wa_id)
        if script is not None and script.status is not None:
            return script.status
        return self._sim.config.status

    def schedule_outcome(self, message: OutboundMessage, failure: Failure | None) -> None:
        behaviour = self.behaviour_for(message.wa_id)
        base = 0.0
        if message.message_status == "held_for_quality_assessment":
            base = self._sim.config.held_release_delay
            template = message.template
            if failure is None and template is not None and template.held_outcome == "dropped":
                failure = (132015, "The template was paused while the message was held.")
        if failure is not None:
            offset = base + behaviour.failed_delay
            code, details = failure
            self._schedule(message, "failed", offset, offset, errors=[status_error(code, details)])
            return

        steps: list[tuple[str, float]] = []
        offset = base + behaviour.sent_delay
        steps.append(("sent", offset))
        if message.type != "reaction" and behaviour.deliver:
            offset += behaviour.delivered_delay
            if not behaviour.skip_delivered:
                steps.append(("delivered", offset))
            if behaviour.read and not self._sim.personas.is_persona(message.wa_id):
                if not behaviour.skip_delivered:
                    offset += behaviour.read_delay
                steps.append(("read", offset))
                if message.is_voice and behaviour.play:
                    offset += behaviour.played_delay
                    steps.append(("played", offset))
        statuses = [status for status, _ in steps]
        priced = (
            "delivered"
            if behaviour.pricing_on == "delivered" and "delivered" in statuses
            else "sent"
        )
        emit_offsets = [when for _, when in steps]
        if behaviour.reorder:
            emit_offsets.reverse()
        for (status, when), emit_at in zip(steps, emit_offsets, strict=True):
            self._schedule(message, status, when, emit_at, pricing=status == priced)

    def _schedule(
        self,
        message: OutboundMessage,
        status: str,
        timestamp_offset: float,
        emit_offset: float,
        *,
        pricing: bool = False,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        timestamp = message.accepted_at + timestamp_offset
        wamid = message.wamid
        self._sim.scheduler.schedule(
            self._sim.config.real_delay(emit_offset),
            lambda: self.emit(wamid, status, timestamp, pricing=pricing, errors=errors),
        )

    def emit(
        self,
        wamid: str,
        status: str,
        timestamp: float | None = None,
        *,
        pricing: bool = False,
        errors: list[dict[str, Any]] | None = None,
        force: bool = False,
    ) -> bool:
        """Record and publish one status webhook; at most one per status type unless forced."""
        with self._sim.lock:
            message = self._sim.state.outbound.get(wamid)
            if message is None:
                return False
            if not force and (message.has_status(status) or message.has_status("failed")):
                return False
            number = self._sim.state.numbers.get(message.phone_number_id)
            when = int(self._sim.clock.now() if timestamp is None else timestamp)
            message.statuses.append(StatusRecord(status, when, errors))
            if pricing:
                message.priced = True
            if number is None:
                return True
            recipient, contact = status_recipient(
                message.recipient,
                status,
                sent_to_bsuid=message.to if message.by_user_id else None,
                shape=self._sim.config.identity_shape,
            )
            status_object = self._status_object(message, status, when, recipient, pricing, errors)
            # Today's statuses name the user in `contacts`, failed ones excepted (§3.6).
            lists: dict[str, Any] = {"contacts": [contact]} if contact is not None else {}
            value = messages_value(
                number.phone_number_id,
                digits_only(number.display_phone_number),
                **lists,
                statuses=[status_object],
            )
            self._sim.publish(number, "messages", value)
            duplicate_chance = self.behaviour_for(message.wa_id).duplicate_probability
            if duplicate_chance and self._sim.rng.random() < duplicate_chance:
                self._sim.publish(number, "messages", value, duplicate=True)
        if status == "sent":
            self._sim.personas.on_sent(message)
        return True

    def _status_object(
        self,
        message: OutboundMessage,
        status: str,
        timestamp: int,
        recipient: dict[str, Any],
        pricing: bool,
        errors: list[dict[str, Any]] | None,
    ) -> dict[str, Any]:
        status_object: dict[str, Any] = {
            "id": message.wamid,
            "status": status,
            "timestamp": str(timestamp),
            **recipient,
        }
        if message.biz_opaque_callback_data is not None:
            status_object["biz_opaque_callback_data"] = message.biz_opaque_callback_data
        if status != "failed":
            if self._include_conversation(message):
                conversation: dict[str, Any] = {"id": self._conversation_id(message)}
                if status == "sent":
                    expires = int(message.accepted_at + self._sim.config.window_seconds)
                    conversation["expiration_timestamp"] = str(expires)
                conversation["origin"] = {"type": message.pricing_category}
                status_object["conversation"] = conversation
            if pricing:
                status_object["pricing"] = self._pricing(message)
        if errors:
            status_object["errors"] = errors
        return status_object

    def _include_conversation(self, message: OutboundMessage) -> bool:
        mode = self.behaviour_for(message.wa_id).conversation
        if mode == "auto":
            return version_major(message.api_version) < 24
        return mode == "always"

    @staticmethod
    def _conversation_id(message: OutboundMessage) -> str:
        day = int(message.accepted_at // 86400)
        key = f"{message.phone_number_id}:{message.wa_id}:{message.pricing_category}:{day}"
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    @staticmethod
    def _pricing(message: OutboundMessage) -> dict[str, Any]:
        free = message.window_open and message.pricing_category in ("service", "utility")
        return {
            "billable": not free,
            "pricing_model": "PMP",
            "type": "free_customer_service" if free else "regular",
            "category": message.pricing_category,
        }

    def recipient_reads(self, wamid: str) -> bool:
        """The recipient opens the message: `read`, then `played` for a voice note."""
        with self._sim.lock:
            message = self._sim.state.outbound.get(wamid)
            if message is None or message.type == "reaction" or message.has_status("failed"):
                return False
            behaviour = self.behaviour_for(message.wa_id)
        if not self.emit(wamid, "read"):
            return False
        if message.is_voice and behaviour.play:
            played_at = self._sim.clock.now() + behaviour.played_delay
            self._sim.scheduler.schedule(
                self._sim.config.real_delay(behaviour.played_delay),
                lambda: self.emit(wamid, "played", played_at),
            )
        return True

    def force(self, wamid: str, status: str, error_code: int | None, details: str | None) -> bool:
        with self._sim.lock:
            message = self._sim.state.outbound.get(wamid)
            if message is None:
                return False
            errors = None
            if status == "failed":
                errors = [status_error(error_code or 131000, details)]
            pricing = status in ("sent", "delivered") and not message.priced
        return self.emit(wamid, status, pricing=pricing, errors=errors, force=True)
