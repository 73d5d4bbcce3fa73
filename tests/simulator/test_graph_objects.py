"""Graph reads and management: phone number fields, WABA numbers, message templates."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from tests.simulator.harness import AUTH, PNID, WABA, Harness, HarnessFactory, template_send

pytestmark = pytest.mark.anyio


async def get(h: Harness, path: str, version: str = "v25.0", **params: Any) -> httpx.Response:
    return await h.client.get(f"/graph/{version}/{path}", params=params, headers=AUTH)


class TestPhoneNumberFields:
    async def test_only_requested_fields_plus_id(self, h: Harness) -> None:
        response = await get(h, PNID, fields="display_phone_number,quality_rating")
        assert response.json() == {
            "display_phone_number": "+1 555-078-3881",
            "quality_rating": "GREEN",
            "id": PNID,
        }

    async def test_every_supported_field(self, h: Harness) -> None:
        fields = (
            "verified_name,status,code_verification_status,name_status,platform_type,"
            "throughput,whatsapp_business_manager_messaging_limit"
        )
        body = (await get(h, PNID, fields=fields)).json()
        assert body == {
            "verified_name": "SurgiAI Demo",
            "status": "CONNECTED",
            "code_verification_status": "VERIFIED",
            "name_status": "APPROVED",
            "platform_type": "CLOUD_API",
            "throughput": {"level": "STANDARD"},
            "whatsapp_business_manager_messaging_limit": "TIER_250",
            "id": PNID,
        }

    async def test_every_field_of_the_node(self, h: Harness) -> None:
        # v23: the last version that still has `messaging_limit_tier`.
        body = (await get(h, PNID, version="v23.0", fields=",".join(NODE_FIELDS))).json()
        assert list(body) == [*NODE_FIELDS[1:], "id"]
        assert body["id"] == PNID
        assert body["quality_score"] == {"score": "GREEN"}
        assert body["conversational_automation"] == {
            "enable_welcome_message": False,
            "prompts": [],
            "commands": [],
        }
        assert (body["country_code"], body["country_dial_code"]) == ("US", "1")
        assert body["is_on_biz_app"] is False
        assert body["is_official_business_account"] is False
        assert body["new_name_status"] == "NONE"
        assert body["messaging_limit_tier"] == "TIER_250"
        assert body["last_onboarded_time"] == "2025-06-15T15:06:40+0000"
        assert base64.b64decode(body["certificate"], validate=True)
        assert body["health_status"] == {
            "can_send_message": "AVAILABLE",
            "entities": [
                {"entity_type": "PHONE_NUMBER", "id": PNID, "can_send_message": "AVAILABLE"},
                {"entity_type": "WABA", "id": WABA, "can_send_message": "AVAILABLE"},
                {"entity_type": "BUSINESS", "id": "bp-1", "can_send_message": "AVAILABLE"},
            ],
        }

    async def test_fields_follow_the_number(self, h: Harness) -> None:
        await h.register(
            display_phone_number="+91 98100 00001",
            throughput_level="COEXISTENCE",
            quality_rating="YELLOW",
            payment_issue=True,
        )
        fields = "country_code,country_dial_code,is_on_biz_app,quality_score,health_status"
        body = (await get(h, PNID, fields=fields)).json()
        assert (body["country_code"], body["country_dial_code"]) == ("IN", "91")
        assert body["is_on_biz_app"] is True
        assert body["quality_score"] == {"score": "YELLOW"}
        health = body["health_status"]
        assert health["can_send_message"] == "BLOCKED"
        waba = health["entities"][1]
        assert waba["can_send_message"] == "BLOCKED"
        assert waba["errors"][0]["error_code"] == 141006

    async def test_defaults_without_fields(self, h: Harness) -> None:
        body = (await get(h, PNID)).json()
        assert set(body) == {
            "verified_name",
            "code_verification_status",
            "display_phone_number",
            "quality_rating",
            "platform_type",
            "throughput",
            "webhook_configuration",
            "id",
        }
        assert body["webhook_configuration"] == {"application": "http://receiver.test/webhook"}

    async def test_throughput_level_and_tier_follow_control(self, h: Harness) -> None:
        await h.register(throughput_level="HIGH", tier="TIER_10K", quality_rating="YELLOW")
        body = (
            await get(
                h,
                PNID,
                fields="throughput,whatsapp_business_manager_messaging_limit,quality_rating",
            )
        ).json()
        assert body["throughput"] == {"level": "HIGH"}
        assert body["whatsapp_business_manager_messaging_limit"] == "TIER_10K"
        assert body["quality_rating"] == "YELLOW"

    async def test_messaging_limit_tier_only_up_to_v23(self, h: Harness) -> None:
        await h.register(tier="TIER_2K")
        old = await get(h, PNID, version="v23.0", fields="messaging_limit_tier")
        assert old.json() == {"messaging_limit_tier": "TIER_1K", "id": PNID}
        new = await get(h, PNID, version="v24.0", fields="messaging_limit_tier")
        assert new.json()["error"]["code"] == 100

    async def test_unknown_field_is_100(self, h: Harness) -> None:
        response = await get(h, PNID, fields="display_phone_number,favourite_colour")
        assert response.status_code == 400
        assert response.json()["error"]["error_data"]["details"] == (
            "Tried accessing nonexisting field (favourite_colour) on node type "
            "(WhatsAppBusinessPhoneNumber)"
        )

    async def test_unknown_object_and_auth(self, h: Harness) -> None:
        assert (await get(h, "4242")).json()["error"]["code"] == 100
        response = await h.client.get(f"/graph/v25.0/{PNID}")
        assert response.json()["error"]["code"] == 190


NODE_FIELDS = [
    "id",
    "display_phone_number",
    "verified_name",
    "quality_rating",
    "quality_score",
    "code_verification_status",
    "name_status",
    "new_name_status",
    "platform_type",
    "throughput",
    "status",
    "messaging_limit_tier",
    "whatsapp_business_manager_messaging_limit",
    "is_official_business_account",
    "is_pin_enabled",
    "is_on_biz_app",
    "account_mode",
    "certificate",
    "conversational_automation",
    "country_code",
    "country_dial_code",
    "health_status",
    "last_onboarded_time",
    "search_visibility",
    "webhook_configuration",
    "is_preverified_number",
    "eligibility_for_api_business_global_search",
]


class TestWaba:
    async def test_phone_numbers(self, h: Harness) -> None:
        await h.register("777", display_phone_number="15550000777", quality_rating="RED")
        body = (await get(h, f"{WABA}/phone_numbers")).json()
        assert [n["id"] for n in body["data"]] == [PNID, "777"]
        assert body["data"][1] == {
            "verified_name": "SurgiAI Demo",
            "display_phone_number": "15550000777",
            "quality_rating": "RED",
            "id": "777",
        }

    async def test_phone_numbers_with_fields(self, h: Harness) -> None:
        body = (await get(h, f"{WABA}/phone_numbers", fields="throughput")).json()
        assert body["data"] == [{"throughput": {"level": "STANDARD"}, "id": PNID}]

    async def test_unknown_edge_is_a_graph_error(self, h: Harness) -> None:
        response = await h.client.post(f"/graph/v25.0/{WABA}/subscribed_apps", headers=AUTH)
        assert response.json()["error"]["code"] == 100


class TestMessageTemplates:
    async def create(self, h: Harness, **overrides: Any) -> httpx.Response:
        body = {
            "name": "cme_invite",
            "language": "es_MX",
            "category": "MARKETING",
            "components": [{"type": "BODY", "text": "Hola {{1}}, curso {{2}}"}],
            **overrides,
        }
        return await h.client.post(
            f"/graph/v25.0/{WABA}/message_templates", json=body, headers=AUTH
        )

    async def test_create_is_pending_then_approved_with_webhook(self, h: Harness) -> None:
        created = await self.create(h)
        assert created.status_code == 200
        body = created.json()
        assert body["status"] == "PENDING" and body["category"] == "MARKETING"
        listed = (await get(h, f"{WABA}/message_templates", name="cme_invite")).json()
        assert listed["data"][0]["status"] == "PENDING"
        await h.drain()
        listed = (await get(h, f"{WABA}/message_templates", name="cme_invite")).json()
        assert listed["data"][0]["status"] == "APPROVED"
        events = [
            change["value"]["event"]
            for post in h.receiver.posts
            for entry in post.payload["entry"]
            for change in entry["changes"]
        ]
        assert events == ["APPROVED"]
        assert (await get(h, body["id"])).json()["name"] == "cme_invite"

    async def test_pending_template_cannot_be_sent(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(auto_approve_templates=False)
        await self.create(h, language="en_US")
        response = await h.send(template_send("cme_invite", "a", "b"))
        assert response.json()["error"]["code"] == 132001

    @pytest.mark.parametrize(
        "overrides",
        [
            {"name": "Bad Name"},
            {"category": "PROMO"},
            {"components": [{"type": "FOOTER", "text": "x"}]},
            {"language": ""},
        ],
    )
    async def test_invalid_creation_is_100(self, h: Harness, overrides: dict[str, Any]) -> None:
        assert (await self.create(h, **overrides)).json()["error"]["code"] == 100

    async def test_duplicate_is_rejected(self, h: Harness) -> None:
        await self.create(h)
        assert (await self.create(h)).json()["error"]["code"] == 100

    async def test_waba_template_cap(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(max_templates_per_waba=1)
        await self.create(h)
        assert (await self.create(h, name="second")).json()["error"]["code"] == 100

    async def test_summary(self, h: Harness) -> None:
        await h.template(name="order_update", language="en_US")
        await h.template(name="order_update", language="hi")
        await h.template(name="cme_invite", language="en_US", status="PENDING")
        listed = (await get(h, f"{WABA}/message_templates", summary="true", limit=1)).json()
        assert len(listed["data"]) == 1 and "paging" in listed
        assert listed["summary"] == {
            "total_count": 3,
            "message_template_count": 2,
            "message_template_limit": 250,
            "are_translations_complete": False,
        }
        some = await get(
            h, f"{WABA}/message_templates", summary="total_count,are_translations_complete"
        )
        assert some.json()["summary"] == {"total_count": 3, "are_translations_complete": False}
        await h.template(name="cme_invite", language="hi")
        approved = await get(h, f"{WABA}/message_templates", status="APPROVED", summary="true")
        assert approved.json()["summary"]["total_count"] == 3
        assert approved.json()["summary"]["are_translations_complete"] is True
        assert "summary" not in (await get(h, f"{WABA}/message_templates")).json()
        wrong = await get(h, f"{WABA}/message_templates", summary="total_count,colour")
        assert wrong.json()["error"]["code"] == 100

    async def test_limit_counts_names_not_translations(self, make_harness: HarnessFactory) -> None:
        h: Harness = await make_harness(max_templates_per_waba=1)
        await self.create(h)
        assert (await self.create(h, language="hi")).status_code == 200
        assert (await self.create(h, name="second")).json()["error"]["code"] == 100

    async def test_paging_and_delete(self, h: Harness) -> None:
        for index in range(3):
            await h.template(name=f"t{index}")
        first = (await get(h, f"{WABA}/message_templates", limit=2)).json()
        assert [t["name"] for t in first["data"]] == ["t0", "t1"]
        assert "next" in first["paging"]
        after = first["paging"]["cursors"]["after"]
        second = (await get(h, f"{WABA}/message_templates", limit=2, after=after)).json()
        assert [t["name"] for t in second["data"]] == ["t2"]
        deleted = await h.client.delete(
            f"/graph/v25.0/{WABA}/message_templates", params={"name": "t1"}, headers=AUTH
        )
        assert deleted.json() == {"success": True}
        names = [t["name"] for t in (await get(h, f"{WABA}/message_templates")).json()["data"]]
        assert names == ["t0", "t2"]
