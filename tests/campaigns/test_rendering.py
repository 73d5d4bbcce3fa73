"""What a start freezes on each recipient's row, on SQLite and PostgreSQL: the template object
WhatsApp will get (named and positional parameters, a text header, a URL button), the text the
inbox shows, and who is skipped for a missing value or held for the next 24 h."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from surgiai.campaigns import planner
from surgiai.campaigns.models import CampaignRecipient, RecipientState
from surgiai.campaigns.repository import CampaignRepository
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.kit.time import utcnow
from surgiai.numbers.models import WhatsAppNumber
from surgiai.runtime import Runtime
from surgiai.templates.models import MessageTemplate
from tests.campaigns.helpers import segment, start
from tests.fixtures import WABA_ID, create_number, create_user, login

# (name, wa_id, specialty, city): the last lacks the specialty variant A's header needs.
DOCTORS = [
    ("Dr. Asha Rao", "919876500001", "Gynaecology", "Pune"),
    ("Dr. Rajesh Kulkarni", "919876500002", "General Surgery", "Navi\nMumbai"),
    (None, "919876500003", "Urology", None),
    ("Prof. Meera Iyer", "919876500004", None, "Pune"),
]
LAUNCH = [
    {"type": "HEADER", "format": "TEXT", "text": "New for {{specialty}}"},
    {"type": "BODY", "text": "Dear {{first_name}},\nmeet our {{product}} in {{ city }}."},
    {
        "type": "BUTTONS",
        "buttons": [
            {"type": "QUICK_REPLY", "text": "Interested"},
            {"type": "URL", "text": "See it", "url": "https://surgi.example/p/{{code}}"},
        ],
    },
]
CAMPAIGN: dict[str, Any] = {
    "name": "EndoStapler launch",
    "kind": "template",
    "variants": [
        {
            "key": "A",
            "share": 50,
            "template_name": "stapler_launch",
            "language": "en",
            "parameters": {
                "header": {"specialty": {"field": "specialty"}},
                "body": {
                    "first_name": {"field": "first_name"},
                    "product": {"value": "EndoStapler\n60"},
                    "city": {"field": "city", "fallback": "your city"},
                },
                "button": {"code": {"value": "ES60"}},
            },
        },
        {
            "key": "B",
            "share": 50,
            "template_name": "cme_invite",
            "language": "en",
            "parameters": {
                "body": {
                    "1": {"field": "name"},
                    "2": {"value": "Advanced Laparoscopy"},
                    "3": {"field": "city", "fallback": "your city"},
                }
            },
        },
    ],
}


def named(name: str, text: str) -> dict[str, str]:
    return {"type": "text", "text": text, "parameter_name": name}


def launch(specialty: str | None, first_name: str, city: str) -> tuple[dict[str, Any], str]:
    """Variant A's payload and preview for a doctor."""
    components: list[dict[str, Any]] = []
    if specialty:
        components.append({"type": "header", "parameters": [named("specialty", specialty)]})
    components += [
        {
            "type": "body",
            "parameters": [
                named("first_name", first_name),
                named("product", "EndoStapler 60"),
                named("city", city),
            ],
        },
        {"type": "button", "sub_type": "url", "index": "1", "parameters": [named("code", "ES60")]},
    ]
    preview = (
        f"*New for {specialty or '{{specialty}}'}*\n"
        f"Dear {first_name},\nmeet our EndoStapler 60 in {city}."
    )
    return {"name": "stapler_launch", "language": {"code": "en"}, "components": components}, preview


def invite(name: str, city: str) -> tuple[dict[str, Any], str]:
    """Variant B's payload and preview for a doctor."""
    values = [name, "Advanced Laparoscopy", city]
    return (
        {
            "name": "cme_invite",
            "language": {"code": "en"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": v} for v in values]}
            ],
        },
        f"Namaste {name}, the Advanced Laparoscopy CME in {city} opens today.",
    )


# Per doctor (by wa_id): variant A's and B's message, and whether A lacks a value.
EXPECTED = {
    "919876500001": (launch("Gynaecology", "Asha", "Pune"), invite("Dr. Asha Rao", "Pune")),
    "919876500002": (
        launch("General Surgery", "Rajesh", "Navi Mumbai"),
        invite("Dr. Rajesh Kulkarni", "Navi Mumbai"),
    ),
    "919876500003": (launch("Urology", "Doctor", "your city"), invite("Doctor", "your city")),
    "919876500004": (launch(None, "Meera", "Pune"), invite("Prof. Meera Iyer", "Pune")),
}


@pytest.fixture
def admin(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime)
    create_number(runtime)
    with session_scope(runtime.session_factory) as session:
        session.add_all(
            Doctor(name=name, wa_id=wa_id, specialty=specialty, city=city)
            for name, wa_id, specialty, city in DOCTORS
        )
        for name, components, parameter_format in (
            ("stapler_launch", LAUNCH, "NAMED"),
            (
                "cme_invite",
                [{"type": "BODY", "text": "Namaste {{1}}, the {{2}} CME in {{3}} opens today."}],
                "POSITIONAL",
            ),
        ):
            session.add(
                MessageTemplate(
                    waba_id=WABA_ID,
                    name=name,
                    language="en",
                    status="APPROVED",
                    category="MARKETING",
                    parameter_format=parameter_format,
                    components=components,
                    synced_at=utcnow(),
                )
            )
    return login(client, "owner@example.com")


def frozen(runtime: Runtime, campaign_id: int) -> dict[str, CampaignRecipient]:
    with session_scope(runtime.session_factory) as session:
        rows = session.execute(
            select(Doctor.wa_id, CampaignRecipient)
            .join(Doctor, Doctor.id == CampaignRecipient.doctor_id)
            .where(CampaignRecipient.campaign_id == campaign_id)
        ).all()
        session.expunge_all()
        return {str(wa_id): row for wa_id, row in rows}


class TestFrozenMessages:
    def test_each_recipient_keeps_their_variants_message_and_a_missing_value_skips_them(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        body = {**CAMPAIGN, "segment_id": segment(client, admin)}
        samples = client.post("/api/v1/campaigns/plan", json=body, headers=admin).json()["samples"]
        campaign_id = start(client, admin, body)

        rows = frozen(runtime, campaign_id)
        assert {row.variant for row in rows.values()} == {"A", "B"}
        for wa_id, row in rows.items():
            (payload, preview) = EXPECTED[wa_id][0 if row.variant == "A" else 1]
            lacks_specialty = row.variant == "A" and wa_id == "919876500004"
            assert (row.payload, row.preview, row.message_type) == (payload, preview, "template")
            assert (row.state, row.reason, row.not_before, row.attempts) == (
                RecipientState.skipped if lacks_specialty else RecipientState.pending,
                "Missing template values" if lacks_specialty else None,
                None,
                0,
            )
        by_doctor = {sample["doctor_id"]: sample for sample in samples}
        for row in rows.values():
            sample = by_doctor[row.doctor_id]
            assert (sample["variant"], sample["text"]) == (row.variant, row.preview)

    def test_beyond_the_tier_a_recipient_is_held_for_a_day(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # A portfolio that may reach one more doctor outside the window today.
        monkeypatch.setitem(planner.TIER_LIMITS, "TIER_50", 1)
        with session_scope(runtime.session_factory) as session:
            session.execute(update(WhatsAppNumber).values(messaging_tier="TIER_50"))
        body = {**CAMPAIGN, "segment_id": segment(client, admin, city=["Pune"])}
        body["variants"] = [{**CAMPAIGN["variants"][1], "share": 100}]
        before = utcnow()
        campaign_id = start(client, admin, body)

        rows = frozen(runtime, campaign_id)
        first, second = rows["919876500001"], rows["919876500004"]
        assert first.not_before is None
        assert second.not_before is not None
        assert before + timedelta(hours=24) <= second.not_before <= utcnow() + timedelta(hours=24)
        assert second.state is RecipientState.pending
        # The hold is compared in SQL as it is stored: only the first is due before then.
        with session_scope(runtime.session_factory) as session:
            due = CampaignRepository(session).claim(
                campaign_id,
                first.number_id or 0,
                limit=10,
                now=utcnow() + timedelta(hours=23),
                claimant="test",
            )
        assert due == [first.id]
