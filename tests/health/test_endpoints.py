from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from surgiai.runtime import Runtime


class TestHealth:
    def test_healthz_answers_without_login(self, client: TestClient) -> None:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    def test_readyz_reports_database_and_queue(self, client: TestClient) -> None:
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["checks"] == {"database": "ok", "queue": "ok"}

    def test_readyz_is_503_when_the_database_is_gone(
        self, client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken() -> None:
            raise ConnectionError("database down")

        monkeypatch.setattr(runtime, "check_database", broken)
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["database"] == "unreachable"

    def test_metrics_are_prometheus_text(self, client: TestClient) -> None:
        client.get("/healthz")
        response = client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert 'surgiai_http_requests_total{method="GET",route="/healthz",status="200"}' in (
            response.text
        )
