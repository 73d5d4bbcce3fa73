"""A doctor answering a campaign: the Master Agent's context names the campaign (the latest that
reached them in the 72 h before their message), so the agents know what "yes, register me"
answers. Signed webhooks in, the queue drained as a worker would. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import ClassVar

import pytest
import respx
from fastapi.testclient import TestClient
from httpx import Response

from surgiai.agents.base import Action, AgentConfig, AgentContext, CampaignView
from surgiai.agents.language import Intent
from surgiai.agents.registry import AgentRegistry, Registration, default_registry
from surgiai.campaigns.models import Campaign, CampaignKind, CampaignRecipient, RecipientState
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.kit.time import utcnow
from surgiai.runtime import Runtime
from tests.agents.test_master import SEND_URL, doctor_writes, use_master
from tests.fixtures import create_number, graph_accepted

NOW = utcnow().replace(microsecond=0)
DOCTOR = "919876543210"


class ContextRecorder:
    """A side-effect agent that keeps the contexts it was given and does nothing."""

    name: ClassVar[str] = "context_recorder"
    description: ClassVar[str] = "records contexts for a test"
    handles: ClassVar[frozenset[Intent]] = frozenset()

    def __init__(self) -> None:
        self.contexts: list[AgentContext] = []
        self._config = AgentConfig()

    @property
    def config(self) -> AgentConfig:
        return self._config

    def handle(self, context: AgentContext) -> list[Action]:
        self.contexts.append(context)
        return []


@pytest.fixture
def recorder(runtime: Runtime) -> ContextRecorder:
    recorder = ContextRecorder()
    base = default_registry()
    use_master(
        runtime,
        AgentRegistry(
            [*base.registrations(), Registration(recorder, critical=False)],
            base.routes,
            (*base.side_effects, recorder.name),
            base.context_providers,
        ),
    )
    return recorder


@pytest.fixture(autouse=True)
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        router.post(SEND_URL).mock(return_value=Response(200, json=graph_accepted("wamid.out")))
        yield router


def reached(runtime: Runtime, *campaigns: tuple[str, float]) -> dict[str, int]:
    """The doctor got these campaigns (name, hours ago); returns their ids by name."""
    number_id = create_number(runtime)
    ids = {}
    with session_scope(runtime.session_factory) as session:
        doctor = Doctor(name="Dr. Asha Rao", wa_id=DOCTOR)
        session.add(doctor)
        session.flush()
        for name, hours in campaigns:
            campaign = Campaign(name=name, kind=CampaignKind.template)
            session.add(campaign)
            session.flush()
            session.add(
                CampaignRecipient(
                    campaign_id=campaign.id,
                    doctor_id=doctor.id,
                    variant="B",
                    number_id=number_id,
                    state=RecipientState.sent,
                    message_type="template",
                    payload={},
                    preview=f"Dr. Asha Rao, {name}: reply YES to register.",
                    sent_at=NOW - timedelta(hours=hours),
                )
            )
            ids[name] = campaign.id
    return ids


def test_a_reply_to_a_campaign_carries_the_campaign(
    client: TestClient, runtime: Runtime, recorder: ContextRecorder
) -> None:
    ids = reached(runtime, ("Last month's trocar offer", 24 * 30), ("Laparoscopy CME, Pune", 5))
    doctor_writes(client, runtime, "YES please register me", "wamid.c1")
    [context] = recorder.contexts
    assert context.campaign == CampaignView(
        id=ids["Laparoscopy CME, Pune"],
        name="Laparoscopy CME, Pune",
        variant="B",
        preview="Dr. Asha Rao, Laparoscopy CME, Pune: reply YES to register.",
        sent_at=NOW - timedelta(hours=5),
    )


def test_the_latest_campaign_within_72_hours_is_the_one_answered(
    client: TestClient, runtime: Runtime, recorder: ContextRecorder
) -> None:
    ids = reached(runtime, ("CME courses 2027", 70), ("Endoscopy launch", 20))
    doctor_writes(client, runtime, "Price?", "wamid.c2")
    [context] = recorder.contexts
    assert context.campaign is not None
    assert context.campaign.id == ids["Endoscopy launch"]


def test_a_message_73_hours_after_the_campaign_carries_none(
    client: TestClient, runtime: Runtime, recorder: ContextRecorder
) -> None:
    reached(runtime, ("Laparoscopy CME, Pune", 73))
    doctor_writes(client, runtime, "Hello, do you have 5 mm trocars?", "wamid.c3")
    [context] = recorder.contexts
    assert context.campaign is None
