"""A campaign's results, recipients page, CSV export and replies, counted from rows made
directly (doctors, numbers, messages, recipients), with the expected figures worked out by
hand. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from surgiai.campaigns import exporting, pricing, results
from surgiai.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignRecipient,
    CampaignStatus,
    RecipientState,
)
from surgiai.campaigns.replies import note_reply
from surgiai.campaigns.schemas import CostLine, RecipientCounts, ResultRow
from surgiai.conversations.models import (
    Conversation,
    Direction,
    Message,
    MessageState,
    SenderKind,
)
from surgiai.db.engine import session_scope
from surgiai.doctors.models import ConsentEvent, ConsentSource, Doctor
from surgiai.kit.time import utcnow
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.fixtures import create_number, sign, text_message_value, webhook_body

NOW = utcnow().replace(microsecond=0)
SENT = NOW - timedelta(hours=5)
HOSTILE = '=HYPERLINK("http://evil.example/x","Click me")'
PRICES = pricing.PriceList(
    currency="USD",
    rates={
        "IN": {"MARKETING": 0.01, "UTILITY": 0.002},
        "AE": {"MARKETING": 0.04},
        "other": {"MARKETING": 0.05, "UTILITY": 0.008, "AUTHENTICATION": 0.03},
    },
)


@dataclass
class Recipient:
    """One doctor of the test campaign and what became of them."""

    name: str
    wa_id: str | None
    variant: str
    number: str | None
    state: RecipientState
    status: MessageState | None = None
    category: str | None = "MARKETING"
    message_type: str = "template"
    reason: str | None = None
    error_code: int | None = None
    not_before: datetime | None = None
    replied: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


CAMPAIGN = [
    Recipient("Dr. Asha Rao", "919876500001", "A", "Sales", RecipientState.sent,
              MessageState.read, replied=True),
    Recipient("डॉ. सुनीता शर्मा", "919876500002", "A", "Sales", RecipientState.sent,
              MessageState.delivered),
    Recipient("Dr. Imran Shaikh", "971501234567", "B", "CME courses", RecipientState.sent,
              MessageState.sent),
    Recipient("Dr. Kavita Menon", None, "B", "CME courses", RecipientState.sent,
              MessageState.accepted),
    Recipient("Dr. Rohan Gupta", "919876500005", "A", "Sales", RecipientState.failed,
              MessageState.failed, reason="Not on WhatsApp", error_code=131026),
    Recipient(HOSTILE, "919876500006", "B", "CME courses", RecipientState.failed,
              MessageState.failed, error_code=131049),
    Recipient("Dr. Neha Joshi", "919876500007", "A", None, RecipientState.skipped,
              reason="Opted out of marketing"),
    Recipient("Dr. Vikram Singh", "919876500008", "B", "Sales", RecipientState.pending,
              not_before=NOW + timedelta(hours=9)),
    Recipient("Dr. Anil Kumar", "14165550199", "A", "CME courses", RecipientState.sent,
              MessageState.read, category="UTILITY"),
    Recipient("Dr. Meera Pillai", "919876500010", "B", "Sales", RecipientState.pending),
]  # fmt: skip


@dataclass
class Built:
    campaign_id: int
    doctor_ids: dict[str, int]
    number_ids: dict[str, int]


def add_doctor(session: Session, name: str, wa_id: str | None) -> Doctor:
    user_id = None if wa_id else f"IN.{abs(hash(name)) % 10**12}"
    doctor = Doctor(name=name, wa_id=wa_id, user_id=user_id)
    session.add(doctor)
    session.flush()
    return doctor


def add_campaign(session: Session, name: str, kind: CampaignKind = CampaignKind.template) -> int:
    campaign = Campaign(name=name, kind=kind, status=CampaignStatus.running, started_at=SENT)
    session.add(campaign)
    session.flush()
    return campaign.id


def add_recipient(
    session: Session,
    campaign_id: int,
    doctor: Doctor,
    recipient: Recipient,
    number_id: int | None,
    *,
    sent_at: datetime = SENT,
) -> CampaignRecipient:
    message_id = None
    if recipient.status is not None:
        assert number_id is not None
        conversation = session.scalars(
            select(Conversation).where(
                Conversation.doctor_id == doctor.id, Conversation.number_id == number_id
            )
        ).one_or_none() or Conversation(doctor_id=doctor.id, number_id=number_id)
        session.add(conversation)
        session.flush()
        reached = recipient.status in results.DELIVERED_STATES
        message = Message(
            conversation_id=conversation.id,
            direction=Direction.outbound,
            type=recipient.message_type,
            text="Laparoscopy CME in Pune on 14 March",
            status=recipient.status,
            sender_kind=SenderKind.system,
            template_category=recipient.category if recipient.message_type == "template" else None,
            sent_at=sent_at,
            delivered_at=sent_at + timedelta(minutes=1) if reached else None,
            read_at=sent_at + timedelta(minutes=30)
            if recipient.status == MessageState.read
            else None,
            error_code=recipient.error_code,
        )
        session.add(message)
        session.flush()
        message_id = message.id
    was_sent = recipient.state == RecipientState.sent
    row = CampaignRecipient(
        campaign_id=campaign_id,
        doctor_id=doctor.id,
        variant=recipient.variant,
        number_id=number_id,
        state=recipient.state,
        message_type=recipient.message_type,
        payload={},
        preview=f"Dear {recipient.name}, join our Laparoscopy CME in Pune on 14 March.",
        message_id=message_id,
        reason=recipient.reason,
        error_code=recipient.error_code,
        not_before=recipient.not_before,
        sent_at=sent_at if was_sent else None,
        replied_at=sent_at + timedelta(hours=2) if recipient.replied else None,
    )
    session.add(row)
    session.flush()
    return row


def build(runtime: Runtime) -> Built:
    number_ids = {
        "Sales": create_number(runtime, label="Sales"),
        "CME courses": create_number(
            runtime,
            label="CME courses",
            phone_number_id="106540352242999",
            display_phone_number="15550783999",
        ),
    }
    with session_scope(runtime.session_factory) as session:
        campaign_id = add_campaign(session, "Laparoscopy CME, Pune")
        doctor_ids = {}
        for recipient in CAMPAIGN:
            doctor = add_doctor(session, recipient.name, recipient.wa_id)
            doctor_ids[recipient.name] = doctor.id
            number_id = number_ids[recipient.number] if recipient.number else None
            add_recipient(session, campaign_id, doctor, recipient, number_id)
        ledger = [
            # Opted out an hour after the campaign reached her: counted.
            ("डॉ. सुनीता शर्मा", True, SENT + timedelta(hours=1)),
            # Opted out before it reached him: not counted.
            ("Dr. Imran Shaikh", True, SENT - timedelta(days=2)),
            # Opted back in after it: not an opt-out.
            ("Dr. Asha Rao", False, SENT + timedelta(hours=3)),
            # Never reached (failed): not counted.
            ("Dr. Rohan Gupta", True, SENT + timedelta(hours=1)),
        ]
        for name, opted_out, at in ledger:
            session.add(
                ConsentEvent(
                    doctor_id=doctor_ids[name],
                    opted_out=opted_out,
                    source=ConsentSource.keyword,
                    created_at=at,
                )
            )
    return Built(campaign_id, doctor_ids, number_ids)


@pytest.fixture
def built(runtime: Runtime) -> Built:
    return build(runtime)


EXPECTED_COUNTS = RecipientCounts(
    total=10,
    pending=2,
    sent=5,
    failed=2,
    skipped=1,
    # Asha (read), Sunita (delivered), Anil (read): read implies delivered.
    delivered=3,
    read=2,
    replied=1,
    # Vikram waits for later; Meera's turn has simply not come.
    deferred=1,
)


class TestCounts:
    def test_counts_by_state_and_how_far_the_messages_got(
        self, runtime: Runtime, built: Built
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            assert results.counts(session, built.campaign_id, now=NOW) == EXPECTED_COUNTS

    def test_the_list_page_counts_every_campaign_in_one_query(
        self, runtime: Runtime, built: Built
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            other = add_campaign(session, "Gynae Endoscopy launch")
            doctor = session.get_one(Doctor, built.doctor_ids["Dr. Asha Rao"])
            add_recipient(
                session,
                other,
                doctor,
                Recipient("Dr. Asha Rao", None, "A", None, RecipientState.pending),
                None,
            )
            empty = add_campaign(session, "Draft, no audience yet")
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(runtime.engine, "before_cursor_execute", count)
        try:
            with session_scope(runtime.session_factory) as session:
                found = results.counts_by_campaign(
                    session, [built.campaign_id, other, empty], now=NOW
                )
        finally:
            event.remove(runtime.engine, "before_cursor_execute", count)
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
        assert found[built.campaign_id] == EXPECTED_COUNTS
        assert found[other] == RecipientCounts(total=1, pending=1)
        assert found[empty] == RecipientCounts()
        assert results.counts_by_campaign(session, []) == {}


class TestResults:
    def test_results_by_variant_number_reason_opt_outs_and_cost(
        self, runtime: Runtime, built: Built
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            campaign = session.get_one(Campaign, built.campaign_id)
            found = results.results(session, campaign, prices=PRICES, now=NOW)
        assert found.counts == EXPECTED_COUNTS
        assert found.by_variant == [
            # Asha, Sunita, Anil sent (Rohan failed; Neha skipped has no row of her own).
            ResultRow(key="A", sent=3, delivered=3, read=2, replied=1, failed=1),
            # Imran, Kavita sent and not yet delivered; the hostile name failed.
            ResultRow(key="B", sent=2, delivered=0, read=0, replied=0, failed=1),
        ]
        assert found.by_number == [
            ResultRow(key="CME courses", sent=3, delivered=1, read=1, replied=0, failed=1),
            ResultRow(key="Sales", sent=2, delivered=2, read=1, replied=1, failed=1),
        ]
        # Without a reason, the error code names it; the larger groups would come first.
        assert found.failed_by_reason == {"Error 131049": 1, "Not on WhatsApp": 1}
        assert found.skipped_by_reason == {"Opted out of marketing": 1}
        assert found.opted_out_after == 1
        assert found.currency == "USD"
        assert found.cost == [
            # Kavita has only a WhatsApp user id: her country is unknown, at the "other" rate.
            CostLine(category="MARKETING", country="unknown", messages=1, amount=0.05),
            CostLine(category="MARKETING", country="AE", messages=1, amount=0.04),
            CostLine(category="MARKETING", country="IN", messages=2, amount=0.02),
            # +1 416 is Toronto: +1 is shared, so the number itself decides. No CA rate: other.
            CostLine(category="UTILITY", country="CA", messages=1, amount=0.008),
        ]
        assert found.estimated_cost == pytest.approx(0.118)

    def test_free_form_text_inside_the_window_costs_nothing(self, runtime: Runtime) -> None:
        number_id = create_number(runtime)
        with session_scope(runtime.session_factory) as session:
            campaign_id = add_campaign(session, "Thank you, CME attendees", CampaignKind.text)
            for index in range(2):
                doctor = add_doctor(session, f"Dr. Attendee {index}", f"91987650010{index}")
                recipient = Recipient(
                    doctor.name or "",
                    doctor.wa_id,
                    "A",
                    "Sales",
                    RecipientState.sent,
                    MessageState.delivered,
                    message_type="text",
                )
                add_recipient(session, campaign_id, doctor, recipient, number_id)
            found = results.results(session, session.get_one(Campaign, campaign_id))
        assert found.cost == [CostLine(category="SERVICE", country="IN", messages=2, amount=0.0)]
        assert found.estimated_cost == 0.0

    def test_a_campaign_with_no_recipients_has_empty_results(self, runtime: Runtime) -> None:
        with session_scope(runtime.session_factory) as session:
            campaign = session.get_one(Campaign, add_campaign(session, "Empty"))
            found = results.results(session, campaign)
        assert found.counts == RecipientCounts()
        assert (found.by_variant, found.by_number, found.cost) == ([], [], [])
        assert found.failed_by_reason == found.skipped_by_reason == {}
        assert (found.opted_out_after, found.estimated_cost) == (0, 0.0)


class TestRecipientsPage:
    def test_pages_follow_the_cursor_to_the_end(self, runtime: Runtime, built: Built) -> None:
        seen: list[str] = []
        cursor = None
        with session_scope(runtime.session_factory) as session:
            for _ in range(4):
                page = results.recipients_page(session, built.campaign_id, limit=4, cursor=cursor)
                seen += [item.doctor_name for item in page.items]
                cursor = page.next_cursor
                if cursor is None:
                    break
        assert seen == [recipient.name for recipient in CAMPAIGN]

    def test_a_state_filter_shows_the_failures_with_their_reasons(
        self, runtime: Runtime, built: Built
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            page = results.recipients_page(session, built.campaign_id, state=RecipientState.failed)
        assert [
            (item.doctor_name, item.wa_id, item.message_status, item.reason, item.error_code)
            for item in page.items
        ] == [
            ("Dr. Rohan Gupta", "919876500005", "failed", "Not on WhatsApp", 131026),
            (HOSTILE, "919876500006", "failed", None, 131049),
        ]
        assert page.next_cursor is None

    def test_a_sent_recipient_shows_its_whatsapp_status_and_times(
        self, runtime: Runtime, built: Built
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            page = results.recipients_page(session, built.campaign_id, limit=1)
        [asha] = page.items
        assert (asha.doctor_name, asha.variant, asha.state, asha.message_status) == (
            "Dr. Asha Rao",
            "A",
            RecipientState.sent,
            "read",
        )
        assert (asha.number_id, asha.sent_at, asha.replied_at) == (
            built.number_ids["Sales"],
            SENT,
            SENT + timedelta(hours=2),
        )


def exported(runtime: Runtime, campaign_id: int) -> tuple[bytes, list[list[str]]]:
    body = b"".join(exporting.stream(runtime.session_factory, campaign_id))
    return body, list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


class TestExport:
    def test_every_recipient_with_their_outcome(self, runtime: Runtime, built: Built) -> None:
        body, table = exported(runtime, built.campaign_id)
        assert body.startswith(b"\xef\xbb\xbf")
        assert table[0] == exporting.HEADERS
        rows = {row[0]: row for row in table[1:]}
        assert len(rows) == len(CAMPAIGN)
        # The + of an international number is prefixed like any formula start (as the doctors'
        # export does, and its import takes off).
        assert rows["Dr. Asha Rao"] == [
            "Dr. Asha Rao",
            "'+919876500001",
            "A",
            "Sales",
            "sent",
            "read",
            "",
            "",
            SENT.isoformat(),
            (SENT + timedelta(minutes=1)).isoformat(),
            (SENT + timedelta(minutes=30)).isoformat(),
            (SENT + timedelta(hours=2)).isoformat(),
        ]
        assert rows["Dr. Rohan Gupta"][4:8] == ["failed", "failed", "Not on WhatsApp", "131026"]
        assert rows["Dr. Neha Joshi"][3:6] == ["", "skipped", ""]
        kavita = rows["Dr. Kavita Menon"]
        assert kavita[1].startswith("IN.") and kavita[5] == "accepted"

    def test_names_are_kept_whole_and_never_run_as_formulas(
        self, runtime: Runtime, built: Built
    ) -> None:
        body, table = exported(runtime, built.campaign_id)
        names = [row[0] for row in table[1:]]
        assert "डॉ. सुनीता शर्मा" in names
        assert "डॉ. सुनीता शर्मा".encode() in body
        assert "'" + HOSTILE in names
        assert not any(cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)

    def test_a_large_campaign_streams_in_chunks(self, runtime: Runtime) -> None:
        number_id = create_number(runtime)
        count = exporting.BATCH_SIZE * 2 + 5
        with session_scope(runtime.session_factory) as session:
            campaign_id = add_campaign(session, "Trocar price change")
            doctors = [Doctor(name=f"Dr. Surgeon {i}", wa_id=f"9198{i:08d}") for i in range(count)]
            session.add_all(doctors)
            session.flush()
            session.add_all(
                CampaignRecipient(
                    campaign_id=campaign_id,
                    doctor_id=doctor.id,
                    number_id=number_id,
                    message_type="template",
                    payload={},
                )
                for doctor in doctors
            )
        chunks = list(exporting.stream(runtime.session_factory, campaign_id))
        assert len(chunks) >= 3
        _, table = exported(runtime, campaign_id)
        assert len(table) == count + 1
        assert table[-1][0] == f"Dr. Surgeon {count - 1}"

    def test_the_file_name_is_ascii(self) -> None:
        assert exporting.filename(12, "Laparoscopy CME, Pune 2027") == (
            "campaign-12-laparoscopy-cme-pune-2027.csv"
        )
        assert exporting.filename(7, "डॉक्टर ऑफ़र") == "campaign-7.csv"


class TestReplies:
    def test_a_reply_within_72_hours_counts_and_a_later_one_does_not(
        self, runtime: Runtime
    ) -> None:
        number_id = create_number(runtime)
        with session_scope(runtime.session_factory) as session:
            doctor = add_doctor(session, "Dr. Asha Rao", "919876543210")
            rows = {}
            campaign_ids = {}
            for name, hours in (("Too old", 73), ("Recent", 71), ("Latest", 5)):
                campaign_id = campaign_ids[name] = add_campaign(session, name)
                recipient = Recipient(
                    "Dr. Asha Rao",
                    doctor.wa_id,
                    "A",
                    "Sales",
                    RecipientState.sent,
                    MessageState.delivered,
                    replied=name == "Latest",
                )
                rows[name] = add_recipient(
                    session,
                    campaign_id,
                    doctor,
                    recipient,
                    number_id,
                    sent_at=NOW - timedelta(hours=hours),
                ).id
            doctor_id = doctor.id
        with session_scope(runtime.session_factory) as session:
            assert note_reply(session, doctor_id, NOW) == [campaign_ids["Recent"]]
        with session_scope(runtime.session_factory) as session:
            replied = {
                name: session.get_one(CampaignRecipient, row_id).replied_at
                for name, row_id in rows.items()
            }
        assert replied == {
            "Too old": None,
            "Recent": NOW,
            # Already answered: its first reply stays.
            "Latest": NOW - timedelta(hours=3),
        }

    def test_the_doctors_message_from_the_webhook_marks_the_reply(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        number_id = create_number(runtime)
        with session_scope(runtime.session_factory) as session:
            doctor = add_doctor(session, "Dr. Asha Rao", "919876543210")
            recent = add_campaign(session, "Laparoscopy CME, Pune")
            old = add_campaign(session, "Last week's offer")
            sent = Recipient(
                "Dr. Asha Rao", doctor.wa_id, "A", "Sales", RecipientState.sent, MessageState.read
            )
            add_recipient(
                session, recent, doctor, sent, number_id, sent_at=NOW - timedelta(hours=2)
            )
            add_recipient(session, old, doctor, sent, number_id, sent_at=NOW - timedelta(hours=73))
        when = int(NOW.timestamp())
        body = webhook_body(
            text_message_value("wamid.reply1", "Yes, please register me", timestamp=when)
        )
        assert (
            client.post("/webhooks/whatsapp", content=body, headers=sign(body)).status_code == 200
        )
        drain(runtime.queue)
        with session_scope(runtime.session_factory) as session:
            assert results.counts(session, recent).replied == 1
            assert results.counts(session, old).replied == 0


class TestPrices:
    def test_a_price_file_replaces_the_built_in_rates(self, tmp_path: Path) -> None:
        path = tmp_path / "prices.json"
        rates = {"MARKETING": 0.9, "UTILITY": 0.1, "AUTHENTICATION": 0.2}
        path.write_text(json.dumps({"currency": "INR", "rates": {"in": rates, "other": rates}}))
        prices = pricing.price_list(path)
        assert (prices.currency, prices.rate("MARKETING", "IN")) == ("INR", 0.9)
        assert pricing.price_list(None) is pricing.DEFAULT_PRICES

    def test_a_price_file_without_an_other_rate_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "prices.json"
        path.write_text(json.dumps({"rates": {"IN": {"MARKETING": 0.9}}}))
        with pytest.raises(pricing.PriceFileError, match='"other"'):
            pricing.load_price_file(path)

    @pytest.mark.parametrize(
        ("wa_id", "country"),
        [
            ("919876543210", "IN"),
            ("971501234567", "AE"),
            ("447400123456", "GB"),
            # Guernsey shares +44 with the UK.
            ("447911123456", "GG"),
            # A range no plan knows yet: the calling code's main country.
            ("447700900123", "GB"),
            ("9779841234567", "NP"),
            ("14165550199", "CA"),
            ("12025550143", "US"),
            (None, "unknown"),
        ],
    )
    def test_the_country_comes_from_the_number(self, wa_id: str | None, country: str) -> None:
        assert pricing.country_of(wa_id) == country

    def test_india_marketing_is_charged_and_service_is_free(self) -> None:
        prices = pricing.DEFAULT_PRICES
        assert prices.rate("MARKETING", "IN") > prices.rate("UTILITY", "IN") > 0
        assert prices.rate("SERVICE", "IN") == 0
        assert prices.rate("MARKETING", "ZW") == prices.rates["other"]["MARKETING"]
