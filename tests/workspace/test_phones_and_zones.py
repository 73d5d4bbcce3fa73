"""The workspace's default phone region (`default_region`), the phone preview every phone field
of the dashboard uses, and the time zones to choose from. SQLite and PostgreSQL.

Issue 18 (4, 5): "98765 43210" was saved as +98 (Iran); the time-zone picker found no
"Kolkata" (the browser knows only "Asia/Calcutta")."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from surgiai.kit.timezones import canonical, time_zone_options

SETTINGS = "/api/v1/settings"
PREVIEW = "/api/v1/settings/phone-preview"
ZONES = "/api/v1/settings/time-zones"


class TestPhonePreview:
    def test_a_number_without_country_code_is_read_as_indian_by_default(
        self, client: TestClient, owner: dict[str, str]
    ) -> None:
        response = client.post(PREVIEW, json={"phone": "98765 43210"}, headers=owner)

        assert response.status_code == 200, response.text
        assert response.json() == {
            "wa_id": "919876543210",
            "international": "+91 98765 43210",
            "region": "IN",
            "problem": None,
            "default_region": "IN",
        }

    def test_the_workspaces_region_reads_numbers_without_country_code(
        self, client: TestClient, owner: dict[str, str]
    ) -> None:
        assert (
            client.patch(SETTINGS, json={"default_region": "ae"}, headers=owner).json()[
                "default_region"
            ]
            == "AE"
        )

        local = client.post(PREVIEW, json={"phone": "050 123 4567"}, headers=owner).json()
        indian = client.post(PREVIEW, json={"phone": "+91 98765 43210"}, headers=owner).json()

        assert (local["international"], local["region"]) == ("+971 50 123 4567", "AE")
        assert indian["wa_id"] == "919876543210"

    @pytest.mark.parametrize(
        ("typed", "reason"),
        [
            ("98765", "'98765' has too few or too many digits for its country"),
            ("+98 765 43210", "'+98 765 43210' is not a valid number for its country"),
            ("call me", "'call me' has letters in it"),
        ],
    )
    def test_an_impossible_number_gets_the_reason_saving_it_would_be_refused_with(
        self, client: TestClient, owner: dict[str, str], typed: str, reason: str
    ) -> None:
        preview = client.post(PREVIEW, json={"phone": typed}, headers=owner)
        saved = client.patch("/api/v1/auth/me", json={"phone": typed}, headers=owner)

        expected = (
            f"phone: {reason}. Type a mobile number with its country code, like "
            "+91 98765 43210, or as dialled in IN."
        )
        assert (preview.json()["wa_id"], preview.json()["problem"]) == (None, expected)
        assert saved.status_code == 422
        assert saved.json()["detail"] == expected

    def test_an_unknown_region_is_refused(self, client: TestClient, owner: dict[str, str]) -> None:
        response = client.patch(SETTINGS, json={"default_region": "XX"}, headers=owner)

        assert response.status_code == 422
        assert "two-letter code" in response.json()["detail"]

    def test_logged_out_nobody_previews(self, client: TestClient) -> None:
        assert client.post(PREVIEW, json={"phone": "98765 43210"}).status_code == 401


class TestTimeZones:
    @pytest.mark.parametrize("typed", ["Kolkata", "kolk", "Calcutta", "India", "IST"])
    def test_india_is_found_by_city_old_name_country_and_abbreviation(
        self, client: TestClient, owner: dict[str, str], typed: str
    ) -> None:
        response = client.get(ZONES, params={"q": typed}, headers=owner)

        assert response.status_code == 200
        names = [zone["name"] for zone in response.json()]
        assert "Asia/Kolkata" in names[:3]
        assert "Asia/Calcutta" not in names

    def test_every_zone_is_listed_once_with_its_aliases(
        self, client: TestClient, owner: dict[str, str]
    ) -> None:
        zones = client.get(ZONES, headers=owner).json()

        by_name = {zone["name"]: zone for zone in zones}
        assert len(by_name) == len(zones) > 300
        assert by_name["Asia/Kolkata"] | {"keywords": []} == {
            "name": "Asia/Kolkata",
            "city": "Kolkata",
            "country": "India",
            "utc_offset": "+05:30",
            "abbreviation": "IST",
            "aliases": ["Asia/Calcutta"],
            "keywords": [],
        }
        assert "UTC" in by_name

    def test_an_old_name_is_saved_as_the_current_one(
        self, client: TestClient, owner: dict[str, str]
    ) -> None:
        response = client.patch(SETTINGS, json={"timezone": "Asia/Calcutta"}, headers=owner)

        assert response.json()["timezone"] == "Asia/Kolkata"


class TestTimeZoneSearch:
    def test_the_best_match_comes_first(self) -> None:
        assert time_zone_options("india")[0].name == "Asia/Kolkata"
        assert time_zone_options("new york")[0].name == "America/New_York"
        assert canonical("Etc/UTC") == "UTC"
