"""Errors as clients meet them: a malformed JSON body after the login check, with where it broke;
a colleague's phone refused on the users route as on /auth/me; a 500 that tells a keep-alive
client the connection closes."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient

from surgiai.app import create_app
from surgiai.auth.service import auth_service
from surgiai.runtime import Runtime
from tests.fixtures import create_user, login
from tests.services import free_port, wait_for

MALFORMED = '{"name": "Dr. Meera Iyer",, "role": "agent"}'
JSON = {"Content-Type": "application/json"}


class TestMalformedJson:
    @pytest.mark.parametrize(
        ("method", "path"),
        [("PATCH", "/api/v1/users/1"), ("POST", "/api/v1/users"), ("PATCH", "/api/v1/settings")],
    )
    def test_without_a_login_it_is_a_401_first(
        self, client: TestClient, method: str, path: str
    ) -> None:
        response = client.request(method, path, content=MALFORMED, headers=JSON)
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "NotAuthenticated"

    def test_logged_in_it_is_a_400_naming_line_and_column(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime)
        headers = {**login(client, "owner@example.com"), **JSON}
        response = client.patch("/api/v1/users/1", content=MALFORMED, headers=headers)
        assert response.status_code == 400
        assert response.json() == {
            "error": "BadRequest",
            "detail": "The body is not valid JSON: Expecting property name enclosed in double "
            "quotes at line 1, column 27.",
        }
        response = client.post(
            "/api/v1/users", content='{\n  "email": "a@b.in"\n  "name": 1}', headers=headers
        )
        assert response.status_code == 400
        assert "at line 3, column 3" in response.json()["detail"]

    def test_bytes_that_are_not_text_are_a_400(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime)
        headers = {**login(client, "owner@example.com"), **JSON}
        response = client.patch("/api/v1/settings", content=b'{"a": "\xff\xfe"}', headers=headers)
        assert response.status_code == 400
        assert response.json()["detail"].startswith("The body is not valid JSON")

    def test_the_login_itself_names_the_position(self, client: TestClient) -> None:
        response = client.post("/api/v1/auth/login", content='{"email": }', headers=JSON)
        assert response.status_code == 400
        assert "line 1, column 11" in response.json()["detail"]

    def test_a_valid_body_still_reaches_the_route(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime)
        headers = {**login(client, "owner@example.com"), **JSON}
        response = client.patch(
            "/api/v1/settings", content='{"business_name": "Sushruta Surgicals"}', headers=headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["business_name"] == "Sushruta Surgicals"


class TestPhoneOfAColleague:
    def test_an_admin_cannot_give_a_user_another_users_phone(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime)
        first = create_user(runtime, email="dr.anil.menon@example.com")
        second = create_user(runtime, email="dr.kavya.reddy@example.com")
        headers = login(client, "owner@example.com")
        phone = "+91 98450 12345"
        given = client.patch(f"/api/v1/users/{first.id}", json={"phone": phone}, headers=headers)
        assert given.status_code == 200, given.text
        refused = client.patch(
            f"/api/v1/users/{second.id}", json={"phone": "919845012345"}, headers=headers
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"] == "Conflict"
        assert client.get(f"/api/v1/users/{second.id}", headers=headers).json()["phone"] is None
        again = client.patch(f"/api/v1/users/{first.id}", json={"phone": phone}, headers=headers)
        assert again.status_code == 200, "a user's own phone is not another's"


@pytest.fixture
def served(runtime: Runtime) -> Iterator[str]:
    """The app on a real server (uvicorn in a thread), where keep-alive connections exist."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, message="uvicorn did not start")
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


class TestServerError:
    @pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
    def test_a_500_says_the_connection_closes_and_closes_it(
        self, served: str, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(*_: object) -> None:
            raise RuntimeError("the session store is unreadable")

        monkeypatch.setattr(auth_service, "authenticate", broken)
        host, port = served.split(":")
        # The timeout only bounds a failing test (the error is logged, with its traceback, first).
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        connection.request("GET", "/healthz")
        assert connection.getresponse().read() == b'{"status":"ok"}'
        connection.request("GET", "/api/v1/auth/me", headers={"Authorization": "Bearer abc"})
        response = connection.getresponse()
        assert response.status == 500
        assert response.getheader("connection") == "close"
        assert response.read() == (
            b'{"error":"InternalError","detail":"Something went wrong on our side."}'
        )
        assert response.will_close
        connection.close()
