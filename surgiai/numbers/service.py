"""WhatsApp numbers: credentials, live health, pausing and choosing which number sends.

Every change to a number is pushed to open dashboards (`number.updated`, carrying its id: the
dashboard reads the number again, with its traffic, from the API)."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence

import structlog
from sqlalchemy.orm import Session, object_session

from surgiai.channels.base import (
    PAUSING_REACTIONS,
    AccountUpdateEvent,
    ErrorDetail,
    ErrorReaction,
    NumberHealthReport,
    PhoneQualityEvent,
)
from surgiai.db.outbox import enqueue, on_commit, publish
from surgiai.errors import Conflict, NotFound
from surgiai.kit.crypto import SecretBox, hint
from surgiai.kit.events import Event
from surgiai.kit.time import utcnow
from surgiai.numbers.models import ChannelKind, WhatsAppNumber
from surgiai.numbers.repository import NumberRepository
from surgiai.numbers.schemas import (
    NumberChanged,
    NumberCreate,
    NumberHealth,
    NumberRead,
    NumberState,
    NumberUpdate,
)

log = structlog.get_logger(__name__)

REFRESH_TASK = "numbers.refresh_health"
UPDATED_EVENT = "number.updated"
THROUGHPUT_BY_LEVEL = {"STANDARD": 80, "HIGH": 1000, "COEXISTENCE": 20}
# Statuses in which Meta will not send for the number.
BLOCKED_STATUSES = frozenset(
    {"BANNED", "RESTRICTED", "DISCONNECTED", "DELETED", "MIGRATED", "PENDING", "UNVERIFIED"}
)
QUALITY_ORDER = {"GREEN": 0, "UNKNOWN": 1, "NA": 1, "YELLOW": 2, "RED": 3}
EDIT_NUMBER = "Numbers → Edit"
# What to do about each status in which Meta will not send.
BLOCKED_FIXES = {
    "PENDING": "Finish registering the number in Meta's WhatsApp Manager, then Refresh health.",
    "UNVERIFIED": "Verify the number in Meta's WhatsApp Manager, then Refresh health.",
    "BANNED": "Appeal in Meta's WhatsApp Manager (Account quality); until then use other numbers.",
    "RESTRICTED": (
        "See the restriction in Meta's WhatsApp Manager (Account quality); it lifts on its own "
        "or on appeal. Other numbers carry the work meanwhile."
    ),
    "DISCONNECTED": "Reconnect the number in Meta's WhatsApp Manager, then Refresh health.",
    "DELETED": "The number was removed from WhatsApp: add it again in Meta, or remove it here.",
    "MIGRATED": "The number moved to another account: add it again with its new ids here.",
}


class NumberService:
    def __init__(self) -> None:
        self._boxes: dict[str, SecretBox] = {}
        # Bumped in this process once a change to any number commits: caches of what numbers
        # may do (the webhook app secrets) compare it to reload at once.
        self.revision = 0
        self._revisions = itertools.count(1)

    def box(self, secret_key: str) -> SecretBox:
        if secret_key not in self._boxes:
            self._boxes[secret_key] = SecretBox(secret_key)
        return self._boxes[secret_key]

    # --- CRUD ---------------------------------------------------------------------------------

    def create(self, session: Session, secret_key: str, data: NumberCreate) -> WhatsAppNumber:
        numbers = NumberRepository(session)
        if numbers.get_by_phone_number_id(data.phone_number_id) is not None:
            raise Conflict(f"Phone number id {data.phone_number_id} is already registered.")
        box = self.box(secret_key)
        token = data.access_token.get_secret_value()
        number = numbers.add(
            WhatsAppNumber(
                label=data.label,
                channel=ChannelKind(data.channel),
                phone_number_id=data.phone_number_id,
                waba_id=data.waba_id,
                business_portfolio_id=data.business_portfolio_id,
                display_phone_number=data.display_phone_number,
                access_token_encrypted=box.encrypt(token),
                access_token_hint=hint(token),
                app_secret_encrypted=(
                    box.encrypt(data.app_secret.get_secret_value()) if data.app_secret else None
                ),
                throughput_mps=data.throughput_mps or THROUGHPUT_BY_LEVEL["STANDARD"],
                default_mode=data.default_mode,
            )
        )
        changed(number)
        self._revise_on_commit(session)
        enqueue(session, REFRESH_TASK, number.id)
        return number

    def get(self, session: Session, number_id: int) -> WhatsAppNumber:
        number = NumberRepository(session).get(number_id)
        if number is None:
            raise NotFound(f"No WhatsApp number with id {number_id}.")
        return number

    def all(self, session: Session) -> Sequence[WhatsAppNumber]:
        return NumberRepository(session).list()

    def update(
        self, session: Session, secret_key: str, number_id: int, data: NumberUpdate
    ) -> WhatsAppNumber:
        number = self.get(session, number_id)
        box = self.box(secret_key)
        for field in (
            "label",
            "display_phone_number",
            "business_portfolio_id",
            "enabled",
            "default_mode",
        ):
            value = getattr(data, field)
            if value is not None:
                setattr(number, field, value)
        if data.throughput_mps is not None:
            number.throughput_mps = data.throughput_mps
        if data.access_token is not None:
            token = data.access_token.get_secret_value()
            number.access_token_encrypted = box.encrypt(token)
            number.access_token_hint = hint(token)
        if data.app_secret is not None:
            number.app_secret_encrypted = box.encrypt(data.app_secret.get_secret_value())
        if data.paused is False and number.paused:
            log.info("numbers.resumed", number_id=number.id, reason=number.paused_reason)
            self._resume(number)
        if data.access_token is not None or data.paused is False:
            enqueue(session, REFRESH_TASK, number.id)
        changed(number)
        self._revise_on_commit(session)
        return number

    def delete(self, session: Session, number_id: int) -> None:
        """Remove a number that has never been used (`conversations.flows.delete_number`
        refuses one with conversations)."""
        NumberRepository(session).delete(self.get(session, number_id))
        self._revise_on_commit(session)

    def _revise_on_commit(self, session: Session) -> None:
        on_commit(session, "numbers.revision", self._revise)

    def _revise(self) -> None:
        self.revision = next(self._revisions)  # one step under the GIL, whoever calls

    def request_refresh(self, session: Session, number_id: int) -> WhatsAppNumber:
        number = self.get(session, number_id)
        enqueue(session, REFRESH_TASK, number.id)
        return number

    # --- Reading ------------------------------------------------------------------------------

    def read(
        self, numbers: Sequence[WhatsAppNumber], traffic: Mapping[int, tuple[int, int]]
    ) -> list[NumberRead]:
        """`traffic`: per number id, the (sent, failed) messages of the last hour."""
        return [self._to_read(number, traffic.get(number.id, (0, 0))) for number in numbers]

    def _to_read(self, number: WhatsAppNumber, counts: tuple[int, int]) -> NumberRead:
        sent, failed = counts
        health = NumberHealth(
            status=number.status,
            quality_rating=number.quality_rating,
            messaging_tier=number.messaging_tier,
            throughput_level=number.throughput_level,
            throughput_mps=number.throughput_mps,
            paused=number.paused,
            paused_reason=number.paused_reason,
            paused_at=number.paused_at,
            last_error_code=number.last_error_code,
            last_error_reason=number.last_error_reason,
            last_error_at=number.last_error_at,
            checked_at=number.health_checked_at,
            check_error=number.health_check_error,
            sent_last_hour=sent,
            failed_last_hour=failed,
            error_rate_last_hour=round(failed / sent, 4) if sent else 0.0,
            can_send=self.can_send(number),
            state=self.state(number),
        )
        return NumberRead(
            id=number.id,
            label=number.label,
            channel=number.channel.value,
            phone_number_id=number.phone_number_id,
            waba_id=number.waba_id,
            business_portfolio_id=number.business_portfolio_id,
            display_phone_number=number.display_phone_number,
            verified_name=number.verified_name,
            access_token_hint=number.access_token_hint,
            has_app_secret=number.app_secret_encrypted is not None,
            enabled=number.enabled,
            default_mode=number.default_mode,
            created_at=number.created_at,
            health=health,
        )

    # --- Credentials --------------------------------------------------------------------------

    def access_token(self, number: WhatsAppNumber, secret_key: str) -> str:
        return self._decrypt(secret_key, number.access_token_encrypted)

    @functools.lru_cache(maxsize=256)  # noqa: B019 (the service is a process-wide singleton)
    def _decrypt(self, secret_key: str, ciphertext: str) -> str:
        """Decrypting costs more than a send's other work; a rotated token is new ciphertext."""
        return self.box(secret_key).decrypt(ciphertext)

    def app_secret(self, number: WhatsAppNumber, secret_key: str) -> str | None:
        if number.app_secret_encrypted is None:
            return None
        return self.box(secret_key).decrypt(number.app_secret_encrypted)

    # --- Health -------------------------------------------------------------------------------

    @staticmethod
    def can_send(number: WhatsAppNumber) -> bool:
        """Whether new work may leave from it (a failed health check alone does not stop it:
        WhatsApp may be out of reach for the check and not for sends)."""
        return number.enabled and not number.paused and number.status not in BLOCKED_STATUSES

    @staticmethod
    def state(number: WhatsAppNumber) -> NumberState:
        """The number's one state, the most pressing first: what stops it, then what leaves
        it unconfirmed, then how well it sends."""
        if not number.enabled:
            return NumberState(
                code="disabled",
                label="Disabled",
                tone="gray",
                explanation="Turned off here: it neither sends nor is picked for new work.",
                fix=f"Turn it on in {EDIT_NUMBER} when it should send again.",
                sending=False,
            )
        if number.paused and number.paused_reaction == ErrorReaction.auth_failed:
            return NumberState(
                code="token_rejected",
                label="Token rejected",
                tone="red",
                explanation=(
                    "Token rejected by Meta: the access token expired or was revoked, so "
                    "nothing is sent from this number."
                ),
                fix=(
                    f"Paste a new access token in {EDIT_NUMBER}: the number resumes once "
                    "WhatsApp accepts it."
                ),
                sending=False,
            )
        if number.paused:
            return NumberState(
                code="paused",
                label="Paused",
                tone="red",
                explanation=f"Paused: {number.paused_reason or 'no reason was recorded.'}",
                fix=(
                    "Resolve the cause with Meta (WhatsApp Manager → Account quality), then "
                    "press Resume."
                ),
                sending=False,
            )
        if number.status in BLOCKED_STATUSES:
            return NumberState(
                code="blocked",
                label="Blocked by WhatsApp",
                tone="red",
                explanation=(
                    f"WhatsApp reports the number as {number.status.lower()}: it cannot send."
                ),
                fix=BLOCKED_FIXES.get(number.status),
                sending=False,
            )
        if number.health_check_error:
            return NumberState(
                code="check_failing",
                label="Health check failing",
                tone="red",
                explanation=f"The last health check failed: {number.health_check_error}",
                fix=_check_fix(number.health_check_reaction),
                sending=False,
            )
        if number.health_checked_at is None or number.status == "UNKNOWN":
            return NumberState(
                code="not_checked",
                label="Not checked yet",
                tone="gray",
                explanation="WhatsApp has not yet confirmed that this number can send.",
                fix="Wait a moment, or press Refresh health.",
                sending=False,
            )
        if number.quality_rating in {"YELLOW", "RED"}:
            level = "low" if number.quality_rating == "RED" else "medium"
            return NumberState(
                code="quality_dropping",
                label="Quality dropping",
                tone="yellow",
                explanation=(
                    f"Sending, but doctors are blocking or reporting its messages: quality is "
                    f"{level}."
                ),
                fix=(
                    "Send fewer promotional messages from it, only to doctors who opted in; "
                    "WhatsApp lowers its limits if quality stays low."
                ),
                sending=True,
            )
        return NumberState(
            code="sending",
            label="Sending",
            tone="green",
            explanation="Sending normally.",
            fix=None,
            sending=True,
        )

    def apply_health_report(self, number: WhatsAppNumber, report: NumberHealthReport) -> None:
        """Apply what the channel says of the number's health."""
        if report.status:
            number.status = report.status
        if report.quality_rating:
            number.quality_rating = report.quality_rating
        if report.verified_name:
            number.verified_name = report.verified_name
        if report.messaging_tier:
            number.messaging_tier = report.messaging_tier
        if report.throughput_level:
            self._set_throughput_level(number, report.throughput_level)
        number.health_checked_at = utcnow()
        number.health_check_error = None
        number.health_check_reaction = None
        if number.paused and number.paused_reaction == ErrorReaction.auth_failed:
            # WhatsApp accepted the token again (an admin pasted a new one): nothing else
            # stopped the number.
            log.info("numbers.resumed", number_id=number.id, reason="token accepted")
            self._resume(number)
        changed(number)

    def record_check_failure(
        self, number: WhatsAppNumber, reason: str, reaction: ErrorReaction | None = None
    ) -> None:
        """`reaction` None: WhatsApp could not be reached."""
        number.health_checked_at = utcnow()
        number.health_check_error = reason[:500]
        number.health_check_reaction = reaction.value if reaction else None
        changed(number)

    def _set_throughput_level(self, number: WhatsAppNumber, level: str) -> None:
        previous = THROUGHPUT_BY_LEVEL.get(number.throughput_level)
        number.throughput_level = level
        # Follow the level unless an admin set a custom ceiling.
        if level in THROUGHPUT_BY_LEVEL and number.throughput_mps in (previous, None):
            number.throughput_mps = THROUGHPUT_BY_LEVEL[level]

    def apply_channel_error(self, number: WhatsAppNumber, error: ErrorDetail) -> None:
        """Record an error of the channel; pause the number when it says it must stop sending."""
        number.last_error_code = error.code
        number.last_error_reason = error.reason[:500]
        number.last_error_at = utcnow()
        if error.reaction in PAUSING_REACTIONS:
            self.pause(number, f"Error {error.code}: {error.reason}", error.reaction)
        changed(number)

    def pause(
        self, number: WhatsAppNumber, reason: str, reaction: ErrorReaction | None = None
    ) -> None:
        """`reaction`: that of the channel error that stops it, if one does."""
        if not number.paused:
            log.warning("numbers.paused", number_id=number.id, reason=reason)
        number.paused = True
        number.paused_reason = reason[:500]
        number.paused_reaction = reaction.value if reaction else None
        number.paused_at = utcnow()
        changed(number)

    def apply_quality_event(self, number: WhatsAppNumber, event: PhoneQualityEvent) -> None:
        if event.event == "THROUGHPUT_UPGRADE":
            self._set_throughput_level(number, "HIGH")
        tier = event.max_daily_conversations_per_business or event.current_limit
        if tier:
            number.messaging_tier = tier
        if event.event in {"FLAGGED", "DOWNGRADE"}:
            number.quality_rating = "RED" if event.event == "DOWNGRADE" else "YELLOW"
        elif event.event in {"UNFLAGGED", "UPGRADE"}:
            number.quality_rating = "GREEN"
        changed(number)

    def apply_account_event(self, number: WhatsAppNumber, event: AccountUpdateEvent) -> None:
        ban_state = event.ban_info.waba_ban_state if event.ban_info else None
        if event.event == "ACCOUNT_DELETED":
            number.status = "DELETED"
            self.pause(number, "Meta deleted this WhatsApp Business Account.")
        elif ban_state in {"DISABLE", "SCHEDULE_FOR_DISABLE"}:
            number.status = "BANNED"
            self.pause(number, "Meta disabled this WhatsApp Business Account (policy).")
        elif ban_state == "REINSTATE":
            number.status = "CONNECTED"
            self._resume(number)
        elif event.event in {"ACCOUNT_VIOLATION", "ACCOUNT_RESTRICTION"} or event.restrictions:
            kind = event.violation_type or ", ".join(
                r.restriction_type or "restriction" for r in event.restrictions
            )
            self.pause(number, f"Meta restricted this account ({kind or 'policy violation'}).")
        changed(number)

    def _resume(self, number: WhatsAppNumber) -> None:
        number.paused = False
        number.paused_reason = None
        number.paused_reaction = None
        number.paused_at = None

    def pick_sender(
        self, session: Session, preferred: Sequence[WhatsAppNumber]
    ) -> WhatsAppNumber | None:
        """The number a new message leaves from: the doctor's own (most recent first) while it
        can send, else the healthiest number we have."""
        for number in preferred:
            if self.can_send(number):
                return number
        healthy = [number for number in NumberRepository(session).list() if self.can_send(number)]
        if not healthy:
            return None
        return min(healthy, key=lambda n: (QUALITY_ORDER.get(n.quality_rating, 1), n.id))


def _check_fix(reaction: str | None) -> str:
    if reaction is None:
        return (
            "WhatsApp could not be reached from this server. It is tried again every 15 "
            "minutes; press Refresh health to try now, and check the server's internet access."
        )
    if reaction == ErrorReaction.config:
        return (
            "Give the Meta app the whatsapp_business_management and "
            "whatsapp_business_messaging permissions for this number, then Refresh health."
        )
    return (
        f"Check the phone number id and WhatsApp Business Account id in {EDIT_NUMBER}, then "
        "Refresh health."
    )


number_service = NumberService()


def changed(number: WhatsAppNumber) -> None:
    """Tell open dashboards once the change to `number` commits."""
    session = object_session(number)
    if session is None:
        return  # not stored (yet): there is nothing to show
    publish(
        session,
        (UPDATED_EVENT, number.id),
        lambda: Event(UPDATED_EVENT, NumberChanged(id=number.id).model_dump(mode="json")),
    )
