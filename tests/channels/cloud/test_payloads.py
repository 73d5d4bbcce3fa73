from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from surgiai.channels.base import (
    AccountUpdateEvent,
    ErrorReaction,
    InboundMessage,
    InboundType,
    ManagementEvent,
    PhoneQualityEvent,
    StatusUpdate,
    TemplateQualityEvent,
    TemplateStatusEvent,
    UserIdChangeEvent,
    UserIdentity,
    UserPreferenceEvent,
)
from surgiai.channels.cloud.payloads import MalformedWebhook, ParsedWebhook, parse_webhook
from tests.channels.cloud.recorded import load, names

PNID = "106540352242922"
WABA = "102290129340398"
DOCTOR = "919812345678"
WAMID = "wamid.HBgMOTE5ODEyMzQ1Njc4FQIAEhgUM0FCMDQ1QjY5RTM1MzQ3RjhCMEYA"
QUOTED = "wamid.HBgMOTE5ODEyMzQ1Njc4FQIAERgSQjVGRjlDOEQ1N0ZBRUY2RDY3AA=="
OUTBOUND = QUOTED


def only_message(name: str) -> InboundMessage:
    parsed = parse_webhook(load(name))
    assert len(parsed.messages) == 1, parsed
    assert parsed.unknown == [] and parsed.statuses == []
    return parsed.messages[0]


def only_status(name: str) -> StatusUpdate:
    parsed = parse_webhook(load(name))
    assert len(parsed.statuses) == 1 and parsed.messages == [] and parsed.unknown == []
    return parsed.statuses[0]


def only_event(name: str) -> ManagementEvent:
    parsed = parse_webhook(load(name))
    assert len(parsed.management) == 1 and parsed.unknown == [], parsed
    return parsed.management[0]


class TestEveryRecordedPayload:
    @pytest.mark.parametrize("name", names())
    def test_parses_and_keeps_raw_elements(self, name: str) -> None:
        parsed = parse_webhook(load(name))
        for message in parsed.messages:
            assert message.raw["id"] == message.wamid
            assert message.timestamp.tzinfo is not None
        for status in parsed.statuses:
            assert status.raw["id"] == status.wamid
        assert (
            parsed.messages or parsed.statuses or parsed.management or parsed.errors
        ) or parsed.unknown

    def test_results_serialise_to_json_for_the_task_queue(self) -> None:
        parsed = parse_webhook(load("batch_multi_entry"))
        again = ParsedWebhook.model_validate_json(parsed.model_dump_json())
        assert again.messages[0].wamid == parsed.messages[0].wamid


class TestCommonMessageFields:
    def test_text(self) -> None:
        message = only_message("text")
        assert message.wamid == WAMID
        assert message.phone_number_id == PNID
        assert message.display_phone_number == "15550783881"
        assert message.waba_id == WABA
        assert message.from_wa_id == DOCTOR
        assert message.profile_name == "Dr. Priya Sharma"
        assert message.timestamp == datetime(2025, 6, 8, 20, 59, 43, tzinfo=UTC)
        assert message.type is InboundType.text
        assert message.text == "Does the 3.5 mm trocar come in a reusable version?"
        assert message.context is None and message.referral is None and message.media is None

    def test_business_scoped_user_id_from_contacts(self) -> None:
        assert only_message("user_id_contacts").from_user_id == "IN.13491208655302741918"

    def test_non_ascii_text_and_name(self) -> None:
        message = only_message("non_ascii_text")
        assert message.text == "Namaste डॉक्टर — déjà vu 😊"
        assert message.profile_name == "Dr. Renée François"

    def test_text_with_ad_referral(self) -> None:
        message = only_message("text_referral")
        assert message.text == "Hi, I saw your ad for the laparoscopy course"
        assert message.referral is not None
        assert message.referral.source_type == "ad"
        assert message.referral.source_id == "120214561234560123"
        assert message.referral.headline == "Advanced Laparoscopy CME"
        assert message.referral.ctwa_clid is not None
        assert message.referral.video_url is None

    def test_reply_context(self) -> None:
        message = only_message("reply_context")
        assert message.context is not None
        assert message.context.message_id == QUOTED
        assert message.context.from_number == "15550783881"
        assert not message.context.forwarded

    def test_forwarded(self) -> None:
        context = only_message("forwarded").context
        assert context is not None and context.forwarded and not context.frequently_forwarded
        assert context.message_id is None

    def test_frequently_forwarded(self) -> None:
        context = only_message("frequently_forwarded").context
        assert context is not None and context.frequently_forwarded

    def test_product_enquiry(self) -> None:
        context = only_message("product_enquiry").context
        assert context is not None
        assert context.referred_product == {
            "catalog_id": "354160437058781",
            "product_retailer_id": "TROCAR-5MM",
        }


class TestMedia:
    def test_image_with_url(self) -> None:
        message = only_message("image")
        assert message.type is InboundType.image
        assert message.media is not None
        assert message.media.id == "1482319755734283"
        assert message.media.mime_type == "image/jpeg"
        assert message.media.sha256 == "4VXyGM7ZTdX4sXZgYJ0l0xXZbt6CiLpYNXBfQ2U5aWw="
        assert message.media.url is not None and message.media.url.startswith("https://lookaside")
        assert message.text == message.media.caption == "X-ray after the procedure"

    def test_video(self) -> None:
        message = only_message("video")
        assert message.type is InboundType.video
        assert message.media is not None and message.media.id == "765756756412345"
        assert message.text == "Demo of the stapler"
        assert message.media.url is None

    def test_document(self) -> None:
        message = only_message("document")
        assert message.type is InboundType.document
        assert message.media is not None
        assert message.media.filename == "PO-2025-117.pdf"
        assert message.media.mime_type == "application/pdf"
        assert message.text == "Our purchase order"

    def test_sticker(self) -> None:
        message = only_message("sticker")
        assert message.type is InboundType.sticker
        assert message.media is not None and message.media.animated
        assert message.text is None

    def test_audio_is_not_a_voice_note(self) -> None:
        message = only_message("audio")
        assert message.type is InboundType.audio
        assert message.media is not None and message.media.voice is False

    def test_voice_note_is_audio_with_voice_true(self) -> None:
        message = only_message("voice")
        assert message.type is InboundType.audio
        assert message.media is not None
        assert message.media.voice is True
        assert message.media.mime_type == "audio/ogg; codecs=opus"


class TestReplies:
    def test_button_reply(self) -> None:
        message = only_message("interactive_button_reply")
        assert message.type is InboundType.interactive
        assert message.interactive is not None
        assert message.interactive.kind == "button_reply"
        assert message.interactive.id == "book-demo"
        assert message.interactive.title == message.text == "Book a demo"
        assert message.context is not None and message.context.message_id == QUOTED

    def test_list_reply(self) -> None:
        reply = only_message("interactive_list_reply").interactive
        assert reply is not None
        assert (reply.kind, reply.id, reply.title) == (
            "list_reply",
            "course-lap-basic",
            "Basic laparoscopy",
        )
        assert reply.description == "2 days, Mumbai, 12 CME"

    def test_flow_reply_decodes_response_json(self) -> None:
        message = only_message("interactive_nfm_reply")
        assert message.interactive is not None
        assert message.interactive.kind == "nfm_reply"
        assert message.interactive.response == {
            "hospital": "AIIMS Delhi",
            "beds": "120",
            "flow_token": "enquiry-42",
        }
        assert message.text == "Sent"

    def test_template_quick_reply_button(self) -> None:
        message = only_message("template_button")
        assert message.type is InboundType.button
        assert message.interactive is not None
        assert message.interactive.kind == "template_button"
        assert message.interactive.id == "STOP_PROMOTIONS"
        assert message.text == "Stop promotions"
        assert message.context is not None and message.context.message_id == QUOTED

    def test_interactive_without_body_keeps_value_errors(self) -> None:
        parsed = parse_webhook(load("value_errors"))
        assert parsed.messages[0].type is InboundType.interactive
        assert parsed.messages[0].interactive is None
        assert len(parsed.errors) == 1
        event = parsed.errors[0]
        assert event.phone_number_id == PNID and event.waba_id == WABA
        assert event.error.code == 131000
        assert event.error.details == "Unsupported webhook payload"
        assert event.raw["title"] == "Something went wrong"


class TestReactions:
    def test_reaction(self) -> None:
        message = only_message("reaction")
        assert message.type is InboundType.reaction
        assert message.reaction is not None
        assert message.reaction.message_id == OUTBOUND
        assert message.reaction.emoji == "👍"
        assert message.reaction.emoji is not None

    @pytest.mark.parametrize("name", ["reaction_removed_empty", "reaction_removed_missing"])
    def test_removal(self, name: str) -> None:
        message = only_message(name)
        assert message.reaction is not None
        assert message.reaction.emoji is None
        assert message.reaction.message_id == OUTBOUND
        assert message.text is None


class TestOtherTypes:
    def test_location(self) -> None:
        message = only_message("location")
        assert message.location is not None
        assert message.location.latitude == pytest.approx(19.0176147)
        assert message.location.longitude == pytest.approx(72.8561644)
        assert message.location.name == "Lilavati Hospital"
        assert message.text == "Lilavati Hospital, A-791, Bandra Reclamation, Mumbai 400050"

    def test_contacts(self) -> None:
        message = only_message("contacts")
        assert message.type is InboundType.contacts
        assert [c.formatted_name for c in message.contacts] == ["Dr. Anil Mehta", "Ritu"]
        first = message.contacts[0]
        assert first.phones[0].wa_id == "919820011223" and first.phones[0].type == "CELL"
        assert first.raw["org"] == {"company": "Hinduja Hospital"}
        assert message.contacts[1].phones[0].wa_id is None
        assert message.text == "Dr. Anil Mehta, Ritu"

    def test_order(self) -> None:
        message = only_message("order")
        assert message.order is not None
        assert message.order.catalog_id == "354160437058781"
        assert message.text == "Please deliver to OT 3"
        first, second = message.order.items
        assert first.product_retailer_id == "TROCAR-5MM"
        assert (first.quantity, first.item_price, first.currency) == (10, Decimal("1250.5"), "INR")
        assert (second.quantity, second.item_price) == (2, Decimal("8400"))

    def test_system_number_change_without_contacts(self) -> None:
        message = only_message("system_changed_number")
        assert message.type is InboundType.system
        assert message.profile_name is None
        assert message.system is not None
        assert message.system.type == "user_changed_number"
        assert message.system.wa_id == "919812399999"
        assert message.text == "User A changed from 919812345678 to 919812399999"

    def test_system_identity_change(self) -> None:
        system = only_message("system_identity_changed").system
        assert system is not None
        assert system.type == "customer_identity_changed"
        assert system.identity_hash == "Sjvjlx8G6Z0="

    def test_system_user_id_change_is_from_the_previous_user_id(self) -> None:
        message = only_message("system_user_id_changed")
        assert message.from_wa_id is None
        assert message.from_user_id == "IN.1234567890"
        assert message.system is not None
        assert (message.system.previous_user_id, message.system.user_id) == (
            "IN.1234567890",
            "IN.0987654321",
        )

    def test_unsupported_with_errors(self) -> None:
        message = only_message("unsupported")
        assert message.type is InboundType.unsupported
        assert message.original_type == "poll"
        assert message.errors[0].code == 131051
        assert message.errors[0].details == "Message type is currently not supported."

    def test_unknown_type_becomes_unsupported(self) -> None:
        message = only_message("unknown_message_type")
        assert message.type is InboundType.unsupported
        assert message.original_type == "request_welcome"
        assert message.text is None and message.errors == []

    def test_revoke(self) -> None:
        message = only_message("revoke")
        assert message.type is InboundType.revoke
        assert message.original_message_id == (
            "wamid.HBgMOTE5ODEyMzQ1Njc4FQIAEhgUM0E5OTk5OTk5OTk5OTk5OTk5OTkA"
        )
        assert message.text is None

    def test_edit_of_text(self) -> None:
        message = only_message("edit")
        assert message.type is InboundType.edit
        assert message.original_message_id is not None
        assert message.text == "Sorry, I meant 20 units, not 10"

    def test_edit_of_caption(self) -> None:
        message = only_message("edit_caption")
        assert message.text == "Corrected X-ray"
        assert message.media is not None and message.media.id == "65463453"


class TestStatuses:
    def test_sent_with_conversation_and_pricing(self) -> None:
        status = only_status("status_sent")
        assert status.wamid == OUTBOUND
        assert status.status == "sent"
        assert status.phone_number_id == PNID
        assert status.recipient_id == DOCTOR
        assert status.timestamp == datetime.fromtimestamp(1750030073, tz=UTC)
        assert status.pricing is not None
        assert status.pricing.pricing_model == "PMP"
        assert status.pricing.type == "free_customer_service"
        assert status.pricing.category == "service"
        assert status.pricing.billable is False
        assert status.conversation is not None
        assert status.conversation.origin_type == "service"
        assert status.conversation.expires_at == datetime.fromtimestamp(1750116480, tz=UTC)
        assert status.errors == []

    @pytest.mark.parametrize(
        ("name", "value"),
        [("status_delivered", "delivered"), ("status_read", "read"), ("status_played", "played")],
    )
    def test_lifecycle(self, name: str, value: str) -> None:
        status = only_status(name)
        assert status.status == value
        assert status.pricing is None and status.conversation is None

    def test_failed_carries_errors_and_no_pricing(self) -> None:
        status = only_status("status_failed")
        assert status.status == "failed"
        assert status.pricing is None
        [error] = status.errors
        assert error.code == 131049
        assert error.title is not None and error.title.startswith("This message was not delivered")
        assert error.details is not None and "healthy ecosystem" in error.details
        assert error.href == "/documentation/business-messaging/whatsapp/support/error-codes"

    def test_failed_outside_window(self) -> None:
        error = only_status("status_failed_window").errors[0]
        assert error.code == 131047
        # What the domains act on and show, without knowing Meta's codes.
        assert error.reaction is ErrorReaction.template_required
        assert "24 hours" in error.reason

    def test_callback_data_is_echoed(self) -> None:
        status = only_status("status_with_tracker")
        assert status.biz_opaque_callback_data == "campaign:41;recipient:9001"
        assert status.pricing is not None and status.pricing.category == "marketing"

    def test_group_recipient(self) -> None:
        status = only_status("status_group")
        assert status.recipient_type == "group"
        assert status.recipient_participant_id == "919820011223"


class TestBatches:
    def test_every_entry_change_message_and_status(self) -> None:
        parsed = parse_webhook(load("batch_multi_entry"))
        assert [m.wamid for m in parsed.messages] == [
            "wamid.BATCH1",
            "wamid.BATCH2",
            "wamid.BATCH3",
        ]
        assert [(s.wamid, s.status) for s in parsed.statuses] == [
            ("wamid.OUT1", "delivered"),
            ("wamid.OUT2", "read"),
            ("wamid.OUT4", "sent"),
        ]
        first, second, third = parsed.messages
        assert first.profile_name == "Dr. Priya Sharma"
        assert second.from_wa_id == "447700900123" and second.profile_name == "Dr. James Carter"
        assert third.phone_number_id == "209999999999999"
        assert third.waba_id == "209876543210987"
        assert parsed.statuses[2].phone_number_id == "209999999999999"
        [quality] = parsed.management
        assert isinstance(quality, TemplateQualityEvent)
        assert quality.waba_id == "209876543210987"
        assert quality.time == datetime.fromtimestamp(1749416400, tz=UTC)


class TestManagement:
    def test_template_approved(self) -> None:
        event = only_event("template_status_approved")
        assert isinstance(event, TemplateStatusEvent)
        assert event.event == "APPROVED"
        assert event.template_id == "1689556908129832"
        assert event.template_name == "order_confirmation"
        assert event.language == "en_US"
        assert event.category == "UTILITY"
        assert event.waba_id == WABA
        assert event.time == datetime.fromtimestamp(1751247548, tz=UTC)

    def test_template_rejected(self) -> None:
        event = only_event("template_status_rejected")
        assert isinstance(event, TemplateStatusEvent)
        assert event.reason == "INVALID_FORMAT"
        assert event.rejection_info is not None
        assert event.rejection_info["recommendation"].startswith("Remove the URL")

    def test_template_paused(self) -> None:
        event = only_event("template_status_paused")
        assert isinstance(event, TemplateStatusEvent)
        assert event.event == "PAUSED" and event.reason is None
        assert event.other_info is not None and event.other_info["title"] == "FIRST_PAUSE"

    def test_template_quality(self) -> None:
        event = only_event("template_quality")
        assert isinstance(event, TemplateQualityEvent)
        assert (event.previous_quality, event.new_quality) == ("GREEN", "RED")
        assert event.template_id == "806312974732579"

    def test_phone_throughput_upgrade(self) -> None:
        event = only_event("phone_quality_upgrade")
        assert isinstance(event, PhoneQualityEvent)
        assert event.event == "THROUGHPUT_UPGRADE"
        assert event.old_limit == "TIER_10K"
        assert event.max_daily_conversations_per_business == "TIER_UNLIMITED"
        assert event.current_limit is None

    def test_phone_onboarding(self) -> None:
        event = only_event("phone_quality_onboarding")
        assert isinstance(event, PhoneQualityEvent)
        assert event.current_limit == "TIER_250"

    def test_account_disabled(self) -> None:
        event = only_event("account_update_disabled")
        assert isinstance(event, AccountUpdateEvent)
        assert event.event == "DISABLED_UPDATE"
        assert event.ban_info is not None
        assert event.ban_info.waba_ban_state == "SCHEDULE_FOR_DISABLE"
        assert event.ban_info.waba_ban_date == "July 1, 2025"

    def test_account_violation(self) -> None:
        event = only_event("account_update_violation")
        assert isinstance(event, AccountUpdateEvent)
        assert event.violation_type == "SCAM"
        assert event.phone_number == "15550783881"

    def test_account_restriction(self) -> None:
        event = only_event("account_update_restriction")
        assert isinstance(event, AccountUpdateEvent)
        assert [r.restriction_type for r in event.restrictions] == [
            "RESTRICTED_BIZ_INITIATED_MESSAGING",
            "RESTRICTED_CUSTOMER_INITIATED_MESSAGING",
        ]
        assert event.restrictions[0].expires_at == datetime.fromtimestamp(1751852348, tz=UTC)

    def test_account_deleted(self) -> None:
        event = only_event("account_update_deleted")
        assert isinstance(event, AccountUpdateEvent)
        assert event.event == "ACCOUNT_DELETED" and event.ban_info is None

    @pytest.mark.parametrize(
        ("name", "value"),
        [("user_preferences_stop", "stop"), ("user_preferences_resume", "resume")],
    )
    def test_marketing_preferences(self, name: str, value: str) -> None:
        event = only_event(name)
        assert isinstance(event, UserPreferenceEvent)
        assert event.value == value
        assert event.wa_id == DOCTOR
        assert event.category == "marketing_messages"
        assert event.phone_number_id == PNID
        assert event.timestamp is not None and event.timestamp.tzinfo is not None

    def test_unknown_field(self) -> None:
        parsed = parse_webhook(load("unknown_field"))
        [unknown] = parsed.unknown
        assert unknown.field == "smb_app_state_sync"
        assert unknown.waba_id == WABA
        assert unknown.value["state_sync"][0]["action"] == "add"
        assert parsed.messages == [] and parsed.management == []


class TestTolerance:
    @pytest.mark.parametrize(
        "body",
        [
            [],
            "text",
            {"object": "page", "entry": []},
            {"entry": []},
            {"object": "whatsapp_business_account"},
            {"object": "whatsapp_business_account", "entry": {"id": "1"}},
        ],
    )
    def test_envelope_that_is_not_a_whatsapp_webhook(self, body: object) -> None:
        with pytest.raises(MalformedWebhook):
            # Deliberately not always a mapping: what is refused is what is tested.
            parse_webhook(body)  # type: ignore[arg-type]

    def test_malformed_webhook_is_a_400(self) -> None:
        with pytest.raises(MalformedWebhook) as caught:
            parse_webhook({"object": "instagram", "entry": []})
        assert caught.value.status_code == 400
        assert "instagram" in caught.value.detail

    def test_empty_entry_list(self) -> None:
        parsed = parse_webhook({"object": "whatsapp_business_account", "entry": []})
        assert parsed == ParsedWebhook()

    def test_minimal_message_missing_every_optional_field(self) -> None:
        body = envelope_with({"id": "wamid.MIN", "type": "text"})
        [message] = parse_webhook(body).messages
        assert message.text is None and message.from_wa_id is None
        assert message.profile_name is None
        assert message.timestamp.tzinfo is not None

    def test_unreadable_elements_do_not_sink_the_delivery(self) -> None:
        body = load("text")
        value = body["entry"][0]["changes"][0]["value"]
        value["messages"] += [{"type": "text", "text": {"body": "no id"}}, "garbage"]
        value["statuses"] = [{"status": "read"}, {"id": "wamid.S", "status": "read"}]
        body["entry"].append("not an entry")
        body["entry"][0]["changes"].append({"field": "messages"})
        parsed = parse_webhook(body)
        assert [m.wamid for m in parsed.messages] == [WAMID]
        assert [s.wamid for s in parsed.statuses] == ["wamid.S"]
        reasons = [u.reason for u in parsed.unknown]
        assert reasons == [
            "message has no id",
            "message is not an object",
            "status has no id or no status",
            "change has no value",
            "entry is not an object",
        ]

    def test_wrong_types_inside_a_message_are_ignored(self) -> None:
        body = envelope_with(
            {
                "id": "wamid.ODD",
                "from": 919812345678,
                "timestamp": "not-a-time",
                "type": "location",
                "location": {"latitude": "north", "longitude": 1},
                "context": ["not", "a", "dict"],
                "errors": "oops",
            }
        )
        [message] = parse_webhook(body).messages
        assert message.from_wa_id == "919812345678"
        assert message.location is None and message.context is None and message.errors == []

    def test_value_without_metadata_is_kept_as_unknown(self) -> None:
        body = load("text")
        del body["entry"][0]["changes"][0]["value"]["metadata"]
        parsed = parse_webhook(body)
        assert parsed.messages == []
        assert parsed.unknown[0].reason == "no metadata.phone_number_id"

    def test_input_is_not_modified(self) -> None:
        body = load("batch_multi_entry")
        before = copy.deepcopy(body)
        parse_webhook(body)
        assert body == before


ANANYA = "IN.2210457781930466"
ANANYA_PARENT = "IN.ENT.11815799212886844830"
RAKESH = "IN.1648738043044942"


class TestBusinessScopedUserIds:
    """Webhooks since April 2026 (CLOUD_API.md §3.6): every user has a BSUID, a username user
    may have no phone in them, statuses name their recipient, failed ones do not."""

    def test_username_user_writes_without_a_phone_number(self) -> None:
        message = only_message("bsuid_username_only")
        assert message.from_wa_id is None
        assert message.sender == UserIdentity(
            user_id=ANANYA,
            parent_user_id=ANANYA_PARENT,
            username="dr.ananya.obgyn",
            profile_name="Ananya",
        )
        assert message.text == "PCOS workshop Mumbai mein kab hai? fees kitni hai"

    def test_sender_with_phone_and_user_id(self) -> None:
        sender = only_message("bsuid_text_with_phone").sender
        assert (sender.wa_id, sender.user_id, sender.username) == ("919820012345", RAKESH, None)
        assert sender.profile_name == "Dr. Rakesh Gupta"

    def test_older_webhooks_name_the_sender_by_phone_only(self) -> None:
        sender = only_message("text").sender
        assert (sender.wa_id, sender.user_id) == (DOCTOR, None)

    def test_status_of_a_message_sent_by_user_id(self) -> None:
        status = only_status("bsuid_status_sent_to_bsuid")
        assert status.recipient_id == status.recipient_user_id == ANANYA
        assert status.recipient == UserIdentity(user_id=ANANYA, parent_user_id=ANANYA_PARENT)

    def test_read_status_names_the_username_and_the_phone(self) -> None:
        status = only_status("bsuid_status_read_username")
        assert status.recipient == UserIdentity(
            wa_id="919833300011", user_id=ANANYA, username="dr.ananya.obgyn"
        )

    def test_failed_status_has_no_contacts_and_no_user_id(self) -> None:
        status = only_status("bsuid_status_failed_no_contacts")
        assert status.status == "failed"
        assert status.recipient is None and status.recipient_user_id is None
        assert status.recipient_id == "919820012345"
        assert status.errors[0].reaction is ErrorReaction.recipient_unreachable

    def test_contacts_are_matched_to_their_status(self) -> None:
        body = load("bsuid_status_read_username")
        value = body["entry"][0]["changes"][0]["value"]
        other = {**value["statuses"][0], "id": "wamid.other", "recipient_id": "919800000000"}
        other["recipient_user_id"] = "IN.999"
        value["statuses"].append(other)
        value["contacts"].append({"wa_id": "919800000000", "user_id": "IN.999"})
        first, second = parse_webhook(body).statuses
        assert first.recipient is not None and first.recipient.user_id == ANANYA
        assert second.recipient == UserIdentity(wa_id="919800000000", user_id="IN.999")

    def test_number_change_moves_phone_and_user_id(self) -> None:
        parsed = parse_webhook(load("bsuid_system_changed_number"))
        [message] = parsed.messages
        assert message.system is not None and message.system.type == "user_changed_number"
        [change] = parsed.management
        assert isinstance(change, UserIdChangeEvent)
        assert change.previous == UserIdentity(wa_id="919820012345", user_id=RAKESH)
        assert change.current == UserIdentity(wa_id="919867700099", user_id="IN.7730019284466510")

    def test_user_id_change_without_a_phone(self) -> None:
        parsed = parse_webhook(load("system_user_id_changed"))
        [change] = parsed.management
        assert isinstance(change, UserIdChangeEvent)
        assert change.previous == UserIdentity(user_id="IN.1234567890")
        assert change.current == UserIdentity(user_id="IN.0987654321")

    def test_user_id_update_notification(self) -> None:
        change = only_event("user_id_update")
        assert isinstance(change, UserIdChangeEvent)
        assert change.previous == UserIdentity(wa_id="919820012345", user_id=RAKESH)
        assert change.current.user_id == "IN.7730019284466510"

    def test_user_id_update_without_a_new_id_is_kept_as_unknown(self) -> None:
        body = load("user_id_update")
        body["entry"][0]["changes"][0]["value"]["user_id_update"][0]["user_id"] = {}
        parsed = parse_webhook(body)
        assert parsed.management == [] and parsed.unknown[0].field == "user_id_update"

    def test_marketing_stop_by_user_id(self) -> None:
        event = only_event("bsuid_user_preferences_stop")
        assert isinstance(event, UserPreferenceEvent)
        assert (event.wa_id, event.user_id, event.value) == (None, ANANYA, "stop")


def envelope_with(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"phone_number_id": PNID},
                            "messages": [message],
                        },
                    }
                ],
            }
        ],
    }
