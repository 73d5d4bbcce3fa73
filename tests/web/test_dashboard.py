"""The dashboard's files at `/`: caching, SPA fallback, compression, and the backend's own paths
left alone."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from surgiai import web
from surgiai.app import create_app
from surgiai.runtime import Runtime
from surgiai.web import BACKEND_CSP, IMMUTABLE, REVALIDATE, mount_dashboard

INDEX = "<!doctype html><title>SurgiAI</title><div id=root></div>"
SCRIPT = "console.log('dashboard');" * 100


@pytest.fixture
def build(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text(INDEX)
    (static / "favicon.svg").write_text("<svg/>")
    (static / "assets" / "index-abc123.js").write_text(SCRIPT)
    (static / "assets" / "index-abc123.js.gz").write_bytes(gzip.compress(SCRIPT.encode()))
    (tmp_path / "secret.txt").write_text("outside the build")
    return static


def client_for(static: Path) -> TestClient:
    app = FastAPI()

    @app.get("/api/v1/numbers")
    def numbers() -> list[str]:
        return []

    @app.post("/api/v1/auth/login")
    def login() -> dict[str, str]:
        return {}

    mount_dashboard(app, static)
    return TestClient(app)


class TestServing:
    def test_index_is_revalidated_on_every_load(self, build: Path) -> None:
        response = client_for(build).get("/")
        assert response.status_code == 200
        assert response.text == INDEX
        assert response.headers["cache-control"] == REVALIDATE
        assert response.headers["content-type"].startswith("text/html")

    def test_dashboard_routes_get_the_index(self, build: Path) -> None:
        client = client_for(build)
        for path in ("/numbers", "/users", "/login", "/inbox/42?tab=notes"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.text == INDEX
            assert response.headers["cache-control"] == REVALIDATE

    def test_hashed_assets_are_cached_for_a_year_and_sent_compressed(self, build: Path) -> None:
        client = client_for(build)
        compressed = client.get("/assets/index-abc123.js")
        assert compressed.status_code == 200
        assert compressed.headers["cache-control"] == IMMUTABLE
        assert compressed.headers["content-encoding"] == "gzip"
        assert compressed.headers["vary"] == "Accept-Encoding"
        assert "javascript" in compressed.headers["content-type"]
        assert compressed.text == SCRIPT

        plain = client.get("/assets/index-abc123.js", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.text == SCRIPT

    def test_a_missing_asset_is_404_not_the_index(self, build: Path) -> None:
        assert client_for(build).get("/assets/index-old999.js").status_code == 404

    def test_files_outside_the_build_are_not_served(self, build: Path) -> None:
        response = client_for(build).get("/..%2Fsecret.txt")
        assert "outside the build" not in response.text

    def test_other_top_level_files_are_served_and_revalidated(self, build: Path) -> None:
        response = client_for(build).get("/favicon.svg")
        assert response.text == "<svg/>"
        assert response.headers["cache-control"] == REVALIDATE


class TestBackendPathsAreLeftAlone:
    @pytest.mark.parametrize(
        "path",
        ["/api/v1/nothing-here", "/api", "/webhooks/other", "/simulator/graph/v1", "/metrics"],
    )
    def test_unknown_backend_paths_stay_json_404(self, build: Path, path: str) -> None:
        response = client_for(build).get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}

    def test_api_routes_still_answer(self, build: Path) -> None:
        client = client_for(build)
        assert client.get("/api/v1/numbers").json() == []
        assert client.get("/api/v1/auth/login").status_code == 405

    def test_writes_to_dashboard_paths_are_not_answered_with_the_index(self, build: Path) -> None:
        response = client_for(build).post("/numbers")
        assert response.status_code == 404
        assert INDEX not in response.text


class TestMissingBuild:
    def test_says_how_to_build_the_dashboard(self, tmp_path: Path) -> None:
        response = client_for(tmp_path / "no-build").get("/")
        assert response.status_code == 503
        assert "make install" in response.text
        assert response.headers["cache-control"] == "no-store"

    def test_the_api_works_without_it(self, tmp_path: Path) -> None:
        client = client_for(tmp_path / "no-build")
        assert client.get("/api/v1/numbers").json() == []
        assert client.get("/api/v1/nothing-here").status_code == 404


class TestTheApplication:
    def test_create_app_serves_the_dashboard_after_every_route(
        self, build: Path, monkeypatch: pytest.MonkeyPatch, runtime: Runtime
    ) -> None:
        monkeypatch.setattr(web, "STATIC_DIR", build)
        with TestClient(create_app(runtime)) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
            assert client.get("/api/v1/numbers").status_code == 401
            unknown = client.get("/api/v1/no-such-route")
            assert (unknown.status_code, unknown.json()) == (
                404,
                {"error": "NotFound", "detail": "Not Found"},
            )
            assert client.get("/").text == INDEX
            assert client.get("/numbers").text == INDEX


class TestBrowserHardening:
    """Clickjacking, type sniffing and injected scripts: every response says what a browser
    may do with it."""

    @pytest.fixture
    def client(
        self, build: Path, monkeypatch: pytest.MonkeyPatch, runtime: Runtime
    ) -> Iterator[TestClient]:
        monkeypatch.setattr(web, "STATIC_DIR", build)
        with TestClient(create_app(runtime)) as client:
            yield client

    @pytest.mark.parametrize("path", ["/", "/inbox/42", "/assets/index-abc123.js"])
    def test_the_dashboard_runs_only_its_own_scripts_and_is_never_framed(
        self, client: TestClient, path: str
    ) -> None:
        response = client.get(path)
        assert response.status_code == 200
        policy = dict(
            directive.strip().split(" ", 1)
            for directive in response.headers["content-security-policy"].split(";")
        )
        assert policy["script-src"] == "'self'"
        assert policy["default-src"] == "'self'"
        assert policy["object-src"] == "'none'"
        assert policy["frame-ancestors"] == "'none'"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"

    @pytest.mark.parametrize("path", ["/healthz", "/api/v1/numbers", "/api/v1/no-such-route"])
    def test_api_answers_are_never_documents_that_run_anything(
        self, client: TestClient, path: str
    ) -> None:
        response = client.get(path)
        assert response.headers["content-security-policy"] == BACKEND_CSP
        assert "sandbox" in BACKEND_CSP and "default-src 'none'" in BACKEND_CSP
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"

    def test_headers_are_not_repeated(self, client: TestClient) -> None:
        response = client.get("/")
        assert response.headers.get_list("x-content-type-options") == ["nosniff"]
        assert len(response.headers.get_list("content-security-policy")) == 1
