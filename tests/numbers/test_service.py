"""Which WhatsApp number a message leaves from, and what takes a number out of rotation.

A doctor stays on the number they talk to (their most recent conversation first) while it can
send; otherwise the healthiest number sends (quality GREEN < UNKNOWN < YELLOW < RED, then the
lowest id). Errors that say "stop sending", expired tokens and account bans or restrictions
pause a number; transient errors and per-message errors do not. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from surgiai.channels.base import AccountUpdateEvent, BanInfo, PhoneQualityEvent, Restriction
from surgiai.channels.cloud.errors import error_detail, plain_reason
from surgiai.conversations.models import SenderKind
from surgiai.conversations.repository import ConversationRepository
from surgiai.conversations.service import NumberUnavailable, OutboundRequest, message_service
from surgiai.db.engine import session_scope
from surgiai.doctors.service import doctor_service
from surgiai.errors import NotFound, ServiceUnavailable
from surgiai.numbers.models import WhatsAppNumber
from surgiai.numbers.service import number_service
from surgiai.runtime import Runtime
from tests.fixtures import create_number

DOCTOR = "919876543210"
# Three numbers, created in this order (so with ascending ids), all CONNECTED and GREEN.
LABELS = ("Sales", "Courses", "Support")
# Codes whose error says the number itself must stop sending (policy, spam, lock, billing,
# wrong template categories) or whose token no longer works.
PAUSING_CODES = (131048, 368, 131031, 131042, 131064, 190, 0)
# Transient and rate-limit errors, and errors about one message or one doctor: the number
# keeps sending.
NON_PAUSING_CODES = (130429, 131000, 131016, 131056, 131057, 2, 4, 80007, 131026, 131047, 131049)
# Statuses in which Meta will not send for a number.
BLOCKED = ("BANNED", "RESTRICTED", "DISCONNECTED", "DELETED", "MIGRATED", "PENDING", "UNVERIFIED")
# What Meta may report as a number's status while it still sends.
SENDING_STATUSES = ("CONNECTED", "UNKNOWN", "FLAGGED")
# An explicit clock: conversations get their last activity from it, never from the wall.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    """One unit of work over the three numbers, committed at the end."""
    for index, label in enumerate(LABELS):
        create_number(
            runtime,
            phone_number_id=f"10654035224292{index}",
            label=label,
            display_phone_number=f"1555078388{index}",
        )
    with session_scope(runtime.session_factory) as session:
        yield session


def by_label(session: Session, label: str) -> WhatsAppNumber:
    return next(number for number in number_service.all(session) if number.label == label)


def sales(session: Session) -> WhatsAppNumber:
    return by_label(session, "Sales")


def picked(session: Session, preferred: list[WhatsAppNumber]) -> str | None:
    """The label of the number `pick_sender` chooses, for readable failures."""
    number = number_service.pick_sender(session, preferred)
    return None if number is None else number.label


def account_event(**fields: object) -> AccountUpdateEvent:
    return AccountUpdateEvent(raw={}, **fields)


def quality_event(event: str, **fields: object) -> PhoneQualityEvent:
    return PhoneQualityEvent(raw={}, event=event, **fields)


def talks_on(session: Session, label: str, last_message_at: datetime) -> None:
    """The doctor has a conversation on that number, last active at `last_message_at`."""
    doctor = doctor_service.get_or_create(session, DOCTOR)
    conversation = ConversationRepository(session).get_or_create(
        doctor.id, by_label(session, label)
    )
    conversation.last_message_at = last_message_at
    session.flush()


def queue_template(session: Session, number_id: int | None = None) -> WhatsAppNumber:
    """Queue a template to the doctor as an admin would; returns the number it leaves from."""
    message = message_service.queue_outbound(
        session,
        OutboundRequest(
            to=DOCTOR,
            type="template",
            payload={"name": "course_reminder", "language": {"code": "en"}},
            sender_kind=SenderKind.admin,
            number_id=number_id,
        ),
    )
    return message.conversation.number


class TestCanSend:
    @pytest.mark.parametrize("status", SENDING_STATUSES)
    def test_an_enabled_unpaused_number_sends_while_whatsapp_does_not_block_it(
        self, session: Session, status: str
    ) -> None:
        number = sales(session)
        number.status = status
        assert number_service.can_send(number) is True

    def test_a_disabled_number_does_not_send(self, session: Session) -> None:
        number = sales(session)
        number.enabled = False
        assert number_service.can_send(number) is False

    def test_a_paused_number_does_not_send(self, session: Session) -> None:
        number = sales(session)
        number_service.pause(number, "Paused by a test")
        assert number_service.can_send(number) is False
        assert (number.paused, number.paused_reason) == (True, "Paused by a test")
        assert number.paused_at is not None

    @pytest.mark.parametrize("status", BLOCKED)
    def test_a_status_in_which_whatsapp_will_not_send_stops_the_number(
        self, session: Session, status: str
    ) -> None:
        number = sales(session)
        number.status = status
        assert number_service.can_send(number) is False


class TestSendErrors:
    @pytest.mark.parametrize("code", PAUSING_CODES)
    def test_an_error_that_says_stop_pauses_the_number_with_the_code_and_reason(
        self, session: Session, code: int
    ) -> None:
        number = sales(session)
        number_service.apply_channel_error(number, error_detail(code, details="details from Meta"))
        assert number.paused is True
        assert number_service.can_send(number) is False
        assert number.paused_reason == f"Error {code}: {plain_reason(code, 'details from Meta')}"
        assert (number.last_error_code, number.last_error_reason) == (
            code,
            plain_reason(code, "details from Meta"),
        )

    @pytest.mark.parametrize("code", NON_PAUSING_CODES)
    def test_a_transient_or_per_message_error_is_recorded_but_the_number_keeps_sending(
        self, session: Session, code: int
    ) -> None:
        number = sales(session)
        number_service.apply_channel_error(number, error_detail(code))
        assert number.paused is False and number.paused_reason is None
        assert number_service.can_send(number) is True
        assert number.last_error_code == code
        assert number.last_error_at is not None

    def test_a_later_transient_error_does_not_lift_a_pause(self, session: Session) -> None:
        number = sales(session)
        number_service.apply_channel_error(number, error_detail(131048))
        number_service.apply_channel_error(number, error_detail(131000))
        assert number.paused is True
        assert number.paused_reason is not None and number.paused_reason.startswith("Error 131048")
        assert number.last_error_code == 131000


class TestAccountEvents:
    @pytest.mark.parametrize("ban_state", ["DISABLE", "SCHEDULE_FOR_DISABLE"])
    def test_a_disabled_account_bans_and_pauses_the_number(
        self, session: Session, ban_state: str
    ) -> None:
        number = sales(session)
        number_service.apply_account_event(
            number,
            account_event(event="DISABLED_UPDATE", ban_info=BanInfo(waba_ban_state=ban_state)),
        )
        assert (number.status, number.paused) == ("BANNED", True)
        assert number.paused_reason == "Meta disabled this WhatsApp Business Account (policy)."
        assert number_service.can_send(number) is False

    def test_a_deleted_account_pauses_the_number(self, session: Session) -> None:
        number = sales(session)
        number_service.apply_account_event(number, account_event(event="ACCOUNT_DELETED"))
        assert (number.status, number.paused) == ("DELETED", True)
        assert number.paused_reason == "Meta deleted this WhatsApp Business Account."

    def test_a_restriction_pauses_the_number_naming_the_restriction(self, session: Session) -> None:
        number = sales(session)
        number_service.apply_account_event(
            number,
            account_event(
                event="ACCOUNT_RESTRICTION",
                restrictions=[Restriction(restriction_type="RESTRICTED_ADD_PHONE_NUMBER_ACTION")],
            ),
        )
        assert number.paused is True
        assert number.paused_reason == (
            "Meta restricted this account (RESTRICTED_ADD_PHONE_NUMBER_ACTION)."
        )
        assert number_service.can_send(number) is False

    def test_a_violation_pauses_the_number_naming_the_violation(self, session: Session) -> None:
        number = sales(session)
        number_service.apply_account_event(
            number, account_event(event="ACCOUNT_VIOLATION", violation_type="SCAM")
        )
        assert number.paused is True
        assert number.paused_reason == "Meta restricted this account (SCAM)."

    def test_restrictions_pause_the_number_whatever_the_event_is_called(
        self, session: Session
    ) -> None:
        number = sales(session)
        number_service.apply_account_event(
            number,
            account_event(
                event="ACCOUNT_UPDATE", restrictions=[Restriction(restriction_type=None)]
            ),
        )
        assert number.paused is True
        assert number.paused_reason == "Meta restricted this account (restriction)."

    def test_a_reinstated_account_sends_again(self, session: Session) -> None:
        number = sales(session)
        number_service.apply_account_event(
            number,
            account_event(event="DISABLED_UPDATE", ban_info=BanInfo(waba_ban_state="DISABLE")),
        )
        number_service.apply_account_event(
            number,
            account_event(event="DISABLED_UPDATE", ban_info=BanInfo(waba_ban_state="REINSTATE")),
        )
        assert (number.status, number.paused, number.paused_reason) == ("CONNECTED", False, None)
        assert number_service.can_send(number) is True

    @pytest.mark.parametrize("event", ["VERIFIED_ACCOUNT", "PARTNER_ADDED", "AUTH_INTL_PRICE"])
    def test_an_event_that_is_not_a_ban_or_restriction_leaves_the_number_sending(
        self, session: Session, event: str
    ) -> None:
        number = sales(session)
        number_service.apply_account_event(number, account_event(event=event))
        assert (number.status, number.paused) == ("CONNECTED", False)
        assert number_service.can_send(number) is True


class TestQualityEvents:
    @pytest.mark.parametrize(
        ("event", "rating"),
        [("FLAGGED", "YELLOW"), ("DOWNGRADE", "RED"), ("UNFLAGGED", "GREEN"), ("UPGRADE", "GREEN")],
    )
    def test_a_quality_webhook_sets_the_rating_without_stopping_the_number(
        self, session: Session, event: str, rating: str
    ) -> None:
        number = sales(session)
        number.quality_rating = "UNKNOWN"
        number_service.apply_quality_event(number, quality_event(event))
        assert number.quality_rating == rating
        assert number_service.can_send(number) is True

    def test_a_flagged_number_loses_its_place_as_the_healthiest(self, session: Session) -> None:
        assert picked(session, []) == "Sales"
        number_service.apply_quality_event(sales(session), quality_event("FLAGGED"))
        assert picked(session, []) == "Courses"

    def test_a_throughput_upgrade_follows_the_level_unless_an_admin_set_a_ceiling(
        self, session: Session
    ) -> None:
        default, custom = sales(session), by_label(session, "Courses")
        custom.throughput_mps = 25
        for number in (default, custom):
            number_service.apply_quality_event(
                number, quality_event("THROUGHPUT_UPGRADE", current_limit="TIER_10K")
            )
        assert (default.throughput_level, default.throughput_mps) == ("HIGH", 1000)
        assert (custom.throughput_level, custom.throughput_mps) == ("HIGH", 25)
        assert default.messaging_tier == "TIER_10K"


class TestPickSender:
    def test_the_doctors_own_number_sends_even_when_another_is_healthier(
        self, session: Session
    ) -> None:
        sales(session).quality_rating = "GREEN"
        own = by_label(session, "Support")
        own.quality_rating = "YELLOW"
        assert picked(session, [own]) == "Support"

    def test_the_first_of_the_doctors_numbers_that_can_send_wins(self, session: Session) -> None:
        support, courses = by_label(session, "Support"), by_label(session, "Courses")
        assert picked(session, [support, courses]) == "Support"
        number_service.pause(support, "Error 131048: spam")
        assert picked(session, [support, courses]) == "Courses"

    @pytest.mark.parametrize("why", ["paused", "disabled", "banned", "restricted", "disconnected"])
    def test_a_doctors_number_that_cannot_send_hands_over_to_the_healthiest(
        self, session: Session, why: str
    ) -> None:
        own = sales(session)
        if why == "paused":
            number_service.pause(own, "Error 368: policy")
        elif why == "disabled":
            own.enabled = False
        else:
            own.status = why.upper()
        by_label(session, "Courses").quality_rating = "YELLOW"
        assert picked(session, [own]) == "Support"

    @pytest.mark.parametrize(
        ("ratings", "expected"),
        [
            (("RED", "YELLOW", "GREEN"), "Support"),
            (("RED", "UNKNOWN", "YELLOW"), "Courses"),
            (("RED", "YELLOW", "NA"), "Support"),
            (("RED", "YELLOW", "RED"), "Courses"),
            (("YELLOW", "YELLOW", "YELLOW"), "Sales"),
        ],
    )
    def test_the_healthiest_by_quality_then_lowest_id_sends(
        self, session: Session, ratings: tuple[str, str, str], expected: str
    ) -> None:
        for label, rating in zip(LABELS, ratings, strict=True):
            by_label(session, label).quality_rating = rating
        assert picked(session, []) == expected

    @pytest.mark.parametrize(
        ("ratings", "expected"),
        [
            (("SOMETHING_NEW", "GREEN", "YELLOW"), "Courses"),  # below GREEN
            (("SOMETHING_NEW", "UNKNOWN", "YELLOW"), "Sales"),  # level with UNKNOWN
            (("RED", "YELLOW", "SOMETHING_NEW"), "Support"),  # above YELLOW
        ],
    )
    def test_a_rating_we_do_not_know_ranks_like_unknown(
        self, session: Session, ratings: tuple[str, str, str], expected: str
    ) -> None:
        for label, rating in zip(LABELS, ratings, strict=True):
            by_label(session, label).quality_rating = rating
        assert picked(session, []) == expected

    def test_a_healthy_number_that_cannot_send_is_never_picked(self, session: Session) -> None:
        sales(session).enabled = False
        by_label(session, "Courses").status = "BANNED"
        by_label(session, "Support").quality_rating = "RED"
        assert picked(session, []) == "Support"

    def test_nothing_is_picked_when_no_number_can_send(self, session: Session) -> None:
        sales(session).enabled = False
        number_service.pause(by_label(session, "Courses"), "Error 190: token")
        by_label(session, "Support").status = "DISCONNECTED"
        assert picked(session, [sales(session)]) is None


class TestTheNumberAMessageLeavesFrom:
    def test_it_is_the_number_of_the_doctors_most_recent_conversation(
        self, session: Session
    ) -> None:
        talks_on(session, "Courses", T0)
        talks_on(session, "Support", T0 + timedelta(hours=1))
        assert queue_template(session).label == "Support"

    def test_a_newer_conversation_on_another_number_moves_the_doctor_there(
        self, session: Session
    ) -> None:
        talks_on(session, "Support", T0 + timedelta(hours=1))
        talks_on(session, "Courses", T0 + timedelta(hours=2))
        assert queue_template(session).label == "Courses"

    def test_when_that_number_cannot_send_the_doctors_previous_number_sends(
        self, session: Session
    ) -> None:
        talks_on(session, "Courses", T0)
        talks_on(session, "Support", T0 + timedelta(hours=1))
        number_service.apply_channel_error(by_label(session, "Support"), error_detail(131031))
        assert queue_template(session).label == "Courses"

    def test_when_none_of_the_doctors_numbers_can_send_the_healthiest_sends(
        self, session: Session
    ) -> None:
        talks_on(session, "Support", T0)
        by_label(session, "Support").status = "RESTRICTED"
        sales(session).quality_rating = "RED"
        assert queue_template(session).label == "Courses"

    def test_a_doctor_who_never_wrote_gets_the_healthiest_number(self, session: Session) -> None:
        sales(session).quality_rating = "YELLOW"
        assert queue_template(session).label == "Courses"

    @pytest.mark.parametrize(
        ("why", "explanation"),
        [
            ("disabled", "Number Sales cannot send now: it is disabled."),
            ("paused", "Number Sales cannot send now: Error 190: "),
            ("banned", "Number Sales cannot send now: WhatsApp reports its status as BANNED."),
        ],
    )
    def test_an_explicit_number_that_cannot_send_is_refused_with_the_reason(
        self, session: Session, why: str, explanation: str
    ) -> None:
        number = sales(session)
        if why == "disabled":
            number.enabled = False
        elif why == "paused":
            number_service.apply_channel_error(number, error_detail(190))
        else:
            number.status = "BANNED"
        with pytest.raises(NumberUnavailable) as refused:
            queue_template(session, number.id)
        assert refused.value.detail.startswith(explanation)
        assert refused.value.status_code == 409

    def test_an_explicit_number_that_can_send_is_used_even_if_the_doctor_is_elsewhere(
        self, session: Session
    ) -> None:
        talks_on(session, "Support", T0)
        assert queue_template(session, sales(session).id).label == "Sales"

    def test_an_explicit_number_that_does_not_exist_is_not_found(self, session: Session) -> None:
        with pytest.raises(NotFound):
            queue_template(session, 9999)

    def test_no_number_able_to_send_is_a_clear_service_unavailable(self, session: Session) -> None:
        for number in number_service.all(session):
            number_service.apply_channel_error(number, error_detail(368))
        with pytest.raises(ServiceUnavailable) as refused:
            queue_template(session)
        assert refused.value.status_code == 503
        assert refused.value.detail == (
            "No WhatsApp number can send right now: none is registered, or each is paused, "
            "disabled or blocked by WhatsApp."
        )
