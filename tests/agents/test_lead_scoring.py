"""Lead Scoring & Tagging: scripted conversations through the real webhook and Master Agent,
the score, tags, stage and profile they leave, the timeline, overrides, decay and the standby.
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import respx
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, update

from surgiai.agents.base import AgentContext, DoctorView, MessageView
from surgiai.agents.intents import classify
from surgiai.agents.lead_scoring.agent import (
    LeadScoringAgent,
    LeadScoringBasicAgent,
    detect_city,
    detect_specialty,
    interest_tag,
)
from surgiai.agents.registry import default_registry
from surgiai.agents.service import agent_service
from surgiai.auth.models import User
from surgiai.config import Settings
from surgiai.db.engine import session_scope
from surgiai.doctors.leads import lead_service
from surgiai.doctors.models import Doctor, DoctorEvent, DoctorTag, LifecycleStage
from surgiai.doctors.scoring import WARM, Activity, Band, Expressed, Signal, rescore, score
from surgiai.kit.time import utcnow
from surgiai.runtime import Runtime
from tests.agents.test_master import SEND_URL, doctor_writes, runs, use_master
from tests.conftest import drain, make_settings
from tests.fixtures import create_number, create_user, graph_accepted
from tests.knowledge.catalogue import add_product

DOCTOR = "919876543210"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # A bare "Hello" is answered at once, not after the wait for what usually follows.
    return make_settings(tmp_path, database_url, agents_enabled=True, agent_burst_seconds=0)


@pytest.fixture
def number_id(runtime: Runtime) -> int:
    return create_number(runtime)


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        counter = iter(range(1, 10_000))
        router.post(SEND_URL).mock(
            side_effect=lambda request: Response(
                200,
                json=graph_accepted(f"wamid.out.{next(counter)}")
                if b'"status"' not in request.content
                else {"success": True},
            )
        )
        yield router


def writes(client: TestClient, runtime: Runtime, text: str, wamid: str) -> None:
    doctor_writes(client, runtime, text, wamid)
    drain(runtime.queue)


def lead(runtime: Runtime) -> dict[str, Any]:
    with session_scope(runtime.session_factory) as session:
        doctor = session.scalars(select(Doctor).where(Doctor.wa_id == DOCTOR)).one()
        tags = set(session.scalars(select(DoctorTag.tag).where(DoctorTag.doctor_id == doctor.id)))
        return {
            "score": doctor.lead_score,
            "reasons": dict(doctor.score_reasons),
            "tags": tags,
            "stage": doctor.stage,
            "specialty": doctor.specialty,
            "city": doctor.city,
        }


def events(runtime: Runtime, kind: str) -> list[dict[str, Any]]:
    with session_scope(runtime.session_factory) as session:
        return [
            dict(data)
            for data in session.scalars(
                select(DoctorEvent.data).where(DoctorEvent.kind == kind).order_by(DoctorEvent.id)
            )
        ]


def band_tags(tags: set[str]) -> set[str]:
    return tags & {band.value for band in Band}


class TestScriptedConversations:
    def test_a_first_hello_is_a_cold_engaged_lead(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        writes(client, runtime, "Hello", "wamid.1")

        found = lead(runtime)
        assert 0 < found["score"] < 40
        assert found["reasons"]["recency"] == 25 and found["reasons"]["intent"] == 0
        assert sum(found["reasons"].values()) == found["score"]
        assert band_tags(found["tags"]) == {"cold"}
        assert found["stage"] is LifecycleStage.engaged
        assert events(runtime, "score") == [
            {"old": 0, "new": found["score"], "reasons": found["reasons"], "cause": "message"}
        ]
        assert events(runtime, "stage") == [{"old": "new", "new": "engaged"}]
        assert ("lead_scoring", "side_effect", "ok") in runs(runtime)

    def test_a_price_question_warms_and_qualifies_and_an_order_makes_it_hot(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        add_product(runtime, "Disposable Trocar 5 mm", category="Laparoscopy")
        writes(client, runtime, "Hello", "wamid.1")
        writes(client, runtime, "What is the price of the 5 mm trocar?", "wamid.2")

        warm = lead(runtime)
        assert 40 <= warm["score"] < 70
        assert warm["reasons"]["intent"] == 30
        assert band_tags(warm["tags"]) == {"warm"}
        assert "interest:laparoscopy" in warm["tags"]
        assert warm["stage"] is LifecycleStage.qualified

        writes(client, runtime, "I want to order 10 boxes of the 5 mm trocar", "wamid.3")

        hot = lead(runtime)
        assert hot["score"] >= 70 and hot["reasons"]["intent"] == 45
        assert band_tags(hot["tags"]) == {"hot"}
        # One band at a time: each move is on the timeline.
        assert events(runtime, "tag_removed") == [{"tag": "cold"}, {"tag": "warm"}]
        assert [e["new"] for e in events(runtime, "score")][-1] == hot["score"]

    def test_sixty_days_of_silence_decay_a_hot_lead_to_cold(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        writes(client, runtime, "Price of 5 mm trocar? I want to order 10 boxes", "wamid.1")
        hot = lead(runtime)
        assert hot["score"] >= 70

        with session_scope(runtime.session_factory) as session:
            assert lead_service.decay(session, utcnow() + timedelta(days=60)) == 1
        cold = lead(runtime)
        assert cold["score"] < 10 and band_tags(cold["tags"]) == {"cold"}
        assert events(runtime, "score")[-1]["cause"] == "decay"

        # Decay is measured from the last change: running it again the same day changes nothing.
        with session_scope(runtime.session_factory) as session:
            assert lead_service.decay(session, utcnow() + timedelta(days=60)) == 0

    def test_a_doctor_who_says_who_and_where_they_are_fills_an_empty_profile_once(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        writes(client, runtime, "Hi, I am a gynaecologist in Pune", "wamid.1")
        found = lead(runtime)
        assert (found["specialty"], found["city"]) == ("Obstetrics & Gynaecology", "Pune")
        assert {e["field"] for e in events(runtime, "profile")} == {"specialty", "city"}

        writes(client, runtime, "ortho surgeon, Lucknow", "wamid.2")
        assert (lead(runtime)["specialty"], lead(runtime)["city"]) == (
            "Obstetrics & Gynaecology",
            "Pune",
        )

    def test_a_stop_lowers_the_score_with_its_reason(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        writes(client, runtime, "Price of the 5 mm trocar?", "wamid.1")
        before = lead(runtime)["score"]
        writes(client, runtime, "STOP", "wamid.2")

        after = lead(runtime)
        assert after["reasons"]["opted_out"] == -20
        assert after["score"] < before


class TestOverrides:
    def test_an_admins_score_and_stage_are_left_alone_and_tags_still_follow(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        writes(client, runtime, "Hello", "wamid.1")
        with session_scope(runtime.session_factory) as session:
            session.execute(
                update(Doctor).values(
                    lead_score=90,
                    score_overridden=True,
                    stage=LifecycleStage.customer,
                    stage_overridden=True,
                )
            )
        scored = len(events(runtime, "score"))

        writes(client, runtime, "I want to order 10 boxes of trocars", "wamid.2")

        found = lead(runtime)
        assert found["score"] == 90 and found["stage"] is LifecycleStage.customer
        assert len(events(runtime, "score")) == scored
        with session_scope(runtime.session_factory) as session:
            assert lead_service.decay(session, utcnow() + timedelta(days=90)) == 0
        assert lead(runtime)["score"] == 90


class TestStandby:
    @pytest.mark.parametrize("chaos", ["lead_scoring=raise:1.0", None])
    def test_the_standby_keeps_scoring_when_the_primary_fails_or_is_disabled(
        self,
        client: TestClient,
        runtime: Runtime,
        number_id: int,
        graph: respx.MockRouter,
        chaos: str | None,
    ) -> None:
        use_master(runtime, default_registry(), chaos=chaos)
        if chaos is None:
            owner = create_user(runtime)
            with session_scope(runtime.session_factory) as session:
                user = session.get(User, owner.id)
                assert user is not None
                agent_service.disable(session, "lead_scoring", user, "testing the standby")
        writes(client, runtime, "What is the price of the 5 mm trocar?", "wamid.1")

        found = lead(runtime)
        assert found["reasons"]["intent"] == 30 and 40 <= found["score"] < 70
        assert band_tags(found["tags"]) == {"warm"}
        assert ("lead_scoring_basic", "standby", "ok") in runs(runtime)


def context(
    texts: list[str], *, history: tuple[MessageView, ...] = (), **doctor: Any
) -> AgentContext:
    now = datetime.now(UTC)
    burst = tuple(
        MessageView(index, "in", "text", text, "doctor", now) for index, text in enumerate(texts)
    )
    view = DoctorView(1, DOCTOR, None, "Asha Rao", False, (), 0, **doctor)
    return AgentContext(
        conversation_id=1,
        number_id=1,
        mode="ai",
        assigned_user_id=None,
        doctor=view,
        burst=burst,
        history=history,
        window_open=True,
        classification=classify("\n".join(texts)),
    )


class TestScorer:
    def test_a_factor_fades_by_half_every_fourteen_days(self) -> None:
        now = datetime.now(UTC)
        fresh = score(Activity(now, now, 1, (Expressed(Signal.order, now),)))
        later = score(Activity(now + timedelta(days=14), now, 0, (Expressed(Signal.order, now),)))
        assert fresh.reasons["recency"] == 25 and later.reasons["recency"] == 12
        assert fresh.reasons["intent"] == 45 and later.reasons["intent"] == 22
        assert later.reasons["frequency"] == 0

    def test_the_score_is_clamped_and_a_rescore_keeps_the_breakdown(self) -> None:
        now = datetime.now(UTC)
        nothing = score(Activity(now, None, 0, opted_out=True))
        assert nothing.points == 0 and nothing.reasons["opted_out"] == -20
        read = rescore({"recency": 25, "engagement": 10}, set_to={"engagement": 11})
        assert read.reasons["engagement"] == 10 and read.points == 35

    def test_the_standby_needs_neither_the_model_nor_the_catalogue(self) -> None:
        [update_] = LeadScoringBasicAgent().handle(context(["rate of trocar kitna hai"]))
        assert update_.score is not None and update_.reasons["intent"] == 30  # type: ignore[union-attr]


class TestDetection:
    @pytest.mark.parametrize(
        ("text", "specialty"),
        [
            ("I am a gynaecologist in Pune", "Obstetrics & Gynaecology"),
            ("ortho surgeon, Lucknow", "Orthopaedics"),
            ("main gynae hoon, Nagpur se", "Obstetrics & Gynaecology"),
            ("Dr Mehta here, urologist", "Urology"),
            ("do you have ortho implants?", None),
            ("price of lap trocar", None),
        ],
    )
    def test_specialty(self, text: str, specialty: str | None) -> None:
        assert detect_specialty(text) == specialty

    @pytest.mark.parametrize(
        ("text", "city"),
        [
            ("I am a gynaecologist in Pune", "Pune"),
            ("main Lucknow se hoon", "Lucknow"),
            ("my clinic is in Indore", "Indore"),
            ("do you deliver to Pune?", None),
            ("course in Delhi? I am interested", None),
        ],
    )
    def test_city(self, text: str, city: str | None) -> None:
        assert detect_city(text, stated_specialty=detect_specialty(text) is not None) == city

    def test_interest_tags_are_slugs_of_the_category(self) -> None:
        assert interest_tag("Laparoscopy & Endoscopy") == "interest:laparoscopy-endoscopy"

    def test_the_primary_does_not_repeat_what_the_profile_has(self) -> None:
        [update_] = LeadScoringAgent().handle(
            context(["I am a gynaecologist in Pune"], specialty="Urology", city="Delhi")
        )
        assert update_.specialty is None and update_.city is None  # type: ignore[union-attr]


def test_read_receipts_add_engagement(runtime: Runtime, number_id: int) -> None:
    with session_scope(runtime.session_factory) as session:
        doctor = Doctor(wa_id=DOCTOR, lead_score=25, score_reasons={"recency": 25})
        session.add(doctor)
        session.flush()
        lead_service.record_reads(session, [doctor, doctor])  # two reads in one group
    found = lead(runtime)
    assert found["score"] == 27 and found["reasons"]["engagement"] == 2
    assert [e["cause"] for e in events(runtime, "score")] == ["read", "read"]


def test_reads_in_one_group_that_cross_a_band_leave_one_band_tag(
    runtime: Runtime, number_id: int
) -> None:
    """Scored together, the reads still see each other: the doctor who crosses into the next
    band on the second read gets that band's tag, and the old one goes, once."""
    with session_scope(runtime.session_factory) as session:
        doctor = Doctor(wa_id=DOCTOR, lead_score=WARM - 2, score_reasons={"recency": WARM - 2})
        session.add(doctor)
        session.flush()
        lead_service.update(session, doctor, add_tags=["cold", "vip"])
        lead_service.record_reads(session, [doctor, doctor])
    found = lead(runtime)
    assert found["score"] == WARM
    assert found["tags"] == {"warm", "vip"}
    assert [e["tag"] for e in events(runtime, "tag_added")] == ["cold", "vip", "warm"]
    assert [e["tag"] for e in events(runtime, "tag_removed")] == ["cold"]
