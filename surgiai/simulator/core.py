"""The simulator: Meta's behaviour for sends, inbound messages, numbers, limits and
management webhooks. Statuses, media and templates live in their own components
(`self.statuses`, `self.media`, `self.templates`) that share this object's state and lock.

All state lives in `SimulatorState`, guarded by one re-entrant lock. Critical sections never
await, so the lock is safe on the event loop and from other threads (a `TestClient` portal,
a test driving the simulator directly).
"""

from __future__ import annotations

import random
import secrets
import threading
from typing import Any

import httpx
import structlog

from surgiai.errors import BadRequest, NotFound, Unprocessable
from surgiai.simulator.auth import check_token, require_token, token_matches, unknown_object
from surgiai.simulator.clock import Clock, SystemClock
from surgiai.simulator.config import (
    TIER_LIMITS,
    MessagingLimitBehaviour,
    MessagingTier,
    SimulatorConfig,
    ThroughputLevel,
    WindowEnforcement,
)
from surgiai.simulator.errors import (
    GraphError,
    spec_for,
)
from surgiai.simulator.identity import (
    preference_item,
    send_contact,
    unknown_identity,
    wire_address,
)
from surgiai.simulator.ids import digits_only, new_fbtrace_id, new_wamid
from surgiai.simulator.inbound import build_inbound_message
from surgiai.simulator.limits import RollingUniqueRecipients, TokenBucket
from surgiai.simulator.media import MediaStore, mime_allowed
from surgiai.simulator.personas import PersonaManager
from surgiai.simulator.phone_fields import read_fields
from surgiai.simulator.scheduler import Scheduler
from surgiai.simulator.schemas import (
    FaultCreate,
    InboundRequest,
    ManagementEvent,
    NumberUpsert,
    RecipientUpdate,
)
from surgiai.simulator.state import (
    FaultRule,
    InboundMessage,
    OutboundMessage,
    PhoneNumber,
    Portfolio,
    RecipientScript,
    SimulatedUser,
    SimulatorState,
    Template,
)
from surgiai.simulator.statuses import Failure, StatusLifecycle
from surgiai.simulator.templates import TemplateRegistry
from surgiai.simulator.users import DEFAULT_NAME, UserDirectory
from surgiai.simulator.validation import (
    SendRequest,
    check_template_parameters,
    parse_send,
    version_major,
)
from surgiai.simulator.webhooks import Change, Target, WebhookDispatcher, messages_value

log = structlog.get_logger(__name__)

DEFAULT_WABA_ID = "102290129340398"
DEFAULT_PORTFOLIO_ID = "506914307656634"
REACTION_MAX_AGE = 30 * 24 * 3600.0

ACCOUNT_TOGGLES = (
    ("restricted", 368),
    ("locked", 131031),
    ("payment_issue", 131042),
    ("spam_limited", 131048),
)


class Simulator:
    def __init__(
        self,
        config: SimulatorConfig | None = None,
        *,
        clock: Clock | None = None,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config or SimulatorConfig()
        self.clock: Clock = clock or SystemClock()
        # Simulation randomness (ids, probabilities), seedable for reproducible runs.
        self.rng = random.Random(self.config.seed)  # noqa: S311
        self.lock = threading.RLock()
        self.state = SimulatorState()
        self.scheduler = Scheduler()
        self.webhooks = WebhookDispatcher(self, webhook_transport)
        self.statuses = StatusLifecycle(self)
        self.media = MediaStore(self)
        self.templates = TemplateRegistry(self)
        self.users = UserDirectory(self)
        self.personas = PersonaManager(self)

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Start the delivery loop on the running event loop (idempotent)."""
        if self.scheduler.running_here():
            return
        await self.webhooks.start()
        await self.scheduler.start()
        log.info("simulator.started")

    async def stop(self) -> None:
        """Stop personas, timers and the webhook client (idempotent)."""
        await self.personas.stop()
        await self.scheduler.stop()
        await self.webhooks.stop()

    async def drain(self, timeout: float = 5.0) -> bool:
        """Wait until every scheduled status, delivery and retry has run."""
        return await self.scheduler.drain(timeout)

    def reset(self, *, keep_numbers: bool = False, keep_templates: bool = False) -> None:
        self.personas.cancel()
        self.scheduler.clear()
        self.webhooks.reset()
        with self.lock:
            old = self.state
            self.state = SimulatorState()
            if keep_numbers:
                self.state.numbers = old.numbers
                for portfolio in old.portfolios.values():
                    self.state.portfolios[portfolio.portfolio_id] = Portfolio(
                        portfolio.portfolio_id,
                        portfolio.tier,
                        RollingUniqueRecipients(self.config.messaging_limit_window_seconds),
                    )
            if keep_templates:
                self.state.templates = old.templates

    def fbtrace_id(self) -> str:
        return new_fbtrace_id(self.rng)

    def http_status_for(self, error: GraphError) -> int:
        if error.http_status is not None:
            return error.http_status
        if error.auth:
            return self.config.auth_error_http_status
        if self.config.meta_http_statuses:
            return spec_for(error.code).meta_http_status
        return self.config.error_http_status

    # ---------------------------------------------------------------- numbers

    def upsert_number(self, phone_number_id: str, update: NumberUpsert) -> PhoneNumber:
        fields = update.model_dump(exclude_unset=True)
        tier = fields.pop("tier", None)
        with self.lock:
            number = self.state.numbers.get(phone_number_id)
            if number is None:
                number = PhoneNumber(
                    phone_number_id=phone_number_id,
                    waba_id=fields.pop("waba_id", None) or DEFAULT_WABA_ID,
                    business_portfolio_id=fields.pop("business_portfolio_id", None)
                    or DEFAULT_PORTFOLIO_ID,
                    display_phone_number=fields.pop("display_phone_number", None)
                    or "1555" + phone_number_id[-7:].rjust(7, "0"),
                    verified_name=fields.pop("verified_name", None) or "SurgiAI Demo",
                    registered_at=self.clock.now(),
                )
                self.state.numbers[phone_number_id] = number
            previous_hook = (number.webhook_url, number.verify_token)
            for key, value in fields.items():
                if value is None and key in (
                    "waba_id",
                    "business_portfolio_id",
                    "display_phone_number",
                ):
                    continue
                setattr(number, key, value)
            portfolio = self._portfolio(number.business_portfolio_id)
            if tier is not None:
                portfolio.tier = tier
            if (number.webhook_url, number.verify_token) != previous_hook and previous_hook[0]:
                # Meta re-verifies whenever the callback URL or verify token is saved.
                self.webhooks.forget_verification(previous_hook[0])
            return number

    def _portfolio(self, portfolio_id: str) -> Portfolio:
        portfolio = self.state.portfolios.get(portfolio_id)
        if portfolio is None:
            portfolio = Portfolio(
                portfolio_id,
                MessagingTier.TIER_250,
                RollingUniqueRecipients(self.config.messaging_limit_window_seconds),
            )
            self.state.portfolios[portfolio_id] = portfolio
        return portfolio

    def list_numbers(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                number.to_control(self._portfolio(number.business_portfolio_id).tier)
                for number in self.state.numbers.values()
            ]

    def default_portfolio_id(self) -> str:
        """The portfolio of the first registered number (usually the only one)."""
        with self.lock:
            first = next(iter(self.state.numbers.values()), None)
            return first.business_portfolio_id if first is not None else DEFAULT_PORTFOLIO_ID

    def number(self, phone_number_id: str) -> PhoneNumber | None:
        with self.lock:
            return self.state.numbers.get(phone_number_id)

    def start_throughput_upgrade(self, phone_number_id: str) -> None:
        """The 80 -> 1,000 mps upgrade: 131057 for a while, then HIGH and a webhook."""
        with self.lock:
            number = self._require_number(phone_number_id)
            number.upgrading = True
        self.scheduler.schedule(
            self.config.real_delay(self.config.upgrade_duration_seconds),
            lambda: self._finish_upgrade(phone_number_id),
        )

    def _finish_upgrade(self, phone_number_id: str) -> None:
        with self.lock:
            number = self.state.numbers.get(phone_number_id)
            if number is None:
                return
            number.upgrading = False
            number.throughput_level = ThroughputLevel.HIGH
            tier = self._portfolio(number.business_portfolio_id).tier
            value = {
                "display_phone_number": digits_only(number.display_phone_number),
                "event": "THROUGHPUT_UPGRADE",
                "max_daily_conversations_per_business": tier.value,
            }
            self.publish(number, "phone_number_quality_update", value, time=int(self.clock.now()))

    def _require_number(self, phone_number_id: str) -> PhoneNumber:
        number = self.state.numbers.get(phone_number_id)
        if number is None:
            raise NotFound(f"unknown phone_number_id {phone_number_id}")
        return number

    # ---------------------------------------------------------------- auth

    def authorize_number(self, phone_number_id: str, token: str | None, method: str) -> PhoneNumber:
        token = require_token(token)
        with self.lock:
            number = self.state.numbers.get(phone_number_id)
            if number is None:
                raise unknown_object(phone_number_id, method)
            check_token(number, token)
            return number

    def authorize_waba(self, waba_id: str, token: str | None, method: str) -> list[PhoneNumber]:
        token = require_token(token)
        with self.lock:
            numbers = self.state.numbers_in_waba(waba_id)
            if not numbers:
                raise unknown_object(waba_id, method)
            if not any(token_matches(number, token) for number in numbers):
                check_token(numbers[0], token)
            return numbers

    def object_kind(self, object_id: str) -> str | None:
        with self.lock:
            if object_id in self.state.numbers:
                return "phone_number"
            if object_id in self.state.media:
                return "media"
            if self.state.numbers_in_waba(object_id):
                return "waba"
            if object_id in self.state.templates:
                return "template"
            return None

    # ---------------------------------------------------------------- sending

    def send_message(
        self, phone_number_id: str, api_version: str, token: str | None, payload: Any
    ) -> dict[str, Any]:
        """`POST /{phone-number-id}/messages`: a send, a read receipt or a typing indicator."""
        try:
            return self._send_message(phone_number_id, api_version, token, payload)
        except GraphError as error:
            with self.lock:
                self.state.refusals[error.code] = self.state.refusals.get(error.code, 0) + 1
            raise

    def _send_message(
        self, phone_number_id: str, api_version: str, token: str | None, payload: Any
    ) -> dict[str, Any]:
        number = self.authorize_number(phone_number_id, token, "post")
        if not isinstance(payload, dict):
            raise GraphError(100, "The request body must be a JSON object.")
        if payload.get("messaging_product") != "whatsapp":
            raise GraphError(100, "Param messaging_product must be 'whatsapp'.")
        if "status" in payload:
            return self._mark_read(number, payload)
        shape = self.config.identity_shape
        request = parse_send(
            payload,
            rewrite_mx_br=self.config.rewrite_mx_br_numbers,
            accept_recipient=shape == "bsuid",
        )
        with self.lock:
            now = self.clock.now()
            portfolio_id = number.business_portfolio_id
            if request.by_user_id:
                user = self.users.resolve(request.to, portfolio_id)
            else:
                if request.wa_id == digits_only(number.display_phone_number):
                    raise GraphError(131021)
                user = self.users.ensure(request.wa_id)
            if user is None:
                # No user has this BSUID: the message is keyed by it, and fails with 131026.
                recipient = unknown_identity(request.to)
            else:
                request.wa_id = user.wa_id
                recipient = self.users.identity(user, portfolio_id)
            template = self._resolve_references(number, request)
            self._check_account(number)
            failure = self._apply_faults(number, request.wa_id)
            self._take_throughput(number, now)
            self._take_pair(number, request.wa_id, now)
            if failure is None and user is None:
                failure = self._no_such_user(request.to)
            window_open = self.window_open(number.phone_number_id, request.wa_id, now)
            if failure is None and not window_open and template is None:
                if self.config.window_enforcement is WindowEnforcement.SYNC:
                    raise GraphError(131047)
                failure = (131047, None)
            if failure is None:
                failure = self._recipient_failure(request, template, now)
            if failure is None and request.type == "reaction":
                failure = self._reaction_failure(number, request, now)
            if failure is None and template is not None and not window_open:
                failure = self._messaging_limit(number, request.wa_id, now)

            message = OutboundMessage(
                wamid=self.unique_wamid(request.to if request.by_user_id else request.wa_id),
                phone_number_id=number.phone_number_id,
                wa_id=request.wa_id,
                to=request.to,
                type=request.type,
                request=payload,
                api_version=api_version,
                accepted_at=now,
                window_open=window_open,
                pricing_category=template.category.lower() if template else "service",
                recipient=recipient,
                by_user_id=request.by_user_id,
                template=template,
                biz_opaque_callback_data=request.biz_opaque_callback_data,
            )
            if template is not None and self.config.template_message_status:
                message.message_status = (
                    "held_for_quality_assessment" if template.paced else "accepted"
                )
            self.state.outbound[message.wamid] = message
            self.state.received.setdefault(request.wa_id, []).append(message)
            self.statuses.schedule_outcome(message, failure)

        contact = send_contact(recipient, request.to, by_phone=not request.by_user_id, shape=shape)
        sent: dict[str, str] = {"id": message.wamid}
        if message.message_status is not None:
            sent["message_status"] = message.message_status
        return {"messaging_product": "whatsapp", "contacts": [contact], "messages": [sent]}

    def unique_wamid(self, address: str) -> str:
        """A wamid no message has, encoding `address` (a phone's digits or a BSUID) as Meta's do."""
        while True:
            wamid = new_wamid(self.rng, address)
            if wamid not in self.state.outbound and wamid not in self.state.inbound:
                return wamid

    def _mark_read(self, number: PhoneNumber, payload: dict[str, Any]) -> dict[str, Any]:
        if payload.get("status") != "read":
            raise GraphError(100, "Param status must be 'read'.")
        message_id = payload.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            raise GraphError(131008, "The parameter message_id is required.")
        typing = payload.get("typing_indicator")
        if typing is not None and typing != {"type": "text"}:
            raise GraphError(100, "Param typing_indicator['type'] must be 'text'.")
        with self.lock:
            inbound = self.state.inbound.get(message_id)
            if inbound is None or inbound.phone_number_id != number.phone_number_id:
                raise GraphError(100, f"Invalid parameter: message {message_id} was not found.")
            now = self.clock.now()
            # Marking a message read also marks the earlier messages of that thread read.
            for earlier in self.state.sent_by_user.get(inbound.wa_id, []):
                same_thread = earlier.phone_number_id == inbound.phone_number_id
                if same_thread and earlier.timestamp <= inbound.timestamp:
                    earlier.read_by_business_at = earlier.read_by_business_at or now
            if typing is not None:
                inbound.typing_indicator_at = now
        return {"success": True}

    def _resolve_references(self, number: PhoneNumber, request: SendRequest) -> Template | None:
        now = self.clock.now()
        for reference in request.media:
            item = self.state.media.get(reference.media_id)
            if item is None or item.expires_at <= now:
                raise GraphError(
                    131053, f"Media id {reference.media_id} does not exist or has expired."
                )
            if not mime_allowed(reference.kind, item.mime_type):
                raise GraphError(
                    131053,
                    f"Media {reference.media_id} is {item.mime_type}, which cannot be sent as "
                    f"{reference.kind}.",
                )
        if request.type != "template":
            return None
        name, language = request.template_name, request.template_language
        template = self.state.find_template(number.waba_id, name, language)
        if template is None:
            raise GraphError(132001, f"template name ({name}) does not exist in {language}")
        if template.status == "PAUSED":
            raise GraphError(132015, f"Template {name} is paused.")
        if template.status == "DISABLED":
            raise GraphError(132016, f"Template {name} is disabled.")
        if template.status != "APPROVED":
            raise GraphError(
                132001, f"template name ({name}) in {language} is {template.status}, not APPROVED"
            )
        components = request.content.get("components", [])
        check_template_parameters(template, components)
        return template

    def _check_account(self, number: PhoneNumber) -> None:
        if number.status != "CONNECTED":
            raise GraphError(133010, f"The phone number is {number.status}, not CONNECTED.")
        for attribute, code in ACCOUNT_TOGGLES:
            if getattr(number, attribute):
                raise GraphError(code)
        if number.upgrading:
            raise GraphError(131057)

    def _apply_faults(self, number: PhoneNumber, wa_id: str) -> Failure | None:
        for rule in list(self.state.faults):
            if rule.phone_number_id not in (None, number.phone_number_id):
                continue
            if rule.wa_id not in (None, wa_id):
                continue
            if rule.rate is not None and self.rng.random() >= rule.rate:
                continue
            rule.hits += 1
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.state.faults.remove(rule)
            if rule.mode == "sync":
                raise GraphError(rule.code, rule.details, http_status=rule.http_status)
            return (rule.code, rule.details)
        return None

    def _throughput_bucket(self, number: PhoneNumber, now: float) -> TokenBucket:
        rate = self.config.throughput_mps[number.throughput_level]
        bucket = self.state.throughput.get(number.phone_number_id)
        if bucket is None or bucket.rate != rate:
            bucket = TokenBucket(rate, rate, now)
            self.state.throughput[number.phone_number_id] = bucket
        return bucket

    def _take_throughput(self, number: PhoneNumber, now: float) -> None:
        if not self._throughput_bucket(number, now).try_take(now):
            raise GraphError(130429)

    def _take_pair(self, number: PhoneNumber, wa_id: str, now: float) -> None:
        key = (number.phone_number_id, wa_id)
        bucket = self.state.pair_buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(self.config.pair_rate_per_second, self.config.pair_burst, now)
            self.state.pair_buckets[key] = bucket
        if not bucket.try_take(now):
            raise GraphError(131056)

    def window_open(self, phone_number_id: str, wa_id: str, now: float | None = None) -> bool:
        with self.lock:
            opened = self.state.windows.get((phone_number_id, wa_id))
            current = self.clock.now() if now is None else now
            return opened is not None and current - opened < self.config.window_seconds

    def open_window(self, phone_number_id: str, wa_id: str, at: float | None = None) -> None:
        with self.lock:
            self.state.windows[(phone_number_id, wa_id)] = self.clock.now() if at is None else at

    def _recipient_failure(
        self, request: SendRequest, template: Template | None, now: float
    ) -> Failure | None:
        script = self.state.recipients.get(request.wa_id)
        failure: Failure | None = None
        marketing = template is not None and template.category == "MARKETING"
        if script is not None and script.undeliverable:
            failure = (131026, None)
        elif marketing and script is not None and script.opted_out:
            failure = (131050, None)
        elif marketing and script is not None and script.experiment:
            failure = (130472, None)
        elif (
            marketing
            and script is not None
            and (script.marketing_capped or now < script.marketing_blocked_until)
        ):
            # Hitting the cap starts a cooldown; resending inside it extends it (Meta's advice:
            # wait 24 h, as repeated resends keep the user blocked).
            script.marketing_capped = False
            script.marketing_blocked_until = now + self.config.marketing_cooldown_seconds
            failure = (131049, None)
        elif marketing and self.config.us_marketing_blocked and request.wa_id.startswith("1"):
            failure = (131049, "Marketing template messages to US phone numbers are not delivered.")
        if failure is not None and self.config.recipient_errors_sync:
            raise GraphError(failure[0], failure[1])
        return failure

    def _reaction_failure(
        self, number: PhoneNumber, request: SendRequest, now: float
    ) -> Failure | None:
        target_id = str(request.content.get("message_id"))
        inbound = self.state.inbound.get(target_id)
        outbound = self.state.outbound.get(target_id)
        if inbound is not None and (inbound.phone_number_id, inbound.wa_id) == (
            number.phone_number_id,
            request.wa_id,
        ):
            sent_at, is_reaction = inbound.timestamp, inbound.message.get("type") == "reaction"
        elif outbound is not None and (outbound.phone_number_id, outbound.wa_id) == (
            number.phone_number_id,
            request.wa_id,
        ):
            sent_at, is_reaction = outbound.accepted_at, outbound.type == "reaction"
        else:
            return (131009, f"Message {target_id} is not in this thread.")
        if is_reaction:
            return (131009, "Cannot react to a reaction.")
        if now - sent_at > REACTION_MAX_AGE:
            return (131009, "Cannot react to a message older than 30 days.")
        return None

    def _no_such_user(self, bsuid: str) -> Failure:
        """Meta's answer for a recipient it cannot deliver to, as for an undeliverable phone."""
        details = f"No WhatsApp user has the business-scoped user ID {bsuid}."
        if self.config.recipient_errors_sync:
            raise GraphError(131026, details)
        return (131026, details)

    def _messaging_limit(self, number: PhoneNumber, wa_id: str, now: float) -> Failure | None:
        behaviour = self.config.messaging_limit_behaviour
        portfolio = self._portfolio(number.business_portfolio_id)
        limit = TIER_LIMITS[portfolio.tier]
        if behaviour is MessagingLimitBehaviour.ALLOW:
            limit = None
        if portfolio.reach.admit(wa_id, now, limit):
            return None
        details = (
            f"The business portfolio reached its messaging limit ({portfolio.tier.value}) "
            "of unique users outside a customer service window in 24 hours."
        )
        code = self.config.messaging_limit_error_code
        if behaviour is MessagingLimitBehaviour.SYNC_ERROR:
            raise GraphError(code, details)
        return (code, details)

    # ---------------------------------------------------------------- webhooks

    def publish(
        self,
        number: PhoneNumber,
        field: str,
        value: dict[str, Any],
        *,
        time: int | None = None,
        duplicate: bool = False,
    ) -> None:
        """Queue a webhook change for the number's callback (`time` only for management)."""
        change = Change(number.waba_id, field, value, time)
        if not number.webhook_url:
            self.state.undelivered_events.append(
                {"waba_id": number.waba_id, "field": field, "value": value, "time": time}
            )
            return
        target = Target(number.webhook_url, number.app_secret, number.verify_token)
        self.webhooks.publish(target, change, duplicate=duplicate)

    async def verify_webhook(self, phone_number_id: str) -> dict[str, Any]:
        with self.lock:
            number = self._require_number(phone_number_id)
            if not number.webhook_url:
                raise BadRequest("the number has no webhook_url")
            target = Target(number.webhook_url, number.app_secret, number.verify_token)
        attempt = await self.webhooks.verify(target)
        return attempt.to_dict()

    def emit_management(self, event: ManagementEvent) -> dict[str, Any]:
        """Emit a management webhook (entry[].time, no metadata) or `user_preferences`."""
        with self.lock:
            if event.phone_number_id is not None:
                number = self._require_number(event.phone_number_id)
                numbers = [number]
            else:
                assert event.waba_id is not None
                numbers = self.state.numbers_in_waba(event.waba_id)
                if not numbers:
                    raise NotFound(f"no number belongs to WABA {event.waba_id}")
            value = dict(event.value)
            management = event.field != "user_preferences"
            if event.field == "user_preferences":
                number = numbers[0]
                value = {
                    **messages_value(
                        number.phone_number_id, digits_only(number.display_phone_number)
                    ),
                    **value,
                }
            if event.apply:
                self._apply_management(event.field, numbers[0].waba_id, value)
            if event.field == "user_preferences":
                value = self._name_preference_users(numbers[0], value)
            time = event.time if event.time is not None else int(self.clock.now())
            for target_number in self._one_number_per_callback(numbers):
                self.publish(target_number, event.field, value, time=time if management else None)
            return {"field": event.field, "value": value}

    @staticmethod
    def _one_number_per_callback(numbers: list[PhoneNumber]) -> list[PhoneNumber]:
        seen: set[tuple[str | None, str | None]] = set()
        chosen: list[PhoneNumber] = []
        for number in numbers:
            key = (number.webhook_url, number.app_secret)
            if key not in seen:
                seen.add(key)
                chosen.append(number)
        return chosen

    def _apply_management(self, field: str, waba_id: str, value: dict[str, Any]) -> None:
        if field == "message_template_status_update":
            event = str(value.get("event", ""))
            new_status = {"REINSTATED": "APPROVED", "FLAGGED": "APPROVED"}.get(event, event)
            for template in self.state.templates.values():
                same_id = str(value.get("message_template_id")) == template.template_id
                same_name = value.get("message_template_name") == template.name and value.get(
                    "message_template_language", template.language
                ) in (template.language, template.language.replace("_", "-"))
                if template.waba_id == waba_id and (same_id or same_name) and new_status:
                    template.status = new_status
        elif field == "user_preferences":
            for preference in value.get("user_preferences", []):
                user = self._preference_user(preference)
                if user is None:
                    continue
                script = self.state.recipients.setdefault(user.wa_id, RecipientScript())
                if preference.get("value") == "stop":
                    script.opted_out = True
                elif preference.get("value") in ("resume", "signup"):
                    script.opted_out = False

    def _preference_user(self, preference: Any) -> SimulatedUser | None:
        """The user a `user_preferences[]` item names by `wa_id` or `user_id`."""
        if not isinstance(preference, dict):
            return None
        given = preference.get("wa_id") or preference.get("user_id")
        if not isinstance(given, str):
            return None
        key = self.users.key_for(given)
        return self.users.ensure(key) if key.isdigit() else None

    def _name_preference_users(self, number: PhoneNumber, value: dict[str, Any]) -> dict[str, Any]:
        """Name each item's user as the identity shape does (BSUIDs, phone when shared)."""
        items = value.get("user_preferences")
        if not isinstance(items, list):
            return value
        named: list[Any] = []
        for item in items:
            user = self._preference_user(item)
            if user is None:
                named.append(item)
                continue
            identity = self.users.identity(user, number.business_portfolio_id)
            named.append(preference_item(identity, item, self.config.identity_shape))
        return {**value, "user_preferences": named}

    # ---------------------------------------------------------------- inbound

    def inject_inbound(self, request: InboundRequest, base_url: str | None) -> dict[str, Any]:
        """A user's message: stored, opens/refreshes the window, delivered as a webhook."""
        with self.lock:
            number = self._require_number(request.phone_number_id)
            now = self.clock.now()
            wa_id = self.users.key_for(request.from_)
            if not wa_id.isdigit() or not 7 <= len(wa_id) <= 15:
                raise Unprocessable(
                    "from must be a phone number of 7 to 15 digits, or a BSUID a user has"
                )
            user = self.users.ensure(wa_id)
            self.users.apply(
                user,
                request.model_dump(
                    include={"name", "username", "phone_shared"}, exclude_unset=True
                ),
            )
            identity = self.users.identity(user, number.business_portfolio_id)
            wamid = self.unique_wamid(wire_address(identity, self.config.identity_shape))
            message, contacts = build_inbound_message(
                self, number, request, wamid, identity, user.name or DEFAULT_NAME, now, base_url
            )
            if request.type != "system":
                self.state.windows[(number.phone_number_id, wa_id)] = now
            self.publish_inbound(
                number, wa_id, message, now, contacts=contacts, value_errors=request.value_errors
            )
        return {"wamid": wamid, "message": message}

    def publish_inbound(
        self,
        number: PhoneNumber,
        wa_id: str,
        message: dict[str, Any],
        now: float,
        *,
        contacts: list[dict[str, Any]] | None = None,
        value_errors: list[dict[str, Any]] | None = None,
    ) -> None:
        """Keep a user's message and deliver it as a `messages` webhook (caller holds the lock).
        System messages come without `contacts`."""
        inbound = InboundMessage(message["id"], number.phone_number_id, wa_id, message, now)
        self.state.inbound[inbound.wamid] = inbound
        self.state.sent_by_user.setdefault(wa_id, []).append(inbound)
        if self.config.inbound_counts_toward_throughput:
            self._throughput_bucket(number, now).try_take(now)
        lists: dict[str, Any] = {}
        if contacts:
            lists["contacts"] = contacts
        lists["messages"] = [message]
        if value_errors:
            lists["errors"] = value_errors
        value = messages_value(
            number.phone_number_id, digits_only(number.display_phone_number), **lists
        )
        self.publish(number, "messages", value)

    # ---------------------------------------------------------------- phone number / WABA

    def phone_number_fields(
        self, number: PhoneNumber, fields: list[str] | None, api_version: str
    ) -> dict[str, Any]:
        major = version_major(api_version)
        with self.lock:
            tier = self._portfolio(number.business_portfolio_id).tier
            return read_fields(number, fields, tier, major)

    def waba_phone_numbers(
        self, numbers: list[PhoneNumber], fields: list[str] | None, api_version: str
    ) -> dict[str, Any]:
        default = ["verified_name", "display_phone_number", "quality_rating"]
        data = [self.phone_number_fields(n, fields or default, api_version) for n in numbers]
        return {"data": data, "paging": {"cursors": {"before": "QVFI", "after": "QVFI"}}}

    # ---------------------------------------------------------------- control helpers

    def update_recipient(self, wa_id: str, update: RecipientUpdate) -> RecipientScript:
        with self.lock:
            script = self.state.recipients.setdefault(self.users.key_for(wa_id), RecipientScript())
            for key, value in update.model_dump(exclude_unset=True).items():
                if key == "status":
                    script.status = update.status
                elif value is not None:
                    setattr(script, key, value)
            return script

    def add_fault(self, fault: FaultCreate) -> FaultRule:
        with self.lock:
            rule = FaultRule(
                fault_id=secrets.token_hex(6),
                code=fault.code,
                mode=fault.mode,
                remaining=fault.count,
                rate=fault.rate,
                phone_number_id=fault.phone_number_id,
                wa_id=self.users.key_for(fault.wa_id) if fault.wa_id else None,
                http_status=fault.http_status,
                details=fault.details,
            )
            self.state.faults.append(rule)
            return rule

    def outbound_log(self, phone_number_id: str | None) -> dict[str, Any]:
        """Every message the simulator accepted (optionally for one number), oldest first,
        and the sends it refused, by error code."""
        with self.lock:
            messages = sorted(
                (
                    message
                    for message in self.state.outbound.values()
                    if phone_number_id is None or message.phone_number_id == phone_number_id
                ),
                key=lambda message: message.accepted_at,
            )
            refusals = {str(code): count for code, count in sorted(self.state.refusals.items())}
        accepted = [
            {
                "wamid": message.wamid,
                "phone_number_id": message.phone_number_id,
                "wa_id": message.wa_id,
                "type": message.type,
                "accepted_at": message.accepted_at,
            }
            for message in messages
        ]
        return {"accepted": accepted, "refusals": refusals}

    def received_by(self, wa_id: str) -> dict[str, Any]:
        key = self.users.key_for(wa_id)
        with self.lock:
            return {
                "wa_id": key,
                "messages": [message.to_dict() for message in self.state.received.get(key, [])],
                "sent": [message.to_dict() for message in self.state.sent_by_user.get(key, [])],
            }
