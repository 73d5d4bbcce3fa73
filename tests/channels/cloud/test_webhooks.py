from __future__ import annotations

import pytest

from surgiai.channels.base import UnreadableWebhook
from surgiai.channels.cloud.adapter import CloudWebhooks
from surgiai.channels.cloud.signature import sign
from surgiai.channels.cloud.webhooks import check_envelope, subscription_challenge
from tests.channels.cloud.recorded import raw

TOKEN = "verify-me-please"


class TestSubscriptionChallenge:
    def test_answers_the_challenge(self) -> None:
        params = {"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "1158201444"}
        assert subscription_challenge(params, TOKEN) == "1158201444"

    @pytest.mark.parametrize(
        "params",
        [
            {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
            {"hub.mode": "unsubscribe", "hub.verify_token": TOKEN, "hub.challenge": "1"},
            {"hub.verify_token": TOKEN, "hub.challenge": "1"},
            {"hub.mode": "subscribe", "hub.challenge": "1"},
            {"hub.mode": "subscribe", "hub.verify_token": TOKEN},
        ],
    )
    def test_refuses(self, params: dict[str, str]) -> None:
        assert subscription_challenge(params, TOKEN) is None

    def test_refuses_when_no_token_is_configured(self) -> None:
        params = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
        assert subscription_challenge(params, "") is None


class TestEnvelope:
    def test_a_whatsapp_business_account_webhook_passes(self) -> None:
        check_envelope(raw("status_read"))

    @pytest.mark.parametrize(
        ("body", "reason"),
        [
            (b"not json", "not valid JSON"),
            (b"[1, 2]", "Not a WhatsApp webhook"),
            (b'{"object": "page", "entry": []}', "Not a WhatsApp webhook"),
        ],
    )
    def test_anything_else_is_refused_with_a_reason(self, body: bytes, reason: str) -> None:
        with pytest.raises(UnreadableWebhook, match=reason):
            check_envelope(body)


class TestCloudWebhooks:
    """The provider's side of `POST /webhooks/whatsapp`, as the receiver uses it."""

    def test_any_configured_secret_signs(self) -> None:
        webhooks = CloudWebhooks()
        body = raw("non_ascii_text")
        secrets = ["rotated-out", "s3cret"]
        assert webhooks.signature_valid(body, sign(body, "s3cret"), secrets)
        assert webhooks.signature_valid(body, sign(body, "rotated-out"), secrets)
        assert not webhooks.signature_valid(body, sign(body, "nope"), secrets)
        assert not webhooks.signature_valid(body, "sha1=abc", secrets)

    def test_names_its_header_and_limits_as_meta_does(self) -> None:
        webhooks = CloudWebhooks()
        assert webhooks.signature_header.lower() == "x-hub-signature-256"
        assert webhooks.max_body_bytes == 3 * 1024 * 1024
        assert webhooks.source == "whatsapp_cloud"
