"""The catalogue's HTTP API: who may read and write, validation, pagination, audit."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from surgiai.auth.roles import Role
from surgiai.catalogue.models import Course, CourseStatus, Product
from surgiai.catalogue.revision import current_revision
from surgiai.db.engine import session_scope
from surgiai.runtime import Runtime
from tests.catalogue.helpers import add_document
from tests.conftest import drain
from tests.fixtures import create_user, login

VICRYL = {"name": "Vicryl 2-0", "code": "lt-5100", "pack_size": "Box of 12", "price": "2450"}


@pytest.fixture
def admin(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime, email="admin@example.com", role=Role.admin)
    return login(client, "admin@example.com")


@pytest.fixture
def agent(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime, email="agent@example.com", role=Role.agent)
    return login(client, "agent@example.com")


def revision(runtime: Runtime) -> int:
    with session_scope(runtime.session_factory) as session:
        return current_revision(session)


class TestProducts:
    def test_an_admin_creates_reads_edits_and_deletes(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        before = revision(runtime)
        created = client.post("/api/v1/products", json=VICRYL, headers=admin)
        assert created.status_code == 201, created.text
        body = created.json()
        assert (body["code"], body["price"], body["currency"]) == ("LT-5100", "2450.00", "INR")
        assert revision(runtime) == before + 1
        product_id = body["id"]

        changed = client.patch(
            f"/api/v1/products/{product_id}", json={"price": "2600.5"}, headers=admin
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["price"] == "2600.50"
        assert "price" in changed.json()["edited_fields"]
        assert client.get(f"/api/v1/products/{product_id}", headers=admin).json()["price"] == (
            "2600.50"
        )

        assert client.delete(f"/api/v1/products/{product_id}", headers=admin).status_code == 204
        assert client.get(f"/api/v1/products/{product_id}", headers=admin).status_code == 404
        drain(runtime.queue)
        actions = [e["action"] for e in client.get("/api/v1/audit", headers=admin).json()["items"]]
        assert {"product.created", "product.updated", "product.deleted"} <= set(actions)

    def test_an_agent_reads_but_may_not_write(
        self, client: TestClient, admin: dict[str, str], agent: dict[str, str]
    ) -> None:
        product_id = client.post("/api/v1/products", json=VICRYL, headers=admin).json()["id"]
        assert client.get("/api/v1/products", headers=agent).status_code == 200
        assert client.get(f"/api/v1/products/{product_id}", headers=agent).status_code == 200
        assert client.post("/api/v1/products", json=VICRYL, headers=agent).status_code == 403
        url = f"/api/v1/products/{product_id}"
        assert client.patch(url, json={"price": "1"}, headers=agent).status_code == 403
        assert client.delete(url, headers=agent).status_code == 403
        files = {"file": ("p.csv", b"Product,Price\nX,1\n", "text/csv")}
        assert client.post("/api/v1/products/import", files=files, headers=agent).status_code == (
            403
        )
        client.cookies.clear()  # the logins' session cookies
        assert client.get("/api/v1/products").status_code == 401

    @pytest.mark.parametrize(
        "body",
        [
            {**VICRYL, "price": "-1"},
            {**VICRYL, "name": "   "},
            {**VICRYL, "name": "x" * 201},
            {**VICRYL, "price": "12.345"},
            {**VICRYL, "currency": "RUPEES"},
            {**VICRYL, "unknown": 1},
        ],
    )
    def test_invalid_products_are_refused(
        self, client: TestClient, admin: dict[str, str], body: dict[str, str]
    ) -> None:
        assert client.post("/api/v1/products", json=body, headers=admin).status_code == 422

    def test_a_duplicate_code_is_a_conflict(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        assert client.post("/api/v1/products", json=VICRYL, headers=admin).status_code == 201
        again = client.post("/api/v1/products", json={**VICRYL, "code": "LT-5100 "}, headers=admin)
        assert again.status_code == 409
        other = client.post(
            "/api/v1/products", json={"name": "Prolene", "code": "P1"}, headers=admin
        ).json()
        clash = client.patch(
            f"/api/v1/products/{other['id']}", json={"code": "lt-5100"}, headers=admin
        )
        assert clash.status_code == 409
        assert (
            client.patch(
                f"/api/v1/products/{other['id']}", json={"name": None}, headers=admin
            ).status_code
            == 422
        )

    def test_unknown_and_out_of_range_ids(self, client: TestClient, admin: dict[str, str]) -> None:
        assert client.get("/api/v1/products/999", headers=admin).status_code == 404
        assert client.get("/api/v1/products/0", headers=admin).status_code == 422
        assert client.get(f"/api/v1/products/{2**63}", headers=admin).status_code == 422
        assert client.get("/api/v1/products?cursor=nonsense", headers=admin).status_code == 400

    def test_search_and_pages(self, client: TestClient, admin: dict[str, str]) -> None:
        for name, code, category in [
            ("Vicryl 2-0", "V20", "Sutures"),
            ("vicryl 3-0", "V30", "Sutures"),
            ("Prolene", "P1", "Sutures"),
            ("Mesh 15x15", "M1515", "Hernia"),
            ("Trocar", "TR-5", "Laparoscopy"),
        ]:
            client.post(
                "/api/v1/products",
                json={"name": name, "code": code, "category": category},
                headers=admin,
            )
        found = client.get("/api/v1/products", params={"q": "VICRYL"}, headers=admin).json()
        assert [p["code"] for p in found["items"]] == ["V20", "V30"]
        by_code = client.get("/api/v1/products", params={"q": "tr-"}, headers=admin).json()
        assert [p["name"] for p in by_code["items"]] == ["Trocar"]
        by_category = client.get("/api/v1/products", params={"q": "hern"}, headers=admin).json()
        assert [p["code"] for p in by_category["items"]] == ["M1515"]
        assert (
            client.get("/api/v1/products", params={"q": "%"}, headers=admin).json()["items"] == []
        )

        names: list[str] = []
        cursor = None
        while True:
            params: dict[str, str | int] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/api/v1/products", params=params, headers=admin).json()
            names.extend(p["name"] for p in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert names == ["Mesh 15x15", "Prolene", "Trocar", "Vicryl 2-0", "vicryl 3-0"]

    def test_the_source_document_is_named(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            document_id = add_document(session, "Catalogue 2026")
            session.add(
                Product(
                    name="Vicryl",
                    source_document_id=document_id,
                    source_page=3,
                    edited_fields=[],
                )
            )
        (item,) = client.get("/api/v1/products", headers=admin).json()["items"]
        assert item["source"] == {"document_id": document_id, "title": "Catalogue 2026", "page": 3}
        assert item["edited_fields"] == []


class TestCourses:
    def test_an_extracted_course_is_confirmed_and_edited(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            course = Course(
                title="Hernia Masterclass", starts_on=date(2027, 3, 1), edited_fields=[]
            )
            session.add(course)
            session.flush()
            course_id = course.id
        listed = client.get("/api/v1/courses", params={"status": "extracted"}, headers=admin)
        assert [c["id"] for c in listed.json()["items"]] == [course_id]
        confirmed = client.patch(
            f"/api/v1/courses/{course_id}",
            json={"status": "confirmed", "fee": 12000, "seats": 25},
            headers=admin,
        )
        assert confirmed.status_code == 200, confirmed.text
        body = confirmed.json()
        assert (body["status"], body["fee"], body["seats"]) == ("confirmed", "12000.00", 25)
        assert sorted(body["edited_fields"]) == ["fee", "seats"]
        with session_scope(runtime.session_factory) as session:
            assert session.scalars(select(Course)).one().status is CourseStatus.confirmed
        drain(runtime.queue)
        actions = [e["action"] for e in client.get("/api/v1/audit", headers=admin).json()["items"]]
        assert "course.confirmed" in actions

    def test_create_list_in_date_order_and_delete(
        self, client: TestClient, admin: dict[str, str], agent: dict[str, str]
    ) -> None:
        for title, starts in [("Later", "2027-05-01"), ("Undated", None), ("Sooner", "2027-01-12")]:
            response = client.post(
                "/api/v1/courses",
                json={"title": title, "starts_on": starts, "city": "Pune"},
                headers=admin,
            )
            assert response.status_code == 201, response.text
            assert response.json()["status"] == "confirmed"
        page = client.get("/api/v1/courses", params={"limit": 2}, headers=agent).json()
        assert [c["title"] for c in page["items"]] == ["Sooner", "Later"]
        rest = client.get(
            "/api/v1/courses", params={"cursor": page["next_cursor"]}, headers=agent
        ).json()
        assert [c["title"] for c in rest["items"]] == ["Undated"]
        course_id = rest["items"][0]["id"]
        assert (
            client.patch(
                f"/api/v1/courses/{course_id}", json={"status": "confirmed"}, headers=agent
            ).status_code
            == 403
        )
        assert client.delete(f"/api/v1/courses/{course_id}", headers=admin).status_code == 204
        assert client.get(f"/api/v1/courses/{course_id}", headers=admin).status_code == 404

    @pytest.mark.parametrize(
        "body",
        [
            {"title": ""},
            {"title": "X", "starts_on": "2027-02-02", "ends_on": "2027-02-01"},
            {"title": "X", "fee": "-5"},
            {"title": "X", "seats": -1},
            {"title": "X", "status": "maybe"},
        ],
    )
    def test_invalid_courses_are_refused(
        self, client: TestClient, admin: dict[str, str], body: dict[str, object]
    ) -> None:
        assert client.post("/api/v1/courses", json=body, headers=admin).status_code == 422

    def test_an_edit_may_not_end_a_course_before_it_starts(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        course = client.post(
            "/api/v1/courses", json={"title": "X", "starts_on": "2027-02-02"}, headers=admin
        ).json()
        response = client.patch(
            f"/api/v1/courses/{course['id']}", json={"ends_on": "2027-02-01"}, headers=admin
        )
        assert response.status_code == 422
