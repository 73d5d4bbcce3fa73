"""Doctors' profiles over HTTP: the filtered, paged list, adding a doctor by number, edits and
admins' overrides (recorded with who and why), the timeline, removal, and clear refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from surgiai.auth.roles import Role
from surgiai.conversations.models import (
    Conversation,
    Direction,
    Message,
    MessageState,
    SenderKind,
)
from surgiai.db.engine import session_scope
from surgiai.doctors.models import (
    ConsentEvent,
    ConsentSource,
    Doctor,
    DoctorTag,
    LifecycleStage,
    Segment,
)
from surgiai.kit.time import utcnow
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.fixtures import create_number, create_user, login

URL = "/api/v1/doctors"


@pytest.fixture
def admin(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime, email="admin@example.com", role=Role.admin)
    return login(client, "admin@example.com")


@pytest.fixture
def agent(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime, email="agent@example.com", role=Role.agent)
    return login(client, "agent@example.com")


@pytest.fixture
def viewer(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime, email="viewer@example.com", role=Role.viewer)
    return login(client, "viewer@example.com")


def add_doctors(runtime: Runtime, rows: list[dict[str, object]]) -> list[int]:
    """Doctors as an import or the scorer would leave them; `tags` go to DoctorTag."""
    ids = []
    with session_scope(runtime.session_factory) as session:
        for index, row in enumerate(rows):
            values = dict(row)
            tags = values.pop("tags", [])
            doctor = Doctor(wa_id=f"91987654{index:04d}", **values)
            session.add(doctor)
            session.flush()
            session.add_all(DoctorTag(doctor_id=doctor.id, tag=tag) for tag in tags)  # type: ignore[attr-defined]
            ids.append(doctor.id)
    return ids


def names(page: dict[str, object]) -> list[str]:
    return [item["display_name"] for item in page["items"]]  # type: ignore[attr-defined]


CLINIC = [
    {"name": "Dr Mehta", "specialty": "Surgeon", "city": "Pune", "lead_score": 80},
    {"name": "Dr Rao", "specialty": "Gynaecologist", "city": "pune", "lead_score": 40},
    {"name": "Dr Iyer", "specialty": "Surgeon", "city": "Chennai", "lead_score": 10},
    {
        "name": "Dr Khan",
        "specialty": "Surgeon",
        "city": "Mumbai",
        "lead_score": 65,
        "stage": LifecycleStage.qualified,
        "marketing_opted_out": True,
        "tags": ["hot", "sutures"],
    },
]


class TestList:
    def test_filters_narrow_and_combine(
        self, client: TestClient, runtime: Runtime, viewer: dict[str, str]
    ) -> None:
        add_doctors(runtime, CLINIC)

        def listed(**params: object) -> list[str]:
            response = client.get(URL, params=params, headers=viewer)
            assert response.status_code == 200, response.text
            return names(response.json())

        assert listed() == ["Dr Khan", "Dr Iyer", "Dr Rao", "Dr Mehta"]
        assert listed(city="PUNE") == ["Dr Rao", "Dr Mehta"]
        assert listed(city=["Pune", "Mumbai"], specialty="surgeon") == ["Dr Khan", "Dr Mehta"]
        assert listed(score_min=40, score_max=70) == ["Dr Khan", "Dr Rao"]
        assert listed(tag="hot") == ["Dr Khan"]
        assert listed(stage="qualified") == ["Dr Khan"]
        assert listed(consent="opted_out") == ["Dr Khan"]
        assert listed(consent="opted_in", specialty="Surgeon") == ["Dr Iyer", "Dr Mehta"]
        assert listed(q="meh") == ["Dr Mehta"]
        assert listed(q="9876540002") == ["Dr Iyer"]

    def test_search_finds_a_doctor_however_the_team_types_them(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], viewer: dict[str, str]
    ) -> None:
        add_doctors(
            runtime,
            [
                {"name": "Dr Anjali Deshmukh", "hospital": "Sahyadri Hospital", "city": "Pune"},
                {"name": "डॉ. सुनीता वर्मा", "email": "Sunita.Verma@Clinic.in"},
                {
                    "profile_name": "Rahul",
                    "username": "drrahul_uro",
                    "registration_number": "MMC 2011/4471",
                },
                {"name": "Dr 100% Sure"},
            ],
        )

        def listed(q: str) -> list[str]:
            response = client.get(URL, params={"q": q}, headers=viewer)
            assert response.status_code == 200, response.text
            return names(response.json())

        assert listed("  ANJALI  ") == ["Dr Anjali Deshmukh"]
        assert listed("sahyadri") == ["Dr Anjali Deshmukh"]
        assert listed("सुनीता") == ["डॉ. सुनीता वर्मा"]
        assert listed("sunita.verma@clinic") == ["डॉ. सुनीता वर्मा"]
        assert listed("@drrahul") == [] and listed("drrahul") == ["Rahul"]
        assert listed("4471") == ["Rahul"]
        # A number as people write it: spaces, dashes, country code.
        assert listed("98765 40000") == ["Dr Anjali Deshmukh"]
        assert listed("+91-98765-40001") == ["डॉ. सुनीता वर्मा"]
        # LIKE's wildcards are searched for, not obeyed.
        assert listed("100%") == ["Dr 100% Sure"]
        assert listed("%") == ["Dr 100% Sure"]
        assert listed("_uro") == ["Rahul"]
        assert listed("r_h") == []  # "rah" would match a wildcard

        # A doctor added by the team (a bulk insert, not the ORM's) is searchable at once.
        added = client.post(
            URL, json={"name": "Dr Farah Siddiqui", "phone": "098765 11111"}, headers=admin
        )
        assert added.status_code == 201, added.text
        assert listed("siddiqui") == listed("98765 11111") == ["Dr Farah Siddiqui"]

        # An edit is searchable at once, and the old value no longer finds the doctor.
        doctor_id = client.get(URL, params={"q": "anjali"}, headers=viewer).json()["items"][0]["id"]
        edited = client.patch(
            f"{URL}/{doctor_id}", json={"hospital": "Ruby Hall Clinic"}, headers=admin
        )
        assert edited.status_code == 200, edited.text
        assert listed("ruby hall") == ["Dr Anjali Deshmukh"]
        assert listed("sahyadri") == []

    def test_a_segment_combines_with_the_query(
        self, client: TestClient, runtime: Runtime, viewer: dict[str, str]
    ) -> None:
        add_doctors(runtime, CLINIC)
        with session_scope(runtime.session_factory) as session:
            segment = Segment(name="Surgeons", filters={"specialty": ["Surgeon"]})
            session.add(segment)
            session.flush()
            segment_id = segment.id
        page = client.get(URL, params={"segment_id": segment_id, "score_min": 50}, headers=viewer)
        assert names(page.json()) == ["Dr Khan", "Dr Mehta"]
        missing = client.get(URL, params={"segment_id": 999}, headers=viewer)
        assert missing.status_code == 404

    def test_pages_follow_the_cursor_without_repeats_or_gaps(
        self, client: TestClient, runtime: Runtime, viewer: dict[str, str]
    ) -> None:
        ids = add_doctors(runtime, [{"name": f"Dr {n:02d}", "city": "Pune"} for n in range(7)])
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, object] = {"limit": 3, "city": "Pune"}
            if cursor:
                params["cursor"] = cursor
            page = client.get(URL, params=params, headers=viewer).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted(ids, reverse=True)

    @pytest.mark.parametrize(
        ("params", "detail"),
        [
            ({"score_min": 70, "score_max": 20}, "score_min is above score_max"),
            ({"score_min": 101}, "less than or equal to 100"),
            ({"stage": "sleeping"}, "stage"),
            ({"cursor": "abc"}, "cursor"),
            ({"limit": 0}, "limit"),
            ({"segment_id": 2**63}, "segment_id"),
        ],
    )
    def test_bad_filters_are_refused_with_the_reason(
        self, client: TestClient, viewer: dict[str, str], params: dict[str, object], detail: str
    ) -> None:
        response = client.get(URL, params=params, headers=viewer)
        assert 400 <= response.status_code < 500
        assert detail in response.json()["detail"]

    def test_needs_a_login(self, client: TestClient) -> None:
        assert client.get(URL).status_code == 401


class TestCreate:
    def test_a_number_as_typed_becomes_e164(
        self, client: TestClient, agent: dict[str, str]
    ) -> None:
        body = {"name": "डॉ. शर्मा", "phone": "098765 43210", "city": "Delhi", "tags": ["cme"]}
        created = client.post(URL, json=body, headers=agent)
        assert created.status_code == 201, created.text
        doctor = created.json()
        assert (doctor["phone"], doctor["wa_id"]) == ("+919876543210", "919876543210")
        assert (doctor["display_name"], doctor["tags"], doctor["stage"]) == (
            "डॉ. शर्मा",
            ["cme"],
            "new",
        )
        assert client.get(f"{URL}/{doctor['id']}", headers=agent).json() == doctor

    def test_the_same_number_in_another_form_is_a_conflict(
        self, client: TestClient, agent: dict[str, str]
    ) -> None:
        client.post(URL, json={"name": "A", "phone": "+91 98765 43210"}, headers=agent)
        again = client.post(URL, json={"name": "B", "phone": "0091-9876543210"}, headers=agent)
        assert again.status_code == 409
        assert "+919876543210" in again.json()["detail"]

    @pytest.mark.parametrize("phone", ["12345", "98765abcde", "+91 20 2612 3456"])
    def test_what_is_no_mobile_number_is_refused_with_why(
        self, client: TestClient, agent: dict[str, str], phone: str
    ) -> None:
        response = client.post(URL, json={"name": "A", "phone": phone}, headers=agent)
        assert response.status_code == 422
        assert response.json()["detail"].startswith("phone: ")
        assert client.get(URL, headers=agent).json()["items"] == []

    def test_a_viewer_may_not_add(self, client: TestClient, viewer: dict[str, str]) -> None:
        body = {"name": "A", "phone": "9876543210"}
        assert client.post(URL, json=body, headers=viewer).status_code == 403


class TestEdit:
    def test_profile_and_tags_are_edited_and_put_on_the_timeline(
        self, client: TestClient, runtime: Runtime, agent: dict[str, str]
    ) -> None:
        (doctor_id,) = add_doctors(runtime, [{"name": "Dr Rao", "tags": ["cold"]}])
        body = {
            "city": "Pune",
            "email": "rao@example.com",
            "custom_fields": {"beds": 40},
            "add_tags": ["sutures"],
            "remove_tags": ["cold"],
        }
        changed = client.patch(f"{URL}/{doctor_id}", json=body, headers=agent)
        assert changed.status_code == 200, changed.text
        doctor = changed.json()
        assert (doctor["city"], doctor["custom_fields"], doctor["tags"]) == (
            "Pune",
            {"beds": 40},
            ["sutures"],
        )
        timeline = client.get(f"{URL}/{doctor_id}/timeline", headers=agent).json()["items"]
        kinds = {item["kind"] for item in timeline}
        assert kinds == {"profile", "tag_added", "tag_removed"}
        profile = next(item for item in timeline if item["kind"] == "profile")
        assert "city" in profile["text"] and "email" in profile["text"]

    def test_an_admin_overrides_stage_and_score_with_a_reason(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        (doctor_id,) = add_doctors(runtime, [{"name": "Dr Rao", "lead_score": 20}])
        url = f"{URL}/{doctor_id}"
        body = {"stage": "qualified", "lead_score": 90, "reason": "Met at the AICOG stall"}
        doctor = client.patch(url, json=body, headers=admin).json()
        assert (doctor["stage"], doctor["stage_overridden"]) == ("qualified", True)
        assert (doctor["lead_score"], doctor["score_overridden"]) == (90, True)

        timeline = client.get(f"{url}/timeline", headers=admin).json()["items"]
        stage = next(item for item in timeline if item["kind"] == "stage")
        assert stage["actor"] == "admin"
        assert stage["data"] == {
            "from": "new",
            "to": "qualified",
            "override": True,
            "reason": "Met at the AICOG stall",
        }
        score = next(item for item in timeline if item["kind"] == "score")
        assert "20 → 90" in score["text"] and "AICOG" in score["text"]

        cleared = client.patch(url, json={"lead_score": None}, headers=admin).json()
        assert (cleared["lead_score"], cleared["score_overridden"]) == (90, False)
        drain(runtime.queue)
        audit = client.get("/api/v1/audit", headers=admin).json()["items"]
        updates = [event for event in audit if event["action"] == "doctor.updated"]
        assert len(updates) == 2
        assert any(e["details"].get("reason") == "Met at the AICOG stall" for e in updates)

    def test_an_override_needs_a_reason_and_an_admin(
        self, client: TestClient, runtime: Runtime, agent: dict[str, str], admin: dict[str, str]
    ) -> None:
        (doctor_id,) = add_doctors(runtime, [{"name": "Dr Rao"}])
        url = f"{URL}/{doctor_id}"
        by_agent = client.patch(url, json={"stage": "lost", "reason": "x"}, headers=agent)
        assert by_agent.status_code == 403
        no_reason = client.patch(url, json={"lead_score": 50}, headers=admin)
        assert no_reason.status_code == 422
        assert "reason" in no_reason.json()["detail"]
        doctor = client.get(url, headers=admin).json()
        assert (doctor["stage"], doctor["lead_score"]) == ("new", 0)

    @pytest.mark.parametrize(
        "body",
        [
            {"name": None},
            {"email": "not-an-email"},
            {"lead_score": 101, "reason": "x"},
            {"add_tags": ["a"], "remove_tags": ["a"]},
            {"wa_id": "1"},
        ],
    )
    def test_bad_edits_are_refused_and_change_nothing(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        body: dict[str, object],
    ) -> None:
        (doctor_id,) = add_doctors(runtime, [{"name": "Dr Rao"}])
        before = client.get(f"{URL}/{doctor_id}", headers=admin).json()
        response = client.patch(f"{URL}/{doctor_id}", json=body, headers=admin)
        assert response.status_code == 422
        assert client.get(f"{URL}/{doctor_id}", headers=admin).json() == before

    @pytest.mark.parametrize("doctor_id", ["0", "999", str(2**63)])
    def test_unknown_or_out_of_range_ids(
        self, client: TestClient, admin: dict[str, str], doctor_id: str
    ) -> None:
        response = client.get(f"{URL}/{doctor_id}", headers=admin)
        assert response.status_code in (404, 422)
        assert client.patch(f"{URL}/{doctor_id}", json={}, headers=admin).status_code in (404, 422)


class TestTimeline:
    def test_messages_events_and_consent_merge_newest_first_across_pages(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        number_id = create_number(runtime)
        (doctor_id,) = add_doctors(runtime, [{"name": "Dr Rao"}])
        start = utcnow() - timedelta(hours=1)
        with session_scope(runtime.session_factory) as session:
            conversation = Conversation(doctor_id=doctor_id, number_id=number_id)
            session.add(conversation)
            session.flush()
            for minute, (direction, text) in enumerate(
                [(Direction.inbound, "Price of Vicryl?"), (Direction.outbound, "₹2,450 a box")]
            ):
                inbound = direction == Direction.inbound
                session.add(
                    Message(
                        conversation_id=conversation.id,
                        direction=direction,
                        type="text",
                        text=text,
                        status=MessageState.received if inbound else MessageState.sent,
                        sender_kind=SenderKind.doctor if inbound else SenderKind.ai,
                        created_at=start + timedelta(minutes=minute),
                    )
                )
            session.add(
                ConsentEvent(
                    doctor_id=doctor_id,
                    opted_out=True,
                    source=ConsentSource.keyword,
                    detail="STOP",
                    created_at=start + timedelta(minutes=5),
                )
            )
            conversation_id = conversation.id
        client.patch(f"{URL}/{doctor_id}", json={"add_tags": ["hot"]}, headers=admin)

        items = []
        cursor = None
        while True:
            params: dict[str, object] = {"limit": 1}
            if cursor:
                params["before"] = cursor
            page = client.get(
                f"{URL}/{doctor_id}/timeline",
                params=params,
                headers=admin,
            ).json()
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert [(item["kind"], item["actor"]) for item in items] == [
            ("tag_added", "admin"),
            ("consent", "the doctor"),
            ("message", "SurgiAI"),
            ("message", "Dr Rao"),
        ]
        assert items[1]["text"] == "Opted out of marketing (keyword): STOP"
        assert (items[3]["direction"], items[3]["conversation_id"]) == ("in", conversation_id)

        conversations = client.get(f"{URL}/{doctor_id}/conversations", headers=admin).json()
        assert [(c["id"], c["number_name"]) for c in conversations] == [(conversation_id, "Sales")]
        assert client.get(f"{URL}/999/timeline", headers=admin).status_code == 404


class TestDelete:
    def test_an_admin_removes_a_doctor_with_their_conversations(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], agent: dict[str, str]
    ) -> None:
        number_id = create_number(runtime)
        (doctor_id,) = add_doctors(runtime, [{"name": "Dr Rao", "tags": ["hot"]}])
        with session_scope(runtime.session_factory) as session:
            conversation = Conversation(doctor_id=doctor_id, number_id=number_id)
            session.add(conversation)
            session.flush()
            conversation_id = conversation.id
        url = f"{URL}/{doctor_id}"
        assert client.delete(url, headers=agent).status_code == 403
        assert client.delete(url, headers=admin).status_code == 204
        assert client.get(url, headers=admin).status_code == 404
        assert client.get(
            f"/api/v1/conversations/{conversation_id}", headers=admin
        ).status_code == (404)
        drain(runtime.queue)
        audit = client.get("/api/v1/audit", headers=admin).json()["items"]
        assert "doctor.deleted" in [event["action"] for event in audit]
