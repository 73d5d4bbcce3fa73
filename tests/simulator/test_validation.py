"""`POST /{pnid}/messages`: auth, body validation and the exact error/success shapes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.simulator.harness import AUTH, DOCTOR, PNID, Harness, HarnessFactory, template_send

pytestmark = pytest.mark.anyio


def assert_graph_error(response: Any, code: int, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert list(error) == [
        "message",
        "type",
        "code",
        "error_data",
        "error_subcode",
        "fbtrace_id",
    ]
    assert error["code"] == code
    assert error["type"] == "OAuthException"
    assert re.fullmatch(rf"\(#{code}\) .+", error["message"])
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert isinstance(error["error_data"]["details"], str) and error["error_data"]["details"]
    assert isinstance(error["error_subcode"], int)
    assert re.fullmatch(r"[A-Za-z0-9_-]{23}", error["fbtrace_id"])
    details: dict[str, Any] = error
    return details


def buttons(count: int, title: str = "Option") -> dict[str, Any]:
    return {
        "to": DOCTOR,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Choose one"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": f"b{i}", "title": f"{title} {i}"}}
                    for i in range(count)
                ]
            },
        },
    }


def list_message(sections: int, rows_per_section: int) -> dict[str, Any]:
    return {
        "to": DOCTOR,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Pick a course"},
            "action": {
                "button": "Courses",
                "sections": [
                    {
                        "title": f"Section {s}",
                        "rows": [
                            {"id": f"s{s}r{r}", "title": f"Row {r}"}
                            for r in range(rows_per_section)
                        ],
                    }
                    for s in range(sections)
                ],
            },
        },
    }


class TestAuth:
    async def test_missing_token_is_190_with_401(self, h: Harness) -> None:
        response = await h.send_text(headers={})
        error = assert_graph_error(response, 190, status=401)
        assert "access token is required" in error["error_data"]["details"]
        assert response.headers["www-authenticate"].startswith('OAuth "Facebook Platform"')

    async def test_wrong_token_is_190(self, h: Harness) -> None:
        response = await h.send(
            {"to": DOCTOR, "text": {"body": "x"}}, headers={"Authorization": "Bearer nope"}
        )
        assert_graph_error(response, 190, status=401)

    async def test_auth_status_is_configurable(self, make_harness: HarnessFactory) -> None:
        harness: Harness = await make_harness(auth_error_http_status=400)
        response = await harness.send_text(headers={"Authorization": "Bearer nope"})
        assert_graph_error(response, 190, status=400)

    async def test_unknown_phone_number_id_is_100(self, h: Harness) -> None:
        response = await h.send({"to": DOCTOR, "text": {"body": "x"}}, pnid="999")
        error = assert_graph_error(response, 100)
        assert error["error_subcode"] == 33
        assert "'999' does not exist" in error["error_data"]["details"]

    async def test_access_token_query_parameter_is_accepted(self, h: Harness) -> None:
        await h.inbound()
        response = await h.client.post(
            f"/graph/v25.0/{PNID}/messages?access_token=sim-access-token",
            json={"messaging_product": "whatsapp", "to": DOCTOR, "text": {"body": "x"}},
        )
        assert response.status_code == 200

    async def test_bad_version_is_rejected(self, h: Harness) -> None:
        await h.inbound()
        assert_graph_error(await h.send_text(version="latest"), 100)
        assert (await h.send_text(version="v19.0")).status_code == 200


class TestSuccessShape:
    async def test_text_send_echoes_input_and_normalizes_wa_id(self, h: Harness) -> None:
        await h.inbound()
        response = await h.send_text(to="+52 1 (55) 1234-5678")
        assert response.status_code == 200
        body = response.json()
        assert list(body) == ["messaging_product", "contacts", "messages"]
        assert body["messaging_product"] == "whatsapp"
        assert body["contacts"] == [
            {
                "input": "+52 1 (55) 1234-5678",
                "wa_id": DOCTOR,
                "user_id": (await h.user())["user_id"],
            }
        ]
        assert len(body["messages"]) == 1
        assert list(body["messages"][0]) == ["id"]
        assert body["messages"][0]["id"].startswith("wamid.HBg")

    async def test_wamids_are_unique(self, h: Harness) -> None:
        await h.inbound()
        ids = {h.wamid(await h.send_text(body=f"n{i}")) for i in range(20)}
        assert len(ids) == 20

    async def test_type_defaults_to_text(self, h: Harness) -> None:
        await h.inbound()
        assert (await h.send({"to": DOCTOR, "text": {"body": "x"}})).status_code == 200

    async def test_template_send_has_message_status_accepted(self, h: Harness) -> None:
        await h.template()
        response = await h.send(template_send("order_update", "Ana", "A-1"))
        assert response.json()["messages"][0]["message_status"] == "accepted"

    async def test_paced_template_is_held_for_quality_assessment(self, h: Harness) -> None:
        await h.template(name="promo", category="MARKETING", paced=True, components=[])
        response = await h.send(template_send("promo", to="5215500000001"))
        status = response.json()["messages"][0]["message_status"]
        assert status == "held_for_quality_assessment"

    async def test_mx_br_rewrite_is_optional(self, make_harness: HarnessFactory) -> None:
        harness: Harness = await make_harness(rewrite_mx_br_numbers=True)
        await harness.template()
        response = await harness.send(template_send("order_update", "a", "b", to="+525512345678"))
        (contact,) = response.json()["contacts"]
        assert (contact["input"], contact["wa_id"]) == ("+525512345678", "5215512345678")


class TestEnvelopeValidation:
    @pytest.mark.parametrize(
        ("payload", "code"),
        [
            ({"messaging_product": "sms", "to": DOCTOR, "text": {"body": "x"}}, 100),
            ({"text": {"body": "x"}}, 131008),
            ({"to": "not a phone", "text": {"body": "x"}}, 100),
            ({"to": DOCTOR, "type": "carousel", "carousel": {}}, 100),
            ({"to": DOCTOR, "type": "image"}, 131008),
            ({"to": DOCTOR, "recipient_type": "group", "text": {"body": "x"}}, 100),
        ],
    )
    async def test_envelope_errors(self, h: Harness, payload: dict[str, Any], code: int) -> None:
        assert_graph_error(await h.send(payload), code)

    async def test_sending_to_yourself_is_131021(self, h: Harness) -> None:
        assert_graph_error(await h.send_text(to="+1 555 078 3881"), 131021)

    async def test_non_json_body_is_100(self, h: Harness) -> None:
        response = await h.client.post(
            f"/graph/v25.0/{PNID}/messages", content=b"{not json", headers=AUTH
        )
        assert_graph_error(response, 100)

    async def test_error_http_status_is_configurable(self, make_harness: HarnessFactory) -> None:
        harness: Harness = await make_harness(error_http_status=422)
        assert_graph_error(await harness.send({"text": {"body": "x"}}), 131008, status=422)

    async def test_meta_http_statuses(self, make_harness: HarnessFactory) -> None:
        harness: Harness = await make_harness(meta_http_statuses=True)
        await harness.client.post("/control/faults", json={"code": 131016})
        await harness.inbound()
        assert_graph_error(await harness.send_text(), 131016, status=503)

    async def test_subcode_can_be_left_out(self, make_harness: HarnessFactory) -> None:
        harness: Harness = await make_harness(include_error_subcode=False)
        response = await harness.send({"text": {"body": "x"}})
        assert "error_subcode" not in response.json()["error"]


class TestTextValidation:
    async def test_body_of_4096_is_accepted_and_4097_rejected(self, h: Harness) -> None:
        await h.inbound()
        assert (await h.send_text(body="x" * 4096)).status_code == 200
        error = assert_graph_error(await h.send_text(body="x" * 4097), 100)
        assert "4096" in error["error_data"]["details"]

    async def test_missing_body_is_131008(self, h: Harness) -> None:
        assert_graph_error(await h.send({"to": DOCTOR, "type": "text", "text": {}}), 131008)

    async def test_preview_url_must_be_boolean(self, h: Harness) -> None:
        payload = {"to": DOCTOR, "text": {"body": "x", "preview_url": "yes"}}
        assert_graph_error(await h.send(payload), 100)


class TestInteractiveValidation:
    async def test_three_buttons_ok_four_rejected(self, h: Harness) -> None:
        await h.inbound()
        assert (await h.send(buttons(3))).status_code == 200
        assert_graph_error(await h.send(buttons(4)), 131009)
        assert_graph_error(await h.send(buttons(0)), 131009)

    async def test_button_title_over_20_is_100(self, h: Harness) -> None:
        payload = buttons(1, title="A title that is too long")
        error = assert_graph_error(await h.send(payload), 100)
        assert "at most 20" in error["error_data"]["details"]

    async def test_duplicate_button_ids_are_131009(self, h: Harness) -> None:
        payload = buttons(2)
        payload["interactive"]["action"]["buttons"][1]["reply"]["id"] = "b0"
        assert_graph_error(await h.send(payload), 131009)

    async def test_button_body_and_footer_limits(self, h: Harness) -> None:
        payload = buttons(1)
        payload["interactive"]["body"]["text"] = "x" * 1025
        assert_graph_error(await h.send(payload), 100)
        payload = buttons(1)
        payload["interactive"]["footer"] = {"text": "x" * 61}
        assert_graph_error(await h.send(payload), 100)

    async def test_list_row_and_section_limits(self, h: Harness) -> None:
        await h.inbound()
        assert (await h.send(list_message(2, 5))).status_code == 200
        assert_graph_error(await h.send(list_message(2, 6)), 131009)
        assert_graph_error(await h.send(list_message(11, 1)), 131009)

    async def test_list_field_lengths(self, h: Harness) -> None:
        payload = list_message(1, 1)
        payload["interactive"]["action"]["sections"][0]["rows"][0]["title"] = "x" * 25
        assert_graph_error(await h.send(payload), 100)
        payload = list_message(1, 1)
        payload["interactive"]["action"]["button"] = "x" * 21
        assert_graph_error(await h.send(payload), 100)
        payload = list_message(1, 1)
        payload["interactive"]["action"]["sections"][0]["rows"][0]["description"] = "d" * 73
        assert_graph_error(await h.send(payload), 100)

    async def test_list_header_must_be_text(self, h: Harness) -> None:
        payload = list_message(1, 1)
        payload["interactive"]["header"] = {"type": "image", "image": {"link": "https://x/y.png"}}
        assert_graph_error(await h.send(payload), 100)


class TestMediaValidation:
    async def test_both_id_and_link_is_100(self, h: Harness) -> None:
        payload = {"to": DOCTOR, "type": "image", "image": {"id": "1", "link": "https://x/a.png"}}
        assert_graph_error(await h.send(payload), 100)

    async def test_neither_id_nor_link_is_131008(self, h: Harness) -> None:
        payload = {"to": DOCTOR, "type": "image", "image": {"caption": "hi"}}
        assert_graph_error(await h.send(payload), 131008)

    async def test_unknown_media_id_is_131053(self, h: Harness) -> None:
        payload = {"to": DOCTOR, "type": "document", "document": {"id": "123456"}}
        assert_graph_error(await h.send(payload), 131053)

    async def test_link_is_accepted(self, h: Harness) -> None:
        await h.inbound()
        payload = {"to": DOCTOR, "type": "audio", "audio": {"link": "https://x/chime.mp3"}}
        assert (await h.send(payload)).status_code == 200

    async def test_caption_limit_and_audio_caption(self, h: Harness) -> None:
        image = {"link": "https://x/a.png", "caption": "c" * 1025}
        assert_graph_error(await h.send({"to": DOCTOR, "type": "image", "image": image}), 100)
        audio = {"link": "https://x/a.mp3", "caption": "no"}
        assert_graph_error(await h.send({"to": DOCTOR, "type": "audio", "audio": audio}), 100)


class TestOtherTypes:
    async def test_location_contacts_and_reaction(self, h: Harness) -> None:
        inbound = await h.inbound()
        location = {"latitude": 19.43, "longitude": -99.13, "name": "Hospital Ángeles"}
        assert (await h.send({"to": DOCTOR, "type": "location", "location": location})).is_success
        contacts = [{"name": {"formatted_name": "Ventas SurgiAI"}, "phones": [{"phone": "+1"}]}]
        assert (await h.send({"to": DOCTOR, "type": "contacts", "contacts": contacts})).is_success
        reaction = {"message_id": inbound["wamid"], "emoji": "\U0001f44d"}
        assert (await h.send({"to": DOCTOR, "type": "reaction", "reaction": reaction})).is_success

    async def test_location_needs_coordinates(self, h: Harness) -> None:
        payload = {"to": DOCTOR, "type": "location", "location": {"latitude": 1}}
        assert_graph_error(await h.send(payload), 131008)
        payload = {"to": DOCTOR, "type": "location", "location": {"latitude": 91, "longitude": 0}}
        assert_graph_error(await h.send(payload), 100)

    async def test_contacts_need_formatted_name(self, h: Harness) -> None:
        payload = {"to": DOCTOR, "type": "contacts", "contacts": [{"name": {}}]}
        assert_graph_error(await h.send(payload), 131008)


class TestTemplateValidation:
    async def test_unknown_template_is_132001(self, h: Harness) -> None:
        error = assert_graph_error(await h.send(template_send("nope")), 132001)
        assert "nope" in error["error_data"]["details"]

    async def test_other_language_is_132001(self, h: Harness) -> None:
        await h.template(language="es_MX")
        assert_graph_error(await h.send(template_send("order_update", "a", "b")), 132001)

    @pytest.mark.parametrize(
        ("status", "code"),
        [("PENDING", 132001), ("REJECTED", 132001), ("PAUSED", 132015), ("DISABLED", 132016)],
    )
    async def test_template_status(self, h: Harness, status: str, code: int) -> None:
        await h.template(status=status)
        assert_graph_error(await h.send(template_send("order_update", "a", "b")), code)

    async def test_positional_parameter_count(self, h: Harness) -> None:
        await h.template()
        assert (await h.send(template_send("order_update", "a", "b"))).status_code == 200
        assert_graph_error(await h.send(template_send("order_update", "a")), 132000)
        assert_graph_error(await h.send(template_send("order_update", "a", "b", "c")), 132000)

    async def test_repeated_placeholder_counts_once(self, h: Harness) -> None:
        await h.template(components=[{"type": "BODY", "text": "{{1}} and {{1}} and {{2}}"}])
        assert (await h.send(template_send("order_update", "a", "b"))).status_code == 200

    async def test_named_parameters(self, h: Harness) -> None:
        await h.template(
            parameter_format="NAMED",
            components=[{"type": "BODY", "text": "Hi {{first_name}}, order {{order_number}}"}],
        )

        def named(*pairs: tuple[str, str]) -> dict[str, Any]:
            payload = template_send("order_update")
            payload["template"]["components"] = [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "parameter_name": n, "text": v} for n, v in pairs
                    ],
                }
            ]
            return payload

        ok = named(("order_number", "A-1"), ("first_name", "Ana"))
        assert (await h.send(ok)).status_code == 200
        assert_graph_error(await h.send(named(("first_name", "Ana"))), 132000)
        wrong = named(("first_name", "Ana"), ("order", "A-1"))
        assert_graph_error(await h.send(wrong), 132012)

    async def test_header_and_url_button_parameters(self, h: Harness) -> None:
        await h.template(
            components=[
                {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
                {"type": "BODY", "text": "Thanks"},
                {
                    "type": "BUTTONS",
                    "buttons": [{"type": "URL", "text": "Track", "url": "https://t.co/{{1}}"}],
                },
            ]
        )
        payload = template_send("order_update")
        payload["template"]["components"] = [
            {"type": "header", "parameters": [{"type": "text", "text": "A-1"}]},
            {
                "type": "button",
                "sub_type": "url",
                "index": "0",
                "parameters": [{"type": "text", "text": "abc"}],
            },
        ]
        assert (await h.send(payload)).status_code == 200
        payload["template"]["components"].pop()
        assert_graph_error(await h.send(payload), 132000)

    async def test_component_types_in_any_letter_case(self, h: Harness) -> None:
        await h.template(
            components=[
                {"type": "BODY", "text": "Hi {{1}}, order {{2}} shipped."},
                {
                    "type": "BUTTONS",
                    "buttons": [{"type": "URL", "text": "Track", "url": "https://t.co/{{1}}"}],
                },
            ]
        )
        body = {"type": "BODY", "parameters": [{"type": "text", "text": t} for t in ("a", "b")]}
        button = {
            "type": "Button",
            "sub_type": "URL",
            "index": "0",
            "parameters": [{"type": "text", "text": "abc"}],
        }
        payload = template_send("order_update")
        payload["template"]["components"] = [body, button]
        assert (await h.send(payload)).status_code == 200
        # Read, not just let through: the parameters are still counted.
        payload["template"]["components"] = [{**body, "parameters": body["parameters"][:1]}, button]
        assert_graph_error(await h.send(payload), 132000)
        payload["template"]["components"] = [body, {**button, "type": "BUTTONS"}]
        assert_graph_error(await h.send(payload), 100)

    async def test_media_header_needs_one_media_parameter(self, h: Harness) -> None:
        await h.template(
            components=[{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "Hi"}]
        )
        payload = template_send("order_update")
        assert_graph_error(await h.send(payload), 132000)
        payload["template"]["components"] = [
            {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x"}}]}
        ]
        assert (await h.send(payload)).status_code == 200


class TestMarkAsRead:
    async def test_read_receipt_and_typing_indicator(self, h: Harness) -> None:
        first = await h.inbound()
        second = await h.inbound(text={"body": "¿precio?"}, type="text")
        response = await h.send({"status": "read", "message_id": second["wamid"]})
        assert response.status_code == 200
        assert response.json() == {"success": True}
        typing = {
            "status": "read",
            "message_id": second["wamid"],
            "typing_indicator": {"type": "text"},
        }
        assert (await h.send(typing)).json() == {"success": True}
        received = (await h.client.get("/control/received", params={"wa_id": DOCTOR})).json()
        by_id = {m["wamid"]: m for m in received["sent"]}
        assert by_id[first["wamid"]]["read_by_business_at"] is not None
        assert by_id[second["wamid"]]["typing_indicator_at"] is not None

    async def test_unknown_message_id_is_100(self, h: Harness) -> None:
        assert_graph_error(await h.send({"status": "read", "message_id": "wamid.nope"}), 100)

    async def test_bad_typing_indicator_is_100(self, h: Harness) -> None:
        inbound = await h.inbound()
        payload = {
            "status": "read",
            "message_id": inbound["wamid"],
            "typing_indicator": {"type": "audio"},
        }
        assert_graph_error(await h.send(payload), 100)
