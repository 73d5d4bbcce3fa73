from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator, MutableMapping
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any

import httpx
import pytest
import respx
import structlog
from structlog.testing import LogCapture

from surgiai.channels.base import ErrorReaction, OutboundMessage
from surgiai.channels.cloud import client as client_module
from surgiai.channels.cloud.client import CloudApiClient, MediaInfo, build_send_body
from surgiai.channels.cloud.errors import GraphApiError, GraphTransportError
from surgiai.channels.validation import OutboundValidationError
from tests.channels import builders
from tests.channels.builders import (
    ListRow,
    ListSection,
    MediaHeader,
    ReplyButton,
    TemplateButton,
)

pytestmark = pytest.mark.anyio

BASE = "https://graph.facebook.com"
ROOT = f"{BASE}/v25.0"
TOKEN = "EAAG-secret-system-user-token"
PNID = "106540352242922"
TO = "+919812345678"
WAMID = "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA"
ACCEPTED = {
    "messaging_product": "whatsapp",
    "contacts": [{"input": TO, "wa_id": "919812345678"}],
    "messages": [{"id": WAMID}],
}


@pytest.fixture
async def client() -> AsyncIterator[CloudApiClient]:
    async with CloudApiClient(BASE, "v25.0", TOKEN) as api:
        yield api


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=ROOT, assert_all_called=False) as router:
        yield router


def sent_json(route: respx.Route) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(route.calls.last.request.content)
    return body


def envelope(type_: str, obj: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": type_,
        type_: obj,
        **extra,
    }


async def send(
    client: CloudApiClient, graph: respx.MockRouter, message: OutboundMessage
) -> dict[str, Any]:
    route = graph.post(f"/{PNID}/messages").respond(200, json=ACCEPTED)
    await client.send(PNID, message)
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = sent_json(route)
    return body


class TestSendResult:
    async def test_url_headers_and_result(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        route = graph.post(f"/{PNID}/messages").respond(200, json=ACCEPTED)
        result = await client.send(PNID, builders.text_message(TO, "Hello doctor"))
        assert str(route.calls.last.request.url) == f"{ROOT}/{PNID}/messages"
        assert result.wamid == WAMID
        assert result.wa_id == "919812345678"
        assert result.input == TO
        assert result.message_status is None

    async def test_sends_by_user_id_when_there_is_no_phone(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        bsuid = "IN.2210457781930466"
        accepted = {**ACCEPTED, "contacts": [{"input": bsuid, "user_id": bsuid}]}
        route = graph.post(f"/{PNID}/messages").respond(200, json=accepted)
        message = OutboundMessage(recipient=bsuid, type="text", payload={"body": "Namaste"})
        result = await client.send(PNID, message)
        body = sent_json(route)
        assert body["recipient"] == bsuid and "to" not in body
        assert (result.user_id, result.wa_id, result.input) == (bsuid, None, bsuid)

    async def test_phone_wins_over_user_id(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        route = graph.post(f"/{PNID}/messages").respond(200, json=ACCEPTED)
        message = OutboundMessage(
            to=TO, recipient="IN.2210457781930466", type="text", payload={"body": "Hi"}
        )
        await client.send(PNID, message)
        body = sent_json(route)
        assert body["to"] == TO and "recipient" not in body

    @pytest.mark.parametrize(
        ("recipient", "problem"),
        [(None, "no recipient"), ("9198123", "not a WhatsApp user id"), ("IN.", "user id")],
    )
    async def test_without_a_valid_recipient_nothing_is_sent(
        self, client: CloudApiClient, graph: respx.MockRouter, recipient: str | None, problem: str
    ) -> None:
        route = graph.post(f"/{PNID}/messages").respond(200, json=ACCEPTED)
        message = OutboundMessage(recipient=recipient, type="text", payload={"body": "Hi"})
        with pytest.raises(OutboundValidationError, match=problem):
            await client.send(PNID, message)
        assert not route.called

    async def test_template_pacing_status(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        paced = {**ACCEPTED, "messages": [{"id": WAMID, "message_status": "accepted"}]}
        graph.post(f"/{PNID}/messages").respond(200, json=paced)
        result = await client.send(PNID, builders.template_message(TO, "course_reminder", "en"))
        assert result.message_status == "accepted"

    async def test_missing_message_id_is_an_error(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        graph.post(f"/{PNID}/messages").respond(200, json={"messaging_product": "whatsapp"})
        with pytest.raises(GraphApiError, match="no message id"):
            await client.send(PNID, builders.text_message(TO, "Hi"))

    async def test_simulator_base_url(self) -> None:
        base = "http://127.0.0.1:8000/simulator/graph"
        async with CloudApiClient(base, "v25.0", TOKEN) as api:
            with respx.mock(assert_all_called=True) as router:
                router.post(f"{base}/v25.0/{PNID}/messages").respond(200, json=ACCEPTED)
                assert (await api.send(PNID, builders.text_message(TO, "Hi"))).wamid == WAMID

    async def test_version_may_be_omitted(self) -> None:
        async with CloudApiClient(BASE + "/", None, TOKEN) as api:
            assert api.url(f"/{PNID}/messages") == f"{BASE}/{PNID}/messages"

    async def test_shared_http_client_is_not_closed(self) -> None:
        async with httpx.AsyncClient() as shared:
            api = CloudApiClient(BASE, "v25.0", TOKEN, http_client=shared)
            await api.aclose()
            assert not shared.is_closed

    def test_rejects_a_base_url_without_scheme(self) -> None:
        with pytest.raises(ValueError, match="http"):
            CloudApiClient("graph.facebook.com", "v25.0", TOKEN)

    def test_repr_hides_the_token(self) -> None:
        assert TOKEN not in repr(CloudApiClient(BASE, "v25.0", TOKEN))


class TestExactJson:
    async def test_text(self, client: CloudApiClient, graph: respx.MockRouter) -> None:
        message = builders.text_message(TO, "Here's the link: https://surgi.ai/c", preview_url=True)
        assert await send(client, graph, message) == envelope(
            "text", {"preview_url": True, "body": "Here's the link: https://surgi.ai/c"}
        )

    async def test_quoted_reply_with_callback_data(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        message = builders.text_message(
            TO, "Yes", context_message_id="wamid.Q", biz_opaque_callback_data="outbound:77"
        )
        assert await send(client, graph, message) == envelope(
            "text",
            {"preview_url": False, "body": "Yes"},
            context={"message_id": "wamid.Q"},
            biz_opaque_callback_data="outbound:77",
        )

    async def test_named_template(self, client: CloudApiClient, graph: respx.MockRouter) -> None:
        message = builders.template_message(
            TO,
            "order_confirmation",
            "en_US",
            header_media=MediaHeader("image", id="1013859600285441"),
            body_params={"first_name": "Priya", "order_number": "SKBUP2-4CPIG9"},
            buttons=[
                TemplateButton("url", 1, "orders/SKBUP2"),
                TemplateButton("quick_reply", 0, "TRACK"),
            ],
        )
        assert await send(client, graph, message) == envelope(
            "template",
            {
                "name": "order_confirmation",
                "language": {"code": "en_US"},
                "components": [
                    {
                        "type": "header",
                        "parameters": [{"type": "image", "image": {"id": "1013859600285441"}}],
                    },
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "parameter_name": "first_name", "text": "Priya"},
                            {
                                "type": "text",
                                "parameter_name": "order_number",
                                "text": "SKBUP2-4CPIG9",
                            },
                        ],
                    },
                    {
                        "type": "button",
                        "sub_type": "quick_reply",
                        "index": "0",
                        "parameters": [{"type": "payload", "payload": "TRACK"}],
                    },
                    {
                        "type": "button",
                        "sub_type": "url",
                        "index": "1",
                        "parameters": [{"type": "text", "text": "orders/SKBUP2"}],
                    },
                ],
            },
        )

    async def test_positional_template(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        message = builders.template_message(
            TO,
            "course_reminder",
            "en",
            header_params=["Laparoscopy"],
            body_params=["Dr. Sharma", "12 July"],
            buttons=[TemplateButton("copy_code", 0, "CME25")],
        )
        assert await send(client, graph, message) == envelope(
            "template",
            {
                "name": "course_reminder",
                "language": {"code": "en"},
                "components": [
                    {"type": "header", "parameters": [{"type": "text", "text": "Laparoscopy"}]},
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": "Dr. Sharma"},
                            {"type": "text", "text": "12 July"},
                        ],
                    },
                    {
                        "type": "button",
                        "sub_type": "copy_code",
                        "index": "0",
                        "parameters": [{"type": "coupon_code", "coupon_code": "CME25"}],
                    },
                ],
            },
        )

    async def test_template_without_parameters(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        message = builders.template_message(TO, "hello_world", "en_US")
        assert await send(client, graph, message) == envelope(
            "template", {"name": "hello_world", "language": {"code": "en_US"}}
        )

    async def test_reply_buttons(self, client: CloudApiClient, graph: respx.MockRouter) -> None:
        message = builders.buttons_message(
            TO,
            "Hi Dr. Sharma! Shall we book the demo?",
            [ReplyButton("book", "Book"), ("later", "Later")],
            header_text="Stapler demo",
            footer="SurgiAI",
        )
        assert await send(client, graph, message) == envelope(
            "interactive",
            {
                "type": "button",
                "header": {"type": "text", "text": "Stapler demo"},
                "body": {"text": "Hi Dr. Sharma! Shall we book the demo?"},
                "footer": {"text": "SurgiAI"},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": "book", "title": "Book"}},
                        {"type": "reply", "reply": {"id": "later", "title": "Later"}},
                    ]
                },
            },
        )

    async def test_reply_buttons_with_media_header(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        message = builders.buttons_message(
            TO,
            "Brochure attached",
            [ReplyButton("ok", "OK")],
            header_media=MediaHeader("document", link="https://surgi.ai/b.pdf", filename="b.pdf"),
        )
        body = await send(client, graph, message)
        assert body["interactive"]["header"] == {
            "type": "document",
            "document": {"link": "https://surgi.ai/b.pdf", "filename": "b.pdf"},
        }
        assert "footer" not in body["interactive"]

    async def test_list(self, client: CloudApiClient, graph: respx.MockRouter) -> None:
        message = builders.list_message(
            TO,
            "Which course interests you?",
            "Courses",
            [
                ListSection(
                    "Laparoscopy",
                    [
                        ListRow("lap-basic", "Basic laparoscopy", "2 days, Mumbai"),
                        ListRow("lap-adv", "Advanced laparoscopy"),
                    ],
                ),
                ListSection("Arthroscopy", [ListRow("arth", "Knee arthroscopy")]),
            ],
            header_text="CME courses",
            footer="SurgiAI",
        )
        assert await send(client, graph, message) == envelope(
            "interactive",
            {
                "type": "list",
                "header": {"type": "text", "text": "CME courses"},
                "body": {"text": "Which course interests you?"},
                "footer": {"text": "SurgiAI"},
                "action": {
                    "button": "Courses",
                    "sections": [
                        {
                            "title": "Laparoscopy",
                            "rows": [
                                {
                                    "id": "lap-basic",
                                    "title": "Basic laparoscopy",
                                    "description": "2 days, Mumbai",
                                },
                                {"id": "lap-adv", "title": "Advanced laparoscopy"},
                            ],
                        },
                        {
                            "title": "Arthroscopy",
                            "rows": [{"id": "arth", "title": "Knee arthroscopy"}],
                        },
                    ],
                },
            },
        )

    async def test_image_by_id(self, client: CloudApiClient, graph: respx.MockRouter) -> None:
        message = builders.image_message(TO, media_id="1013859600285441", caption="Catalogue p. 4")
        assert await send(client, graph, message) == envelope(
            "image", {"id": "1013859600285441", "caption": "Catalogue p. 4"}
        )

    async def test_image_by_link(self, client: CloudApiClient, graph: respx.MockRouter) -> None:
        message = builders.image_message(TO, link="https://surgi.ai/i.jpg")
        assert await send(client, graph, message) == envelope(
            "image", {"link": "https://surgi.ai/i.jpg"}
        )

    async def test_document(self, client: CloudApiClient, graph: respx.MockRouter) -> None:
        message = builders.document_message(
            TO, media_id="1376223850470843", filename="order_abc123.pdf", caption="Your order"
        )
        assert await send(client, graph, message) == envelope(
            "document",
            {"id": "1376223850470843", "filename": "order_abc123.pdf", "caption": "Your order"},
        )

    async def test_voice_note(self, client: CloudApiClient, graph: respx.MockRouter) -> None:
        message = builders.audio_message(TO, media_id="1013859600285441", voice=True)
        assert await send(client, graph, message) == envelope(
            "audio", {"id": "1013859600285441", "voice": True}
        )

    async def test_audio_by_link(self, client: CloudApiClient, graph: respx.MockRouter) -> None:
        message = builders.audio_message(TO, link="https://surgi.ai/chime.mp3")
        assert await send(client, graph, message) == envelope(
            "audio", {"link": "https://surgi.ai/chime.mp3"}
        )

    async def test_video_and_sticker(self, client: CloudApiClient, graph: respx.MockRouter) -> None:
        video = builders.video_message(TO, media_id="42", caption="Demo")
        assert await send(client, graph, video) == envelope(
            "video", {"id": "42", "caption": "Demo"}
        )
        sticker = builders.sticker_message(TO, media_id="43")
        assert await send(client, graph, sticker) == envelope("sticker", {"id": "43"})

    async def test_reaction(self, client: CloudApiClient, graph: respx.MockRouter) -> None:
        message = builders.reaction_message(TO, "wamid.HBgL", "\U0001f600")
        assert await send(client, graph, message) == envelope(
            "reaction", {"message_id": "wamid.HBgL", "emoji": "\U0001f600"}
        )

    async def test_hand_built_message(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        location = {"latitude": 19.01, "longitude": 72.85, "name": "Lilavati Hospital"}
        message = OutboundMessage(to=TO, type="location", payload=location)
        assert await send(client, graph, message) == envelope("location", location)
        assert build_send_body(message) == envelope("location", location)

    async def test_invalid_message_never_reaches_the_network(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        route = graph.post(f"/{PNID}/messages").respond(200, json=ACCEPTED)
        message = OutboundMessage(to=TO, type="text", payload={"body": "x" * 4097})
        with pytest.raises(OutboundValidationError, match="4097 characters; the limit is 4096"):
            await client.send(PNID, message)
        assert not route.called


class TestReadAndTyping:
    async def test_mark_read(self, client: CloudApiClient, graph: respx.MockRouter) -> None:
        route = graph.post(f"/{PNID}/messages").respond(200, json={"success": True})
        await client.mark_read(PNID, WAMID)
        assert sent_json(route) == {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": WAMID,
        }

    async def test_typing_indicator(self, client: CloudApiClient, graph: respx.MockRouter) -> None:
        route = graph.post(f"/{PNID}/messages").respond(200, json={"success": True})
        await client.typing_indicator(PNID, WAMID)
        assert sent_json(route) == {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": WAMID,
            "typing_indicator": {"type": "text"},
        }
        assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


def multipart_parts(request: httpx.Request) -> dict[str, EmailMessage]:
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    parsed = BytesParser(policy=default_policy).parsebytes(head + request.content)
    assert isinstance(parsed, EmailMessage)
    parts: dict[str, EmailMessage] = {}
    for part in parsed.iter_parts():
        assert isinstance(part, EmailMessage)
        name = part.get_param("name", header="content-disposition")
        assert isinstance(name, str)
        parts[name] = part
    return parts


class TestMedia:
    async def test_upload_is_multipart(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        route = graph.post(f"/{PNID}/media").respond(200, json={"id": "1037543291543636"})
        data = b"OggS\x00\x02voice-note-bytes"
        media_id = await client.upload_media(PNID, data, "audio/ogg", "reminder.ogg")
        assert media_id == "1037543291543636"
        request = route.calls.last.request
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
        parts = multipart_parts(request)
        assert set(parts) == {"messaging_product", "type", "file"}
        assert parts["messaging_product"].get_content() == "whatsapp"
        assert parts["type"].get_content() == "audio/ogg"
        file = parts["file"]
        assert file.get_filename() == "reminder.ogg"
        assert file.get_content_type() == "audio/ogg"
        assert file.get_payload(decode=True) == data

    async def test_upload_refuses_unsupported_files_before_http(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        route = graph.post(f"/{PNID}/media").respond(200, json={"id": "1"})
        with pytest.raises(OutboundValidationError, match="image/gif"):
            await client.upload_media(PNID, b"GIF89a", "image/gif", "x.gif")
        assert not route.called

    async def test_get_media(self, client: CloudApiClient, graph: respx.MockRouter) -> None:
        url = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1037&ext=1&hash=AT"
        route = graph.get("/1037543291543636").respond(
            200,
            json={
                "messaging_product": "whatsapp",
                "url": url,
                "mime_type": "image/jpeg",
                "sha256": "abc=",
                "file_size": "61901",
                "id": "1037543291543636",
            },
        )
        info = await client.get_media("1037543291543636", phone_number_id=PNID)
        assert info == MediaInfo(
            id="1037543291543636", url=url, mime_type="image/jpeg", sha256="abc=", file_size=61901
        )
        assert route.calls.last.request.url.params["phone_number_id"] == PNID

    async def test_download_follows_the_absolute_url_with_bearer(
        self, client: CloudApiClient
    ) -> None:
        url = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1037&ext=1&hash=AT"
        with respx.mock(assert_all_called=True) as router:
            route = router.get(url).respond(
                200, content=b"\xff\xd8jpeg", headers={"Content-Type": "image/jpeg"}
            )
            assert await client.download_media(url) == b"\xff\xd8jpeg"
        request = route.calls.last.request
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert str(request.url) == url

    async def test_download_from_the_simulator_host(self) -> None:
        base = "http://127.0.0.1:8000/simulator/graph"
        url = "http://127.0.0.1:8000/simulator/media/abc?sig=1"
        async with CloudApiClient(base, "v25.0", TOKEN) as api:
            with respx.mock() as router:
                router.get(url).respond(200, content=b"bytes")
                assert await api.download_media(url) == b"bytes"

    async def test_token_never_goes_to_another_plain_http_host(
        self, client: CloudApiClient
    ) -> None:
        with respx.mock(assert_all_called=False) as router:
            route = router.get(url__startswith="http://evil.example").respond(200)
            with pytest.raises(ValueError, match="plain HTTP"):
                await client.download_media("http://evil.example/steal")
            with pytest.raises(ValueError, match="absolute"):
                await client.download_media("/relative")
            assert not route.called

    async def test_expired_download_url(self, client: CloudApiClient) -> None:
        url = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1"
        with respx.mock() as router:
            router.get(url).respond(404, text="Not Found")
            with pytest.raises(GraphApiError) as caught:
                await client.download_media(url)
        assert caught.value.http_status == 404 and caught.value.code is None


class TestPhoneNumbers:
    async def test_get_phone_number_fields(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        answer = {"quality_rating": "GREEN", "throughput": {"level": "STANDARD"}, "id": PNID}
        route = graph.get(f"/{PNID}").respond(200, json=answer)
        assert await client.get_phone_number(PNID, ["quality_rating", "throughput"]) == answer
        assert route.calls.last.request.url.params["fields"] == "quality_rating,throughput"

    async def test_default_fields(self, client: CloudApiClient, graph: respx.MockRouter) -> None:
        route = graph.get(f"/{PNID}").respond(200, json={"id": PNID})
        await client.get_phone_number(PNID)
        fields = route.calls.last.request.url.params["fields"].split(",")
        assert {"status", "quality_rating", "whatsapp_business_manager_messaging_limit"} <= set(
            fields
        )


class TestTemplates:
    WABA = "102290129340398"
    COURSE = {
        "name": "course_reminder",
        "parameter_format": "POSITIONAL",
        "components": [
            {"type": "BODY", "text": "Dear Dr. {{1}}, {{2}} starts soon."},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Book a seat"}]},
        ],
        "language": "en",
        "status": "APPROVED",
        "category": "MARKETING",
        "quality_score": {"score": "GREEN", "date": 1751247548},
        "rejected_reason": "NONE",
        "id": "806312974732579",
    }
    ORDER = {
        "name": "order_confirmation",
        "parameter_format": "NAMED",
        "components": [{"type": "BODY", "text": "Order {{order_number}} is confirmed."}],
        "language": "en_US",
        "status": "REJECTED",
        "category": "UTILITY",
        "rejected_reason": "INVALID_FORMAT",
        "id": "1689556908129832",
    }

    async def test_list_follows_every_page_with_the_fields_a_sync_needs(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        first = {
            "data": [self.COURSE],
            "paging": {
                "cursors": {"before": "QVFIUmJl", "after": "QVFIUk1PX2"},
                "next": f"{ROOT}/{self.WABA}/message_templates?limit=100&after=QVFIUk1PX2",
            },
        }
        last = {
            "data": [self.ORDER],
            "paging": {"cursors": {"before": "QVFIUk1PX2", "after": "QVFIUk1PX3"}},
        }
        route = graph.get(f"/{self.WABA}/message_templates")
        route.side_effect = [httpx.Response(200, json=first), httpx.Response(200, json=last)]
        templates = await client.list_templates(self.WABA)
        assert templates == [self.COURSE, self.ORDER]
        first_request, second_request = (call.request for call in route.calls)
        assert first_request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert dict(first_request.url.params) == {
            "fields": "id,name,language,status,category,parameter_format,components,"
            "quality_score,rejected_reason",
            "limit": "100",
        }
        assert second_request.url.params["after"] == "QVFIUk1PX2"
        assert second_request.url.params["limit"] == "100"

    async def test_an_empty_account(self, client: CloudApiClient, graph: respx.MockRouter) -> None:
        graph.get(f"/{self.WABA}/message_templates").respond(200, json={"data": []})
        assert await client.list_templates(self.WABA, limit=25) == []

    async def test_a_failing_page_raises_instead_of_returning_part_of_the_list(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        first = {"data": [self.COURSE], "paging": {"cursors": {"after": "B"}, "next": "https://x"}}
        route = graph.get(f"/{self.WABA}/message_templates")
        route.side_effect = [
            httpx.Response(200, json=first),
            httpx.Response(400, json=graph_error(80007, "(#80007) Rate limit issues")),
        ]
        with pytest.raises(GraphApiError) as raised:
            await client.list_templates(self.WABA)
        assert raised.value.code == 80007

    async def test_a_list_that_never_ends_is_an_error(
        self, client: CloudApiClient, graph: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(client_module, "MAX_TEMPLATE_PAGES", 2)
        endless = {
            "data": [self.COURSE],
            "paging": {"cursors": {"after": "B"}, "next": "https://x"},
        }
        route = graph.get(f"/{self.WABA}/message_templates").respond(200, json=endless)
        with pytest.raises(GraphApiError, match="more than 2 pages"):
            await client.list_templates(self.WABA)
        assert route.call_count == 2

    async def test_a_next_page_without_a_cursor_is_an_error(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        answer = {"data": [self.COURSE], "paging": {"next": "https://x"}}
        graph.get(f"/{self.WABA}/message_templates").respond(200, json=answer)
        with pytest.raises(GraphApiError, match="without a cursor"):
            await client.list_templates(self.WABA)


def graph_error(
    code: int, message: str, details: str | None = None, **extra: Any
) -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEfGh123",
        **extra,
    }
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": error}


class TestErrors:
    @pytest.mark.parametrize(
        ("status", "body", "code", "reaction", "retryable"),
        [
            (
                400,
                graph_error(
                    130429,
                    "(#130429) Rate limit hit",
                    "Cloud API message throughput has been reached.",
                    error_subcode=2494055,
                ),
                130429,
                ErrorReaction.throttled,
                True,
            ),
            (
                400,
                graph_error(
                    131056, "(#131056) (Business Account, Consumer Account) pair rate limit hit"
                ),
                131056,
                ErrorReaction.retry_later_pair,
                True,
            ),
            (
                401,
                graph_error(
                    190, "Error validating access token: Session has expired", error_subcode=463
                ),
                190,
                ErrorReaction.auth_failed,
                False,
            ),
            (
                400,
                graph_error(
                    100,
                    "(#100) Invalid parameter",
                    "Param text['body'] must be at most 4096 characters long.",
                ),
                100,
                ErrorReaction.bug,
                False,
            ),
            (
                400,
                graph_error(
                    131047,
                    "(#131047) Re-engagement message",
                    "Message failed to send because more than 24 hours have passed since the "
                    "customer last replied to this number.",
                ),
                131047,
                ErrorReaction.template_required,
                False,
            ),
            (
                400,
                graph_error(
                    132001,
                    "(#132001) Template name does not exist in the translation",
                    "template name (diwali_offer) does not exist in en_US",
                ),
                132001,
                ErrorReaction.config,
                False,
            ),
            (
                503,
                graph_error(131016, "(#131016) Service unavailable"),
                131016,
                ErrorReaction.retry_transient,
                True,
            ),
            (
                403,
                graph_error(368, "(#368) Temporarily blocked for policies violations"),
                368,
                ErrorReaction.pause_number,
                False,
            ),
        ],
    )
    async def test_sync_error_bodies(
        self,
        client: CloudApiClient,
        graph: respx.MockRouter,
        status: int,
        body: dict[str, Any],
        code: int,
        reaction: ErrorReaction,
        retryable: bool,
    ) -> None:
        graph.post(f"/{PNID}/messages").respond(status, json=body)
        with pytest.raises(GraphApiError) as caught:
            await client.send(PNID, builders.text_message(TO, "Hi"))
        error = caught.value
        assert error.code == code
        assert error.http_status == status
        assert error.reaction is reaction
        assert error.retryable is retryable
        assert error.fbtrace_id == "AbCdEfGh123"
        assert error.message == body["error"]["message"]
        assert error.details == body["error"].get("error_data", {}).get("details")

    async def test_errors_on_other_calls(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        graph.get("/999").respond(400, json=graph_error(100, "(#100) Invalid media id"))
        with pytest.raises(GraphApiError) as caught:
            await client.get_media("999")
        assert caught.value.code == 100

    async def test_html_gateway_error(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        graph.post(f"/{PNID}/messages").respond(502, text="<html>502 Bad Gateway</html>")
        with pytest.raises(GraphApiError) as caught:
            await client.send(PNID, builders.text_message(TO, "Hi"))
        assert caught.value.code is None and caught.value.retryable

    async def test_success_without_json(
        self, client: CloudApiClient, graph: respx.MockRouter
    ) -> None:
        graph.post(f"/{PNID}/messages").respond(200, text="OK")
        with pytest.raises(GraphApiError, match="not a JSON object"):
            await client.send(PNID, builders.text_message(TO, "Hi"))

    @pytest.mark.parametrize(
        "failure",
        [
            httpx.ConnectError("refused"),
            httpx.ReadTimeout("slow"),
            httpx.RemoteProtocolError("eof"),
        ],
    )
    async def test_transport_errors(
        self, client: CloudApiClient, graph: respx.MockRouter, failure: Exception
    ) -> None:
        graph.post(f"/{PNID}/messages").mock(side_effect=failure)
        with pytest.raises(GraphTransportError) as caught:
            await client.send(PNID, builders.text_message(TO, "Hi"))
        assert caught.value.retryable
        assert caught.value.__cause__ is failure
        assert not isinstance(caught.value, GraphApiError)


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[MutableMapping[str, Any]]]:
    saved = structlog.get_config()
    capture = LogCapture()
    structlog.configure(
        processors=[capture],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        cache_logger_on_first_use=False,
    )
    monkeypatch.setattr(client_module, "log", structlog.get_logger(client_module.__name__))
    yield capture.entries
    structlog.configure(**saved)


class TestLogging:
    async def test_no_token_and_masked_numbers(
        self, client: CloudApiClient, graph: respx.MockRouter, logs: list[MutableMapping[str, Any]]
    ) -> None:
        graph.post(f"/{PNID}/messages").respond(200, json=ACCEPTED)
        await client.send(PNID, builders.text_message(TO, "Confidential dosage question"))
        graph.post(f"/{PNID}/messages").respond(
            400, json=graph_error(131026, "(#131026) Message undeliverable")
        )
        with pytest.raises(GraphApiError):
            await client.send(PNID, builders.text_message(TO, "Hi"))
        graph.post(f"/{PNID}/messages").mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(GraphTransportError):
            await client.send(PNID, builders.text_message(TO, "Hi"))

        events = [entry["event"] for entry in logs]
        assert "channels.cloud.message_accepted" in events
        assert "channels.cloud.request_failed" in events
        assert "channels.cloud.transport_error" in events
        dumped = repr(logs)
        assert TOKEN not in dumped
        assert "9812345678" not in dumped
        assert "Confidential" not in dumped
        accepted = next(e for e in logs if e["event"] == "channels.cloud.message_accepted")
        assert accepted["to"] == "+********5678"
        failed = next(e for e in logs if e["event"] == "channels.cloud.request_failed")
        assert failed["code"] == 131026 and failed["reaction"] == "recipient_unreachable"
