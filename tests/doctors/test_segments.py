"""Segments through the API: counts and members against hand-computed expectations, names
unique as people read them, bad filters refused, roles. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from surgiai.auth.roles import Role
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor, DoctorTag, LifecycleStage
from surgiai.kit.time import utcnow
from surgiai.runtime import Runtime
from tests.fixtures import create_number, create_user, login

NOW = utcnow()
# name, specialty, city, state, score, stage, opted out, days since last inbound, tags
DOCTORS: list[tuple[Any, ...]] = [
    ("Dr. Asha Rao", "Gynaecology", "Pune", "Maharashtra", 80, "qualified", False, 2, ["hot"]),
    ("Dr. Vikram Shah", "General Surgery", "pune", "Maharashtra", 55, "engaged", False, 40, []),
    ("Dr. Meena Iyer", "Gynaecology", "Chennai", "Tamil Nadu", 20, "new", True, None, ["mesh"]),
    ("Dr. Arjun Nair", "General Surgery", "Kochi", "Kerala", 95, "customer", False, 1, ["hot"]),
    ("Dr. Kavita Joshi", "Urology", "Mumbai", "Maharashtra", 10, "dormant", False, 200, []),
    ("Dr. Rahul Gupta", None, None, None, 0, "new", False, None, []),
]


@pytest.fixture
def owner(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime)
    return login(client, "owner@example.com")


@pytest.fixture
def doctors(runtime: Runtime) -> dict[str, int]:
    number_id = create_number(runtime)
    ids: dict[str, int] = {}
    with session_scope(runtime.session_factory) as session:
        for index, row in enumerate(DOCTORS):
            name, specialty, city, state, score, stage, opted_out, days, tags = row
            doctor = Doctor(
                wa_id=f"9198000000{index:02d}",
                name=name,
                specialty=specialty,
                city=city,
                state=state,
                lead_score=score,
                stage=LifecycleStage(stage),
                marketing_opted_out=opted_out,
                last_inbound_at=NOW - timedelta(days=days) if days is not None else None,
                # We last wrote to every other doctor 3 days ago, never to the rest.
                last_outbound_at=NOW - timedelta(days=3) if index % 2 == 0 else None,
                sticky_number_id=number_id if index % 2 == 0 else None,
            )
            session.add(doctor)
            session.flush()
            session.add_all(DoctorTag(doctor_id=doctor.id, tag=tag) for tag in tags)
            ids[name] = doctor.id
    return ids


def count(client: TestClient, headers: dict[str, str], filters: dict[str, Any]) -> int:
    response = client.post("/api/v1/segments/count", json=filters, headers=headers)
    assert response.status_code == 200, response.text
    found: int = response.json()["count"]
    return found


@pytest.mark.usefixtures("doctors")
class TestCounts:
    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            ({}, 6),
            ({"specialty": ["gynaecology"]}, 2),
            ({"city": ["Pune"]}, 2),  # "pune" as an import typed it counts too
            ({"state": ["Maharashtra"], "score_min": 50}, 2),
            ({"tags": ["hot", "mesh"]}, 3),
            ({"score_min": 20, "score_max": 80}, 3),
            ({"stage": ["new", "dormant"]}, 3),
            ({"consent": "opted_out"}, 1),
            ({"consent": "opted_in", "specialty": ["Gynaecology"]}, 1),
            ({"last_inbound_after": (NOW - timedelta(days=7)).isoformat()}, 2),
            # Not heard from in 30 days, never included.
            ({"last_inbound_before": (NOW - timedelta(days=30)).isoformat()}, 4),
            ({"number_id": 1}, 3),
            # The same windows, moving with the clock, as saved segments keep them.
            ({"inbound_within_days": 7}, 2),
            ({"inbound_silent_days": 30}, 4),
            ({"outbound_within_days": 7}, 3),
            ({"outbound_silent_days": 4}, 3),
            ({"outbound_silent_days": 7, "inbound_within_days": 7}, 1),
            ({"specialty": ["General Surgery"], "tags": ["hot"], "city": ["Kochi"]}, 1),
        ],
    )
    def test_counts_match_the_hand_computed_figures(
        self, client: TestClient, owner: dict[str, str], filters: dict[str, Any], expected: int
    ) -> None:
        assert count(client, owner, filters) == expected

    @pytest.mark.parametrize(
        "filters",
        [
            {"score_min": 90, "score_max": 10},
            {"score_min": 101},
            {"stage": ["asleep"]},
            {"colour": ["red"]},
            {"inbound_within_days": 0},
            {"outbound_silent_days": 100_000},
        ],
    )
    def test_bad_filters_are_refused(
        self, client: TestClient, owner: dict[str, str], filters: dict[str, Any]
    ) -> None:
        assert client.post("/api/v1/segments/count", json=filters, headers=owner).status_code == 422


class TestSavedSegments:
    def test_create_list_preview_rename_delete(
        self, client: TestClient, owner: dict[str, str], doctors: dict[str, int]
    ) -> None:
        created = client.post(
            "/api/v1/segments",
            json={"name": " Hot gynaecologists ", "filters": {"specialty": ["Gynaecology"]}},
            headers=owner,
        )
        assert created.status_code == 201, created.text
        segment = created.json()
        assert (segment["name"], segment["count"]) == ("Hot gynaecologists", 2)

        members = client.get(f"/api/v1/segments/{segment['id']}/members?limit=1", headers=owner)
        assert members.json()["count"] == 2
        # The warmest first.
        assert [m["id"] for m in members.json()["items"]] == [doctors["Dr. Asha Rao"]]

        renamed = client.patch(
            f"/api/v1/segments/{segment['id']}",
            json={"name": "Gynaecologists in Pune", "filters": {"city": ["Pune"]}},
            headers=owner,
        )
        assert renamed.status_code == 200
        assert (renamed.json()["name"], renamed.json()["count"]) == ("Gynaecologists in Pune", 2)
        listed = client.get("/api/v1/segments", headers=owner).json()
        assert [(s["name"], s["count"]) for s in listed] == [("Gynaecologists in Pune", 2)]

        assert client.delete(f"/api/v1/segments/{segment['id']}", headers=owner).status_code == 204
        assert client.get(f"/api/v1/segments/{segment['id']}", headers=owner).status_code == 404

    def test_a_relative_window_moves_with_the_clock(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: dict[str, str],
        doctors: dict[str, int],
    ) -> None:
        created = client.post(
            "/api/v1/segments",
            json={"name": "Active this week", "filters": {"inbound_within_days": 7}},
            headers=owner,
        )
        assert created.json()["count"] == 2
        with session_scope(runtime.session_factory) as session:
            asha = session.get(Doctor, doctors["Dr. Asha Rao"])
            assert asha is not None
            # As if a week went by without a message from her.
            asha.last_inbound_at = utcnow() - timedelta(days=8)
        segment = client.get(f"/api/v1/segments/{created.json()['id']}", headers=owner).json()
        assert (segment["count"], segment["filters"]["inbound_within_days"]) == (1, 7)

    def test_names_are_unique_whatever_their_case(
        self, client: TestClient, owner: dict[str, str]
    ) -> None:
        first = client.post("/api/v1/segments", json={"name": "Pune surgeons"}, headers=owner)
        assert first.status_code == 201
        clash = client.post("/api/v1/segments", json={"name": "pune SURGEONS"}, headers=owner)
        assert clash.status_code == 409
        other = client.post("/api/v1/segments", json={"name": "Kochi"}, headers=owner).json()
        renamed = client.patch(
            f"/api/v1/segments/{other['id']}", json={"name": "PUNE surgeons"}, headers=owner
        )
        assert renamed.status_code == 409
        assert [s["name"] for s in client.get("/api/v1/segments", headers=owner).json()] == [
            "Kochi",
            "Pune surgeons",
        ]

    def test_a_preview_of_unsaved_filters(
        self, client: TestClient, owner: dict[str, str], doctors: dict[str, int]
    ) -> None:
        response = client.post(
            "/api/v1/segments/preview",
            json={"filters": {"tags": ["hot"]}, "limit": 5},
            headers=owner,
        )
        assert response.status_code == 200
        assert response.json()["count"] == 2
        assert [m["display_name"] for m in response.json()["items"]] == [
            "Dr. Arjun Nair",
            "Dr. Asha Rao",
        ]

    def test_viewers_read_but_do_not_build(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        client.post("/api/v1/segments", json={"name": "Everyone"}, headers=owner)
        create_user(runtime, email="viewer@example.com", role=Role.viewer)
        viewer = login(client, "viewer@example.com")
        assert client.get("/api/v1/segments", headers=viewer).status_code == 200
        assert client.post("/api/v1/segments/count", json={}, headers=viewer).status_code == 200
        refused = client.post("/api/v1/segments", json={"name": "Mine"}, headers=viewer)
        assert refused.status_code == 403
